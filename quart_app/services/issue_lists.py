"""Finding issues: filters that combine, full-text search, sorting, pages.

A page costs a fixed number of queries whatever its size. A project's list, the hottest, is
Core (``issue_rows``, four statements: the count, the page with authors and milestones, labels,
assignees); the others are ORM, with one selectin query per relation.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import (
    Issue,
    IssueAssignee,
    IssueLabel,
    IssueState,
    Label,
    Membership,
    Milestone,
    User,
)
from quart_app.reads import Reader
from quart_app.services import issue_rows
from quart_app.services.access import ProjectAccess, visible_project_ids
from quart_app.services.errors import InvalidInputError
from quart_app.services.issues import ISSUE_RELATIONS
from quart_app.services.pagination import Page, PageRequest, paginate
from quart_app.services.search import matching_issue_ids

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])
MAX_LABELS = 20  # each label is a condition: unbounded, one request could stall the database
ANYONE = "*"
NOBODY = "none"
ME = "me"


class StateFilter(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ALL = "all"


class SortKey(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    COMMENTS = "comments"


class Direction(enum.StrEnum):
    ASC = "asc"
    DESC = "desc"


class Relation(enum.StrEnum):
    """For the cross-project view: issues assigned to me, or opened by me."""

    ASSIGNED = "assigned"
    CREATED = "created"


SORT_COLUMNS = {
    SortKey.CREATED: Issue.created_at,
    SortKey.UPDATED: Issue.updated_at,
    SortKey.COMMENTS: Issue.comment_count,
}


@dataclass(frozen=True)
class IssueFilters:
    state: StateFilter = StateFilter.OPEN
    labels: tuple[str, ...] = ()  # all of them
    assignee: str | None = None  # a username, "none", "*" or "me"
    author: str | None = None  # a username or "me"
    milestone: str | None = None  # a title, "none" or "*"
    query: str = ""
    sort: SortKey = SortKey.CREATED
    direction: Direction = Direction.DESC
    page: PageRequest = field(default_factory=PageRequest)


def list_project_issues(
    reader: Reader, access: ProjectAccess, filters: IssueFilters
) -> Page[Issue]:
    """A page of the project's issues: synchronous Core, run it with ``db.run_read``."""
    statements = _statements_for(reader, access, filters)
    return issue_rows.issue_page(reader, access, statements, filters.page)


def list_project_issue_summaries(
    reader: Reader, access: ProjectAccess, filters: IssueFilters
) -> Page[issue_rows.IssueSummary]:
    """The same page as plain data, for the API (see ``issue_rows.issue_summaries``)."""
    statements = _statements_for(reader, access, filters)
    return issue_rows.issue_summaries(reader, access, statements, filters.page)


def _statements_for(
    reader: Reader, access: ProjectAccess, filters: IssueFilters
) -> issue_rows.PageStatements:
    user_id = access.user.id if access.user is not None else None
    return _project_list_statements(
        reader.dialect.name, access.project.id, user_id, replace(filters, page=PageRequest())
    )


@functools.lru_cache(maxsize=256)
def _project_list_statements(
    dialect: str, project_id: int, user_id: int | None, filters: IssueFilters
) -> issue_rows.PageStatements:
    """Built and compiled once per project and filter set: building and compiling a statement
    costs more than SQLite takes to run it, and most requests ask for the same few lists."""
    statement = select(Issue.id).where(Issue.project_id == project_id)
    statement = _filtered(dialect, statement, filters, user_id, project_id)
    conditions = statement.whereclause
    assert conditions is not None  # the project's, at least
    return issue_rows.page_statements(conditions, _order(filters))


async def count_by_state(
    session: AsyncSession, access: ProjectAccess, filters: IssueFilters
) -> dict[IssueState, int]:
    """How many issues match the other filters in each state: the list's open/closed tabs."""
    every_state = replace(filters, state=StateFilter.ALL)
    in_project = select(Issue.id, Issue.state).where(Issue.project_id == access.project.id)
    matching = _filtered(
        _dialect(session), in_project, every_state, _id(access.user), access.project.id
    ).subquery()
    rows = await session.execute(
        select(matching.c.state, func.count()).select_from(matching).group_by(matching.c.state)
    )
    counts = {state: 0 for state in IssueState}
    counts.update({IssueState(state): count for state, count in rows})
    return counts


