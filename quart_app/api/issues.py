"""Issues of a project: list and search, open, read, edit, close, triage, delete; and yours."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator
from quart import Blueprint, Response
from quart_schema import validate_querystring, validate_request, validate_response

from quart_app.api import idempotency
from quart_app.api.access import project_for_reading, project_for_writing
from quart_app.api.common import (
    PageOut,
    PageQuery,
    RequestModel,
    UserRef,
    errors,
    page_response,
)
from quart_app.api.labels import LabelOut
from quart_app.api.openapi import (
    needs_if_match,
    paginated,
    public,
    sends_etag,
    takes_idempotency_key,
)
from quart_app.api.preconditions import etag_header, if_match
from quart_app.db import get_session, run_read
from quart_app.models import CloseReason, Issue, IssueState
from quart_app.security.auth import current_user_in, require_api_user
from quart_app.security.rate_limits import rate_limit
from quart_app.services import issue_lists, issue_rows, issues
from quart_app.services.issue_lists import Direction, IssueFilters, Relation, SortKey, StateFilter

blueprint = Blueprint("api_issues", __name__, url_prefix="/api/v1")
ISSUE = "/projects/<string:key>/issues/<int:number>"
MAX_NAMES = 20  # labels or assignees in one request


class IssueCreate(RequestModel):
    title: str = Field(max_length=issues.TITLE_MAX)
    body: str = Field("", max_length=issues.BODY_MAX, description="Markdown")
    labels: list[str] = Field([], max_length=MAX_NAMES, description="label names (maintainers)")
    assignees: list[str] = Field([], max_length=MAX_NAMES, description="usernames (maintainers)")
    milestone: str | None = Field(None, description="a milestone title (maintainers)")


class IssueUpdate(RequestModel):
    """Every field is optional: only the fields sent change. `milestone: null` removes it."""

    title: str = Field(None, max_length=issues.TITLE_MAX)  # type: ignore[assignment]
    body: str = Field(None, max_length=issues.BODY_MAX)  # type: ignore[assignment]
    state: IssueState = Field(None)  # type: ignore[assignment]
    close_reason: CloseReason = Field(None)  # type: ignore[assignment]
    labels: list[str] = Field(None, max_length=MAX_NAMES)  # type: ignore[arg-type]
    assignees: list[str] = Field(None, max_length=MAX_NAMES)  # type: ignore[arg-type]
    milestone: str | None = None

    def changes(self) -> issues.IssueChanges:
        return issues.IssueChanges(
            title=self.title, body=self.body, state=self.state, close_reason=self.close_reason,
            labels=self.labels, assignees=self.assignees,
            milestone=self.milestone if "milestone" in self.model_fields_set else issues.UNSET,
        )  # fmt: skip


class MilestoneRef(BaseModel):
    id: int
    title: str


class IssueSummaryOut(BaseModel):
    """An issue in a list: everything but its body."""

    id: int
    project: str = Field(description="the project key")
    number: int
    key: str = Field(description='"WEB-42"')
    title: str
    state: IssueState
    close_reason: CloseReason | None
    author: UserRef | None = Field(description="null when the account was deleted")
    assignees: list[UserRef]
    labels: list[LabelOut]
    milestone: MilestoneRef | None
    comment_count: int
    version: int = Field(description="also the ETag; send it back in If-Match to edit")
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @classmethod
    def fields_of(cls, issue: Issue) -> dict[str, object]:
        milestone = issue.milestone
        return dict(
            id=issue.id, project=issue.project.key, number=issue.number,
            key=f"{issue.project.key}-{issue.number}", title=issue.title, state=issue.state,
            close_reason=issue.close_reason, author=UserRef.of(issue.author),
            assignees=[UserRef.of(user) for user in issue.assignees],
            labels=[LabelOut.of(label) for label in issue.labels],
            milestone=MilestoneRef(id=milestone.id, title=milestone.title) if milestone else None,
            comment_count=issue.comment_count, version=issue.version,
            created_at=issue.created_at, updated_at=issue.updated_at, closed_at=issue.closed_at,
        )  # fmt: skip

    @classmethod
    def of(cls, issue: Issue) -> IssueSummaryOut:
        return cls.model_validate(cls.fields_of(issue))


class IssueOut(IssueSummaryOut):
    body: str = Field(description="Markdown, as written")
    body_html: str = Field(description="the body rendered and sanitised")

    @classmethod
    def of(cls, issue: Issue) -> IssueOut:
        fields = cls.fields_of(issue)
        return cls.model_validate({**fields, "body": issue.body, "body_html": issue.body_html})


IssueResponse = tuple[IssueOut, int, dict[str, str]]  # the issue, its status, its ETag


class IssuePage(PageOut):
    items: list[IssueSummaryOut]


class IssueQuery(PageQuery):
    state: StateFilter = StateFilter.OPEN
    labels: str | None = Field(None, description="comma-separated: issues with all of them")
    assignee: str | None = Field(None, description='a username, "none", "*" (anyone) or "me"')
    author: str | None = Field(None, description='a username or "me"')
    milestone: str | None = Field(None, description='a title, "none" or "*" (any)')
    q: str | None = Field(None, max_length=200, description="words in title, body or comments")
    sort: SortKey = SortKey.CREATED
    direction: Direction = Direction.DESC

    def filters(self) -> IssueFilters:
        labels = tuple(name.strip() for name in (self.labels or "").split(",") if name.strip())
        return IssueFilters(
            state=self.state, labels=labels, assignee=self.assignee, author=self.author,
            milestone=self.milestone, query=self.q or "", sort=self.sort,
            direction=self.direction, page=self.page_request(),
        )  # fmt: skip


class MyIssueQuery(IssueQuery):
    filter: Relation = Field(Relation.ASSIGNED, description="assigned to you, or opened by you")


class LabelNames(RequestModel):
    labels: list[str] = Field(min_length=1, max_length=MAX_NAMES)


class Usernames(RequestModel):
    assignees: list[str] = Field(min_length=1, max_length=MAX_NAMES)

    @field_validator("assignees")
    @classmethod
    def not_blank(cls, names: list[str]) -> list[str]:
        if any(not name.strip() for name in names):
            raise ValueError("usernames cannot be blank")
        return names


def issue_response(issue: Issue, status: int = 200) -> IssueResponse:
    return IssueOut.of(issue), status, etag_header(issue.version)


@blueprint.get("/projects/<string:key>/issues")
@public
@paginated
@rate_limit("api")
@validate_querystring(IssueQuery)
@validate_response(IssuePage)
@errors(400, 401, 404, 422, 429)
async def list_issues(key: str, query_args: IssueQuery) -> tuple[IssuePage, int, dict[str, str]]:
    """Find issues: filters combine (all given labels); `q` searches title, body, comments."""
    access = await project_for_reading(key)
    filters = query_args.filters()
    page = await run_read(issue_lists.list_project_issue_summaries, access, filters)
    return page_response(IssuePage, page.items, page)  # plain data: validated in one pass


@blueprint.get("/issues")
@paginated
@rate_limit("api")
@validate_querystring(MyIssueQuery)
@validate_response(IssuePage)
@errors(400, 401, 422, 429)
async def list_my_issues(query_args: MyIssueQuery) -> tuple[IssuePage, int, dict[str, str]]:
    """Issues assigned to you (or opened by you, `filter=created`) across your projects."""
    user = require_api_user()
    filters = query_args.filters()
    page = await issue_lists.list_my_issues(get_session(), user, query_args.filter, filters)
    items = [IssueSummaryOut.of(issue) for issue in page.items]
    return page_response(IssuePage, items, page)


@blueprint.post("/projects/<string:key>/issues")
@takes_idempotency_key
@rate_limit("api")
@validate_request(IssueCreate)
@validate_response(IssueOut, 201)
@errors(400, 401, 403, 404, 409, 422, 429)
async def create_issue(key: str, data: IssueCreate) -> IssueResponse:
    """Open an issue (members; labels, assignees and milestone need a maintainer).

    Send an `Idempotency-Key` header to retry safely: a replay returns the first response and
    creates nothing.
    """
    access = await project_for_writing(key)
    session = get_session()
    request_key = await idempotency.idempotency_key(await current_user_in(session))
    if (replayed := await idempotency.replay(session, request_key)) is not None:
        return replayed  # type: ignore[return-value]  # the stored IssueOut, as JSON
    issue = await issues.create_issue(
        session, access, title=data.title, body=data.body, labels=data.labels,
        assignees=data.assignees, milestone=data.milestone,
    )  # fmt: skip
    out, status, headers = issue_response(issue, 201)
    await idempotency.remember(session, request_key, out, status, headers)
    await session.commit()
    return out, status, headers


@blueprint.get(ISSUE)
@public
@sends_etag
@rate_limit("api")
@validate_response(IssueOut)
@errors(400, 401, 404, 429)
async def get_issue(key: str, number: int) -> IssueResponse:
    """One issue with its rendered body; the ETag header is its version."""
    access = await project_for_reading(key)
    issue = await run_read(issue_rows.find_issue_data, access, number)  # plain data
    return IssueOut.model_validate(issue), 200, etag_header(issue["version"])


@blueprint.patch(ISSUE)
@needs_if_match
@rate_limit("api")
@validate_request(IssueUpdate)
@validate_response(IssueOut)
@errors(400, 401, 403, 404, 412, 422, 428, 429)
async def update_issue(key: str, number: int, data: IssueUpdate) -> IssueResponse:
    """Edit, close (with a reason) or reopen, relabel, reassign, set the milestone.

    Needs `If-Match: "<version>"`: 428 without it, 412 when someone changed the issue since you
    read it.
    """
    access = await project_for_writing(key)
    session = get_session()
    issue = await issues.update_issue(session, access, number, data.changes(), if_match=if_match())
    await session.commit()
    return issue_response(issue)


@blueprint.delete(ISSUE)
@needs_if_match
@rate_limit("api")
@errors(400, 401, 403, 404, 412, 428, 429)
async def delete_issue(key: str, number: int) -> Response:
    """Delete an issue and its comments (owners only). Needs If-Match, like PATCH."""
    access = await project_for_writing(key)
    session = get_session()
    await issues.delete_issue(session, access, number, if_match=if_match())
    await session.commit()
    return Response(status=204)


@blueprint.post(f"{ISSUE}/labels")
@sends_etag
@rate_limit("api")
@validate_request(LabelNames)
@validate_response(IssueOut)
@errors(400, 401, 403, 404, 422, 429)
async def add_issue_labels(key: str, number: int, data: LabelNames) -> IssueResponse:
    """Add labels; a scoped label (priority/high) replaces the issue's other one of its scope."""
    access = await project_for_writing(key)
    session = get_session()
    issue = await issues.add_labels(session, access, number, data.labels)
    await session.commit()
    return issue_response(issue)


