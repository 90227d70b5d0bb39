"""Issues for reading, in SQLAlchemy Core: one issue, or a page of a list, with everything shown.

The hottest reads of the tracker (load/README.md). The ORM did the same in three times the time:
these run as synchronous functions through ``db.run_read`` (quart_app/reads.py) and build
detached ``Issue`` objects, so the API and pages render them as they render ORM-loaded ones.
They read only the columns shown: people by name, milestones by title, and lists without bodies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import aliased

from quart_app.models import Issue, IssueAssignee, IssueLabel, Label, Milestone, User
from quart_app.models.rows import Columns, set_loaded
from quart_app.reads import Query, Reader, Row
from quart_app.services.access import ProjectAccess
from quart_app.services.errors import NotFoundError
from quart_app.services.labels import scope_of
from quart_app.services.pagination import Page, PageRequest

# What a page or the API shows of a person (templating.person, api.common.UserRef).
SHOWN_OF_A_PERSON = ("id", "username", "display_name")
ISSUE_COLUMNS = Columns(Issue, "issue_")
BODIES = {"body", "body_html"}
LISTED_ISSUE_COLUMNS = Columns(  # a list shows no bodies
    Issue, "issue_", only=tuple(key for key in ISSUE_COLUMNS.keys if key not in BODIES)
)
AUTHOR_COLUMNS = Columns(User, "author_", only=SHOWN_OF_A_PERSON)
MILESTONE_COLUMNS = Columns(Milestone, "milestone_", only=("id", "title"))
LABEL_COLUMNS = Columns(Label, "label_")
ASSIGNEE_COLUMNS = Columns(User, "assignee_", only=SHOWN_OF_A_PERSON)
# An issue as plain data: its columns by attribute name (a list's: no bodies), and "project"
# (the key), "key" ("WEB-42"), "author" and "assignees" (id, username, display_name),
# "milestone" (id, title), "labels" (every column, and "scope").
IssueSummary = dict[str, Any]
# An alias: list filters name users in subqueries of their own ("assignee=ada").
Author = aliased(User, name="author")


def _with_author_and_milestone(issue_columns: Columns[Issue]) -> Select[Any]:
    """Issue rows joined to their author and milestone; add the conditions and order."""
    return (
        select(*issue_columns.select(), *AUTHOR_COLUMNS.select(Author), *MILESTONE_COLUMNS.select())
        .select_from(Issue)
        .outerjoin(Author, Author.id == Issue.author_id)
        .outerjoin(Milestone, Milestone.id == Issue.milestone_id)
    )


ONE_ISSUE = Query(
    _with_author_and_milestone(ISSUE_COLUMNS).where(
        Issue.project_id == bindparam("project_id"), Issue.number == bindparam("number")
    )
)
LABELS_OF = Query(
    select(IssueLabel.issue_id, *LABEL_COLUMNS.select())
    .join(Label, Label.id == IssueLabel.label_id)
    .where(IssueLabel.issue_id.in_(bindparam("issue_ids", expanding=True)))
    .order_by(Label.name)
)
ASSIGNEES_OF = Query(
    select(IssueAssignee.issue_id, *ASSIGNEE_COLUMNS.select())
    .join(User, User.id == IssueAssignee.user_id)
    .where(IssueAssignee.issue_id.in_(bindparam("issue_ids", expanding=True)))
    .order_by(User.username)
)


def find_issue(reader: Reader, access: ProjectAccess, number: int) -> Issue:
    """Issue ``number`` of the project with its author, milestone, labels and assignees."""
    return _complete(reader, access, ISSUE_COLUMNS, [_issue_row(reader, access, number)])[0]


def find_issue_data(reader: Reader, access: ProjectAccess, number: int) -> IssueSummary:
    """Issue ``number`` as plain data, with its body (``find_issue`` without objects)."""
    return _summaries(reader, access, ISSUE_COLUMNS, [_issue_row(reader, access, number)])[0]


def _issue_row(reader: Reader, access: ProjectAccess, number: int) -> Row:
    row = reader.first(ONE_ISSUE, project_id=access.project.id, number=number)
    if row is None:
        raise NotFoundError(f"{access.project.key} has no issue #{number}.")
    return row


@dataclass(frozen=True)
class PageStatements:
    """A list's count and its page (no bodies), with the page's limit and offset as parameters."""

    count: Query
    page: Query


def page_statements(
    conditions: ColumnElement[bool], order: Sequence[ColumnElement[Any]]
) -> PageStatements:
    """The statements for a list of the issues meeting ``conditions``, in ``order``."""
    # Counted without the joins: SQLite then counts from an index alone (0.2 ms, not 4.5 ms
    # for 3,500 open issues).
    matching = select(Issue.id).where(conditions).subquery()
    # The page's ids first, then their rows: OFFSET then skips index entries, not joined rows
    # (page 20 of a list: 0.44 ms -> 0.12 ms on SQLite, and deeper pages cost the same).
    window = (
        select(Issue.id)
        .where(conditions)
        .order_by(*order)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    page = (
        _with_author_and_milestone(LISTED_ISSUE_COLUMNS)
        .join(window, window.c.id == Issue.id)
        .order_by(*order)
    )
    return PageStatements(count=Query(select(func.count()).select_from(matching)), page=Query(page))


def issue_page(
    reader: Reader, access: ProjectAccess, statements: PageStatements, request: PageRequest
) -> Page[Issue]:
    """A page of a list with the total count: four statements whatever the page size."""
    total, rows = _page_rows(reader, statements, request)
    items = _complete(reader, access, LISTED_ISSUE_COLUMNS, rows)
    return Page(items=items, total=total, request=request)


def issue_summaries(
    reader: Reader, access: ProjectAccess, statements: PageStatements, request: PageRequest
) -> Page[IssueSummary]:
    """A page of a list as plain data (see ``IssueSummary``): ``issue_page`` without objects.

    For the API, whose response model validates plain data in one pass: building ~75 detached
    objects per page and reading them back took half of a list request (docs/performance.md).
    """
    total, rows = _page_rows(reader, statements, request)
    items = _summaries(reader, access, LISTED_ISSUE_COLUMNS, rows)
    return Page(items=items, total=total, request=request)


def _page_rows(
    reader: Reader, statements: PageStatements, request: PageRequest
) -> tuple[int, list[Row]]:
    total = reader.count(statements.count)  # remembered: on SQLite, until the next commit
    return total, reader.all(statements.page, limit=request.per_page, offset=request.offset)


def _summaries(
    reader: Reader, access: ProjectAccess, issue_columns: Columns[Issue], rows: Sequence[Row]
) -> list[IssueSummary]:
    labels, assignees = _labels_and_assignees(reader, [row["issue_id"] for row in rows])
    key = access.project.key
    items = []
    for row in rows:
        issue = issue_columns.values(row)
        issue_id = issue["id"]
        issue.update(
            project=key, key=f"{key}-{issue['number']}",
            author=AUTHOR_COLUMNS.values_optional(row),
            milestone=MILESTONE_COLUMNS.values_optional(row),
            labels=[_label(label) for label in labels[issue_id]],
            assignees=[ASSIGNEE_COLUMNS.values(person) for person in assignees[issue_id]],
        )  # fmt: skip
        items.append(issue)
    return items


def _label(row: Row) -> dict[str, Any]:
    label = LABEL_COLUMNS.values(row)
    label["scope"] = scope_of(label["name"])
    return label


def _labels_and_assignees(
    reader: Reader, issue_ids: list[int]
) -> tuple[defaultdict[int, list[Row]], defaultdict[int, list[Row]]]:
    """The label rows and the assignee rows of these issues, by issue id (two statements)."""
    labels: defaultdict[int, list[Row]] = defaultdict(list)
    assignees: defaultdict[int, list[Row]] = defaultdict(list)
    if issue_ids:
        for row in reader.all(LABELS_OF, issue_ids=issue_ids):
            labels[row["issue_id"]].append(row)
        for row in reader.all(ASSIGNEES_OF, issue_ids=issue_ids):
            assignees[row["issue_id"]].append(row)
    return labels, assignees


def _complete(
    reader: Reader, access: ProjectAccess, issue_columns: Columns[Issue], rows: Sequence[Row]
) -> list[Issue]:
    """Issues from their rows, with their labels and assignees (two statements for all)."""
    if not rows:
        return []
    issues = [issue_columns.build(row) for row in rows]
    label_rows, assignee_rows = _labels_and_assignees(reader, [issue.id for issue in issues])
    labels: dict[int, list[Label]] = {
        issue_id: [LABEL_COLUMNS.build(row) for row in found]
        for issue_id, found in label_rows.items()
    }
    assignees: dict[int, list[User]] = {
        issue_id: [ASSIGNEE_COLUMNS.build(row) for row in found]
        for issue_id, found in assignee_rows.items()
    }
    for issue, row in zip(issues, rows, strict=True):
        set_loaded(
            issue, project=access.project, author=AUTHOR_COLUMNS.build_optional(row),
            milestone=MILESTONE_COLUMNS.build_optional(row), labels=labels.get(issue.id, []),
            assignees=assignees.get(issue.id, []),
        )  # fmt: skip
    return issues
