"""What happened: an issue's timeline (events and comments in order) and the project feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from quart_app.api.access import project_for_reading
from quart_app.api.comments import CommentOut
from quart_app.api.common import PageOut, PageQuery, UserRef, errors, page_response
from quart_app.api.openapi import paginated, public
from quart_app.db import get_session, run_read
from quart_app.models import Comment, Issue, IssueEvent
from quart_app.security.rate_limits import rate_limit
from quart_app.services import events, issue_view, issues

blueprint = Blueprint("api_events", __name__, url_prefix="/api/v1/projects/<string:key>")


class EventOut(BaseModel):
    id: int
    kind: str = Field(
        description="opened, title_changed, body_edited, closed, reopened, labeled, unlabeled, "
        "assigned, unassigned, milestoned or commented"
    )
    actor: UserRef | None = Field(description="null when the account was deleted")
    data: dict[str, Any] = Field(description="before/after values (names), the close reason, …")
    created_at: datetime


class TimelineItem(EventOut):
    comment: CommentOut | None = Field(
        None, description="for commented events; null once the comment was deleted"
    )


class TimelinePage(PageOut):
    items: list[TimelineItem]


class IssueRef(BaseModel):
    number: int
    title: str

    @classmethod
    def of(cls, issue: Issue) -> IssueRef:
        return cls(number=issue.number, title=issue.title)


class ActivityItem(EventOut):
    issue: IssueRef


class ActivityPage(PageOut):
    items: list[ActivityItem]


def event_fields(event: IssueEvent) -> dict[str, Any]:
    return dict(
        id=event.id, kind=event.kind, actor=UserRef.of(event.actor), data=event.data,
        created_at=event.created_at,
    )  # fmt: skip


def timeline_item(event: IssueEvent, comments: dict[int, Comment]) -> TimelineItem:
    comment = (
        comments.get(event.data.get("comment_id", 0)) if event.kind == events.COMMENTED else None
    )
    return TimelineItem(
        **event_fields(event), comment=CommentOut.of(comment) if comment is not None else None
    )


@blueprint.get("/issues/<int:number>/timeline")
@public
@paginated
@rate_limit("api")
@validate_querystring(PageQuery)
@validate_response(TimelinePage)
@errors(400, 401, 404, 422, 429)
async def get_timeline(
    key: str, number: int, query_args: PageQuery
) -> tuple[TimelinePage, int, dict[str, str]]:
    """Everything that happened to the issue, oldest first, comments included."""
    access = await project_for_reading(key)
    session = get_session()
    issue = await issues.get_issue(session, access, number, with_relations=False)
    page, comments = await run_read(issue_view.issue_timeline, issue.id, query_args.page_request())
    items = [timeline_item(event, comments) for event in page.items]
    return page_response(TimelinePage, items, page)


@blueprint.get("/events")
@public
@paginated
@rate_limit("api")
@validate_querystring(PageQuery)
@validate_response(ActivityPage)
@errors(400, 401, 404, 422, 429)
async def list_project_events(
    key: str, query_args: PageQuery
) -> tuple[ActivityPage, int, dict[str, str]]:
    """The project's activity feed, newest first."""
    access = await project_for_reading(key)
    page = await events.project_activity(get_session(), access, query_args.page_request())
    items = [
        ActivityItem(
            **event_fields(event),
            issue=IssueRef(number=event.issue.number, title=event.issue.title),
        )
        for event in page.items
    ]
    return page_response(ActivityPage, items, page)