@blueprint.delete(f"{ISSUE}/labels/<int:label_id>")
@sends_etag
@rate_limit("api")
@validate_response(IssueOut)
@errors(400, 401, 403, 404, 429)
async def remove_issue_label(key: str, number: int, label_id: int) -> IssueResponse:
    """Take one label off the issue."""
    access = await project_for_writing(key)
    session = get_session()
    issue = await issues.remove_label(session, access, number, label_id)
    await session.commit()
    return issue_response(issue)


@blueprint.post(f"{ISSUE}/assignees")
@sends_etag
@rate_limit("api")
@validate_request(Usernames)
@validate_response(IssueOut)
@errors(400, 401, 403, 404, 422, 429)
async def add_issue_assignees(key: str, number: int, data: Usernames) -> IssueResponse:
    """Assign members to the issue (maintainers and owners)."""
    access = await project_for_writing(key)
    session = get_session()
    issue = await issues.add_assignees(session, access, number, data.assignees)
    await session.commit()
    return issue_response(issue)


@blueprint.delete(f"{ISSUE}/assignees/<string:username>")
@sends_etag
@rate_limit("api")
@validate_response(IssueOut)
@errors(400, 401, 403, 404, 429)
async def remove_issue_assignee(key: str, number: int, username: str) -> IssueResponse:
    """Unassign someone from the issue (maintainers and owners)."""
    access = await project_for_writing(key)
    session = get_session()
    issue = await issues.remove_assignee(session, access, number, username)
    await session.commit()
    return issue_response(issue)
