"""Everything the issue page shows, read in one transaction with SQLAlchemy Core.

The page is the tracker's busiest for people: the issue, its timeline with the comments, where
the live stream starts, and for maintainers the pick lists (members, labels, open milestones).
Ten statements at most, as synchronous functions for ``db.run_read``; the objects are detached
and read-only (see models/rows.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from quart_app.models import Comment, Issue, IssueEvent, Label, Membership, Milestone, Role, User
from quart_app.models.rows import Columns, set_loaded
from quart_app.reads import Query, Reader
from quart_app.services.access import ProjectAccess
from quart_app.services.events import COMMENTED
from quart_app.services.issue_rows import SHOWN_OF_A_PERSON, find_issue
from quart_app.services.milestones import MilestoneProgress
from quart_app.services.pagination import Page, PageRequest

EVENT_COLUMNS = Columns(IssueEvent, "event_")
ACTOR_COLUMNS = Columns(User, "actor_", only=SHOWN_OF_A_PERSON)
COMMENT_COLUMNS = Columns(Comment, "comment_")
COMMENT_AUTHOR_COLUMNS = Columns(User, "author_", only=SHOWN_OF_A_PERSON)
LABEL_COLUMNS = Columns(Label, "label_")
MILESTONE_COLUMNS = Columns(Milestone, "milestone_")
Actor = aliased(User, name="actor")

EVENT_COUNT = Query(select(func.count()).where(IssueEvent.issue_id == bindparam("issue_id")))
EVENTS = Query(
    select(*EVENT_COLUMNS.select(), *ACTOR_COLUMNS.select(Actor))
    .select_from(IssueEvent)
    .outerjoin(Actor, Actor.id == IssueEvent.actor_id)
    .where(IssueEvent.issue_id == bindparam("issue_id"))
    .order_by(IssueEvent.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
COMMENTS = Query(
    select(*COMMENT_COLUMNS.select(), *COMMENT_AUTHOR_COLUMNS.select())
    .select_from(Comment)
    .outerjoin(User, User.id == Comment.author_id)
    .where(Comment.id.in_(bindparam("ids", expanding=True)))
)
LATEST_EVENT = Query(
    select(func.max(IssueEvent.id)).where(IssueEvent.project_id == bindparam("project"))
)
MEMBERS = Query(
    select(User.id, User.username, User.display_name)
    .select_from(Membership)
    .join(User, User.id == Membership.user_id)
    .where(Membership.project_id == bindparam("project"))
    .order_by(Membership.role, User.username)
)
LABELS = Query(
    select(*LABEL_COLUMNS.select())
    .where(Label.project_id == bindparam("project"))
    .order_by(Label.name)
)
OPEN_MILESTONES = Query(
    select(*MILESTONE_COLUMNS.select())
    .where(Milestone.project_id == bindparam("project"), Milestone.closed_at.is_(None))
    .order_by(Milestone.due_on.is_(None), Milestone.due_on, Milestone.title)
)


class Member(NamedTuple):
    """A member in the assignee pick list: a project can have hundreds, so no full objects."""

    id: int
    username: str
    display_name: str


@dataclass(frozen=True)
class IssueView:
    issue: Issue
    timeline: Page[IssueEvent]
    comments: dict[int, Comment]  # the timeline's, by id; deleted ones are missing
    live_after: int  # the latest event id in the project: where the live stream starts
    # The pick lists, for maintainers only (empty for everyone else).
    members: Sequence[Member] = ()
    labels: Sequence[Label] = ()
    milestones: Sequence[MilestoneProgress] = ()


class PickLists(NamedTuple):
    """What a maintainer can set on any issue of the project: the same on every one's page."""

    members: tuple[Member, ...]
    labels: tuple[Label, ...]
    milestones: tuple[MilestoneProgress, ...]  # the open ones


def issue_view(
    reader: Reader, access: ProjectAccess, number: int, request: PageRequest
) -> IssueView:
    issue = find_issue(reader, access, number)
    timeline, comments = issue_timeline(reader, issue.id, request)
    project_id = access.project.id
    latest = int(reader.scalar(LATEST_EVENT, project=project_id) or 0)
    if not access.has_role(Role.MAINTAINER):
        return IssueView(issue, timeline, comments, live_after=latest)
    # Remembered (on SQLite) until the next commit: read-only objects, shared between views.
    lists = reader.remembered(("pick lists", project_id), lambda: _pick_lists(reader, project_id))
    return IssueView(issue, timeline, comments, latest, *lists)


def _pick_lists(reader: Reader, project_id: int) -> PickLists:
    return PickLists(
        members=tuple(Member._make(row) for row in reader.tuples(MEMBERS, project=project_id)),
        labels=tuple(LABEL_COLUMNS.build(row) for row in reader.all(LABELS, project=project_id)),
        milestones=tuple(
            MilestoneProgress(MILESTONE_COLUMNS.build(row), 0, 0)
            for row in reader.all(OPEN_MILESTONES, project=project_id)
        ),
    )


def issue_timeline(
    reader: Reader, issue_id: int, request: PageRequest
) -> tuple[Page[IssueEvent], dict[int, Comment]]:
    """The issue's events, oldest first, with their actors, and the comments they refer to
    (by id; deleted ones are missing): three statements at most, whatever the page size."""
    window = {"issue_id": issue_id, "limit": request.per_page, "offset": request.offset}
    events = []
    for row in reader.all(EVENTS, **window):
        event = EVENT_COLUMNS.build(row)
        set_loaded(event, actor=ACTOR_COLUMNS.build_optional(row))
        events.append(event)
    if request.offset == 0 and len(events) < request.per_page:
        total = len(events)  # the whole timeline fits on its first page: most issues
    else:
        total = int(reader.scalar(EVENT_COUNT, issue_id=issue_id))
    comment_ids = [event.data.get("comment_id") for event in events if event.kind == COMMENTED]
    return Page(events, total, request), _comments(reader, comment_ids)


def _comments(reader: Reader, ids: Sequence[Any]) -> dict[int, Comment]:
    wanted = [comment_id for comment_id in ids if isinstance(comment_id, int)]
    if not wanted:
        return {}
    comments = {}
    for row in reader.all(COMMENTS, ids=wanted):
        comment = COMMENT_COLUMNS.build(row)
        set_loaded(comment, author=COMMENT_AUTHOR_COLUMNS.build_optional(row))
        comments[comment.id] = comment
    return comments
