"""Issues: open one (the next per-project number), read, edit, close or reopen, triage, delete.

Edits take the versions the client last saw (an HTTP If-Match): the issue row is locked, its
version compared, then changed, so two people editing at once cannot overwrite each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from quart_app.models import CloseReason, Issue, IssueState, Project, Role, User, utcnow
from quart_app.services import events, triage
from quart_app.services.access import ProjectAccess
from quart_app.services.errors import InvalidInputError, NotFoundError
from quart_app.services.search import add_search_document, refresh_search_document
from quart_app.services.validation import clean_text
from quart_app.services.versions import IfMatch

TITLE_MAX = 200
BODY_MAX = 65_536
ISSUE_RELATIONS = (
    selectinload(Issue.project),
    selectinload(Issue.author),
    selectinload(Issue.milestone),
    selectinload(Issue.labels),
    selectinload(Issue.assignees),
)
UNSET = object()  # "leave the milestone as it is", where None means "no milestone"
ISSUES_TABLE = cast(Table, Issue.__table__)
PROJECTS_TABLE = cast(Table, Project.__table__)
ISSUE_COLUMN_KEYS = frozenset(column.key for column in inspect(Issue).column_attrs) - {"id"}
INSERT_ISSUE = insert(ISSUES_TABLE).returning(*ISSUES_TABLE.c)
NEXT_ISSUE_NUMBER = (
    update(PROJECTS_TABLE)
    .where(PROJECTS_TABLE.c.id == bindparam("project_id"))
    .values(last_issue_number=PROJECTS_TABLE.c.last_issue_number + 1)  # updated_at: onupdate
    .returning(PROJECTS_TABLE.c.last_issue_number)
)


@dataclass(frozen=True)
class IssueChanges:
    """What a PATCH asks for; None (or UNSET for milestone) leaves a field as it is."""

    title: str | None = None
    body: str | None = None
    state: IssueState | None = None
    close_reason: CloseReason | None = None
    labels: Sequence[str] | None = None
    assignees: Sequence[str] | None = None
    milestone: str | object | None = UNSET

    @property
    def triages(self) -> bool:
        return self.labels is not None or self.assignees is not None or self.milestone is not UNSET


def clean_body(body: str, *, field: str = "body") -> str:
    # Kept as typed (Markdown cares about whitespace); only the size is bounded.
    if len(body) > BODY_MAX:
        raise InvalidInputError.field(field, f"Use at most {BODY_MAX} characters.")
    return body


async def allocate_issue_number(session: AsyncSession, project_id: int) -> int:
    """Hand out the project's next number inside the current (write) transaction.

    One UPDATE ... RETURNING: the row lock (PostgreSQL) or write lock (SQLite) serialises
    concurrent creators, and a rollback returns the number, so there are no gaps or duplicates.
    """
    return await session.run_sync(_next_issue_number, project_id)


def _next_issue_number(session: Session, project_id: int) -> int:
    number = session.connection().scalar(NEXT_ISSUE_NUMBER, {"project_id": project_id})
    if number is None:
        raise LookupError(f"project {project_id} does not exist")
    return int(number)


async def get_issue(
    session: AsyncSession,
    access: ProjectAccess,
    number: int,
    *,
    for_update: bool = False,
    with_relations: bool = True,
) -> Issue:
    """The issue, locked for ``for_update``; with its labels, assignees, author and milestone
    unless ``with_relations`` is False (for callers that need only its row). For writes: reads
    use ``issue_rows.find_issue`` (Core, detached)."""
    statement = select(Issue).where(Issue.project_id == access.project.id, Issue.number == number)
    if for_update:
        statement = statement.with_for_update(of=Issue)  # SQLite: the write lock is held already
    if with_relations:
        statement = statement.options(*ISSUE_RELATIONS[1:])  # the project is known already
    issue = (await session.execute(statement)).unique().scalar_one_or_none()
    if issue is None:
        raise NotFoundError(f"{access.project.key} has no issue #{number}.")
    set_committed_value(issue, "project", access.project)  # loaded already, by the access check
    return issue


async def create_issue(
    session: AsyncSession,
    access: ProjectAccess,
    *,
    title: str,
    body: str = "",
    labels: Sequence[str] = (),
    assignees: Sequence[str] = (),
    milestone: str | None = None,
) -> Issue:
    author = access.require(Role.REPORTER, "open issues")
    triaging = bool(labels or assignees or milestone is not None)
    if triaging:
        access.require(Role.MAINTAINER, "set labels, assignees or a milestone")
    title = clean_text("title", title, maximum=TITLE_MAX)
    body = clean_body(body)
    chosen_labels = await triage.resolve_labels(session, access, labels)
    chosen_assignees = await triage.resolve_assignees(session, access, assignees, field="assignees")
    chosen_milestone = await triage.resolve_milestone(session, access, milestone)
    now = utcnow()
    issue = Issue(
        project_id=access.project.id, project=access.project, title=title, body=body,
        author_id=author.id, author=author, milestone_id=None, milestone=None, labels=[],
        assignees=[], state=IssueState.OPEN, close_reason=None, comment_count=0, version=1,
        closed_at=None, created_at=now, updated_at=now,
    )  # fmt: skip
    await session.run_sync(_insert_new_issue, issue, author)
    triage.set_labels(session, issue, author, chosen_labels)
    triage.set_assignees(session, issue, author, chosen_assignees)
    triage.set_milestone(session, issue, author, chosen_milestone)
    return issue


def _insert_new_issue(session: Session, issue: Issue, author: User) -> None:
    """Write a new issue's rows: its number, the issue, its "opened" event, its search document.

    Prepared Core statements, in one synchronous call: the ORM's flush and a round of the async
    adaptation per statement cost several times the statements, with SQLite's write lock held.
    The issue row's values come back (RETURNING), and ``issue`` becomes the session's object for
    it, as if loaded: a column the constructor left out holds what the database stored.
    """
    issue.number = _next_issue_number(session, issue.project_id)
    values = {key: value for key, value in vars(issue).items() if key in ISSUE_COLUMN_KEYS}
    vars(issue).update(session.connection().execute(INSERT_ISSUE, values).one()._mapping)
    make_transient_to_detached(issue)
    session.add(issue)
    events.insert_event(session, issue, author, events.OPENED)
    add_search_document(session, issue)


async def update_issue(
    session: AsyncSession,
    access: ProjectAccess,
    number: int,
    changes: IssueChanges,
    *,
    if_match: IfMatch,
) -> Issue:
    issue = await get_issue(session, access, number, for_update=True)
    actor = access.require_issue_editor(issue)
    if changes.triages:
        access.require(Role.MAINTAINER, "change labels, assignees or the milestone")
    if_match.check(issue.version, f"#{issue.number}")
    text_changed = _edit_text(session, issue, actor, changes)
    changed = _change_state(session, issue, actor, changes)
    changed |= await _triage(session, access, issue, actor, changes)
    if text_changed or changed:
        issue.version += 1
        await session.flush()
    if text_changed:
        await refresh_search_document(session, issue)
    return issue


async def delete_issue(
    session: AsyncSession,
    access: ProjectAccess,
    number: int,
    *,
    if_match: IfMatch,
) -> None:
    """Delete the issue with its comments and events; its number is not handed out again."""
    access.require(Role.OWNER, "delete issues")
    issue = await get_issue(session, access, number, for_update=True)
    if_match.check(issue.version, f"#{issue.number}")
    await session.execute(delete(Issue).where(Issue.id == issue.id))
    session.expunge(issue)


async def add_labels(
    session: AsyncSession, access: ProjectAccess, number: int, names: Sequence[str]
) -> Issue:
    actor = access.require(Role.MAINTAINER, "label issues")
    issue = await get_issue(session, access, number, for_update=True)
    labels = await triage.resolve_labels(session, access, names)
    return await _bump_if(session, issue, triage.add_labels(session, issue, actor, labels))


async def remove_label(
    session: AsyncSession, access: ProjectAccess, number: int, label_id: int
) -> Issue:
    actor = access.require(Role.MAINTAINER, "label issues")
    issue = await get_issue(session, access, number, for_update=True)
    if label_id not in {label.id for label in issue.labels}:
        raise NotFoundError(f"#{number} does not have label {label_id}.")
    kept = [label for label in issue.labels if label.id != label_id]
    return await _bump_if(session, issue, triage.set_labels(session, issue, actor, kept))


async def add_assignees(
    session: AsyncSession, access: ProjectAccess, number: int, usernames: Sequence[str]
) -> Issue:
    actor = access.require(Role.MAINTAINER, "assign issues")
    issue = await get_issue(session, access, number, for_update=True)
    users = await triage.resolve_assignees(session, access, usernames, field="assignees")
    wanted = [*issue.assignees, *(u for u in users if u not in issue.assignees)]
    return await _bump_if(session, issue, triage.set_assignees(session, issue, actor, wanted))


async def remove_assignee(
    session: AsyncSession, access: ProjectAccess, number: int, username: str
) -> Issue:
    actor = access.require(Role.MAINTAINER, "assign issues")
    issue = await get_issue(session, access, number, for_update=True)
    kept = [user for user in issue.assignees if user.username != username.strip().lower()]
    if len(kept) == len(issue.assignees):
        raise NotFoundError(f"#{number} is not assigned to {username!r}.")
    return await _bump_if(session, issue, triage.set_assignees(session, issue, actor, kept))


async def _bump_if(session: AsyncSession, issue: Issue, changed: bool) -> Issue:
    if changed:
        issue.version += 1
        await session.flush()
    return issue


def _edit_text(session: AsyncSession, issue: Issue, actor: User, changes: IssueChanges) -> bool:
    changed = False
    if changes.title is not None:
        title = clean_text("title", changes.title, maximum=TITLE_MAX)
        if title != issue.title:
            events.record_event(
                session, issue, actor, events.TITLE_CHANGED, before=issue.title, after=title
            )
            issue.title, changed = title, True
    if changes.body is not None and clean_body(changes.body) != issue.body:
        events.record_event(session, issue, actor, events.BODY_EDITED)
        issue.body, changed = changes.body, True
    return changed


def _change_state(session: AsyncSession, issue: Issue, actor: User, changes: IssueChanges) -> bool:
    if changes.close_reason is not None and changes.state != IssueState.CLOSED:
        raise InvalidInputError.field("close_reason", 'A close reason goes with "state": "closed".')
    if changes.state == IssueState.CLOSED:
        # Closing a closed issue keeps its reason unless a new one is given.
        default = issue.close_reason if issue.state == IssueState.CLOSED else None
        reason = changes.close_reason or default or CloseReason.COMPLETED
        if issue.state == IssueState.CLOSED and issue.close_reason == reason:
            return False
        events.record_event(
            session, issue, actor, events.CLOSED,
            before=issue.state.value, after="closed", reason=reason.value,
        )  # fmt: skip
        if issue.state == IssueState.OPEN:
            issue.closed_at = utcnow()
        issue.state, issue.close_reason = IssueState.CLOSED, reason
        return True
    if changes.state == IssueState.OPEN and issue.state == IssueState.CLOSED:
        events.record_event(session, issue, actor, events.REOPENED, before="closed", after="open")
        issue.state, issue.close_reason, issue.closed_at = IssueState.OPEN, None, None
        return True
    return False


async def _triage(
    session: AsyncSession, access: ProjectAccess, issue: Issue, actor: User, changes: IssueChanges
) -> bool:
    changed = False
    if changes.labels is not None:
        labels = await triage.resolve_labels(session, access, changes.labels)
        changed |= triage.set_labels(session, issue, actor, labels)
    if changes.assignees is not None:
        users = await triage.resolve_assignees(
            session, access, changes.assignees, field="assignees"
        )
        changed |= triage.set_assignees(session, issue, actor, users)
    if changes.milestone is not UNSET:
        title = changes.milestone if isinstance(changes.milestone, str) else None
        milestone = await triage.resolve_milestone(session, access, title)
        changed |= triage.set_milestone(session, issue, actor, milestone)
    return changed