async def recently_updated(session: AsyncSession, user: User, *, limit: int = 10) -> list[Issue]:
    """The latest changed issues in the projects ``user`` is a member of (their dashboard)."""
    member_of = select(Membership.project_id).where(Membership.user_id == user.id)
    statement = (
        select(Issue)
        .where(Issue.project_id.in_(member_of))
        .order_by(Issue.updated_at.desc(), Issue.id.desc())
        .limit(limit)
        .options(*ISSUE_RELATIONS)
    )
    return list(await session.scalars(statement))


async def list_my_issues(
    session: AsyncSession, user: User, relation: Relation, filters: IssueFilters
) -> Page[Issue]:
    """Issues assigned to or opened by ``user`` in every project they can still see."""
    mine = (
        Issue.author_id == user.id
        if relation == Relation.CREATED
        else Issue.id.in_(select(IssueAssignee.issue_id).where(IssueAssignee.user_id == user.id))
    )
    statement = select(Issue).where(mine, Issue.project_id.in_(visible_project_ids(user)))
    statement = _filtered(_dialect(session), statement, filters, user.id, None)
    ordered = _ordered(statement, filters).options(*ISSUE_RELATIONS)
    return await paginate(session, ordered, filters.page)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _id(user: User | None) -> int | None:
    return user.id if user is not None else None


def _filtered(
    dialect: str,
    statement: SelectT,
    filters: IssueFilters,
    user_id: int | None,
    project_id: int | None,
) -> SelectT:
    """Apply every filter; ``project_id`` None means across projects (names match anywhere)."""
    statement = statement.where(*_label_conditions(filters.labels, project_id))
    if filters.milestone is not None:
        statement = statement.where(_milestone_condition(filters.milestone, project_id))
    if filters.state != StateFilter.ALL:
        statement = statement.where(Issue.state == IssueState(filters.state.value))
    if filters.assignee is not None:
        statement = statement.where(_assignee_condition(filters.assignee, user_id))
    if filters.author is not None:
        author_id = _user_id(filters.author, user_id, "author")
        statement = statement.where(Issue.author_id == author_id)
    search = matching_issue_ids(dialect, filters.query)
    if search is not None:
        statement = statement.where(search)
    return statement


def _ordered(statement: SelectT, filters: IssueFilters) -> SelectT:
    return statement.order_by(*_order(filters))


def _order(filters: IssueFilters) -> list[ColumnElement[Any]]:
    column = SORT_COLUMNS[filters.sort]
    if filters.direction == Direction.ASC:
        return [column.asc(), Issue.id.asc()]
    return [column.desc(), Issue.id.desc()]


def _user_id(name: str, user_id: int | None, field: str) -> ColumnElement[int] | int:
    if name == ME:
        if user_id is None:
            raise InvalidInputError.field(field, 'Sign in to use "me".')
        return user_id
    return select(User.id).where(User.username == name.strip().lower()).scalar_subquery()


def _assignee_condition(assignee: str, user_id: int | None) -> ColumnElement[bool]:
    assigned = exists().where(IssueAssignee.issue_id == Issue.id)
    if assignee == NOBODY:
        return ~assigned
    if assignee == ANYONE:
        return assigned
    return assigned.where(IssueAssignee.user_id == _user_id(assignee, user_id, "assignee"))


def _label_conditions(names: tuple[str, ...], project_id: int | None) -> list[ColumnElement[bool]]:
    """One condition per label: the issue must carry all of them."""
    if len(set(names)) > MAX_LABELS:
        raise InvalidInputError.field("labels", f"Filter by at most {MAX_LABELS} labels.")
    conditions: list[ColumnElement[bool]] = []
    for name in dict.fromkeys(names):
        labelled = (
            exists()
            .where(IssueLabel.issue_id == Issue.id, IssueLabel.label_id == Label.id)
            .where(Label.name == name)
        )
        if project_id is not None:
            labelled = labelled.where(Label.project_id == project_id)
        conditions.append(labelled)
    return conditions


def _milestone_condition(milestone: str, project_id: int | None) -> ColumnElement[bool]:
    if milestone == NOBODY:
        return Issue.milestone_id.is_(None)
    if milestone == ANYONE:
        return Issue.milestone_id.is_not(None)
    titled = select(Milestone.id).where(Milestone.title == milestone)
    if project_id is not None:
        titled = titled.where(Milestone.project_id == project_id)
    return Issue.milestone_id.in_(titled)
