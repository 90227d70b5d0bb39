"""reads.Query and Reader: the rows SQLAlchemy's own results would give, on both databases."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.db import Database
from quart_app.models import (
    CloseReason,
    Issue,
    IssueEvent,
    IssueState,
    Project,
    User,
    utcnow,
)
from quart_app.reads import Query, Reader
from tests.factories import open_issue

pytestmark = pytest.mark.integration


async def arrange(session: AsyncSession) -> tuple[Project, User, list[Issue]]:
    """A project with three issues (one closed) by an admin, and an event with JSON data."""
    ada = User(username="ada", display_name="Ada", email="ada@example.com", password_hash="x")
    ada.is_admin = True
    ada.email_verified_at = utcnow() - timedelta(days=1)
    project = Project(key="WEB", name="Website")
    session.add_all([ada, project])
    await session.flush()
    issues = [await open_issue(session, project, ada, title=f"Issue {n}") for n in (1, 2, 3)]
    issues[1].state, issues[1].close_reason = IssueState.CLOSED, CloseReason.NOT_PLANNED
    issues[1].closed_at = utcnow()
    session.add(
        IssueEvent(
            project_id=project.id, issue_id=issues[0].id, actor_id=ada.id, kind="labeled",
            data={"label": "bug", "ids": [1, 2], "nested": {"on": True}},
        )
    )  # fmt: skip
    await session.commit()
    return project, ada, issues


async def sqlalchemy_rows(database: Database, statement: Select[Any], **values: Any) -> list[dict]:
    async with database.read_sessions() as session:
        result = await session.execute(statement, values)
        return [dict(row) for row in result.mappings()]


EVERY_KIND_OF_VALUE = [
    select(Issue.__table__).order_by(Issue.id),
    select(User.id, User.is_admin, User.email_verified_at, User.disabled_at, User.created_at),
    select(IssueEvent.kind, IssueEvent.data, IssueEvent.created_at).where(
        IssueEvent.kind == "labeled"
    ),
]


@pytest.mark.parametrize("statement", EVERY_KIND_OF_VALUE, ids=["issues", "users", "events"])
async def test_rows_are_what_sqlalchemy_gives(
    database: Database, session: AsyncSession, statement: Select[Any]
) -> None:
    """Dates (aware, UTC), enums, booleans, NULLs and JSON come back converted, as the ORM's."""
    await arrange(session)
    expected = await sqlalchemy_rows(database, statement)
    query = Query(statement)

    rows = await database.run_read(lambda reader: reader.all(query))
    tuples = await database.run_read(lambda reader: reader.tuples(query))

    assert rows == expected
    assert rows and all(row.keys() == expected[0].keys() for row in rows)
    assert [tuple(row) for row in tuples] == [tuple(row.values()) for row in expected]


async def test_in_lists_of_every_length(database: Database, session: AsyncSession) -> None:
    """The SQL of an IN list depends on its length: each length gets its own, reused after."""
    _, _, issues = await arrange(session)
    titles = Query(
        select(Issue.title).where(Issue.id.in_(bindparam("ids", expanding=True))).order_by(Issue.id)
    )
    ids = [issue.id for issue in issues]

    def read(reader: Reader, wanted: list[int]) -> list[str]:
        return [row["title"] for row in reader.all(titles, ids=wanted)]

    assert await database.run_read(read, ids[:1]) == ["Issue 1"]
    assert await database.run_read(read, ids) == ["Issue 1", "Issue 2", "Issue 3"]
    assert await database.run_read(read, ids[1:]) == ["Issue 2", "Issue 3"]
    assert await database.run_read(read, ids[2:]) == ["Issue 3"]
    assert await database.run_read(read, [-1]) == []


async def test_values_written_in_the_statement_are_sent_converted(
    database: Database, session: AsyncSession
) -> None:
    """Constants in a statement (an enum; a moment in another time zone, which SQLite stores as
    UTC text) need no value from the caller, and are sent as SQLAlchemy would send them."""
    _, _, issues = await arrange(session)
    closed = Query(select(Issue.title).where(Issue.state == IssueState.CLOSED))
    open_ones = Query(
        select(Issue.title).where(Issue.state == IssueState.OPEN).order_by(Issue.id.desc())
    )
    in_paris = issues[0].created_at.astimezone(timezone(timedelta(hours=1)))
    opened_then = Query(select(Issue.title).where(Issue.created_at == in_paris))

    assert await database.run_read(lambda reader: reader.all(closed)) == [{"title": "Issue 2"}]
    assert await database.run_read(lambda reader: reader.scalar(open_ones)) == "Issue 3"
    assert await database.run_read(lambda reader: reader.scalar(opened_then)) == "Issue 1"


async def test_the_caller_s_values_are_sent_converted(
    database: Database, session: AsyncSession
) -> None:
    _, _, issues = await arrange(session)
    opened_at = Query(select(Issue.title).where(Issue.created_at == bindparam("moment")))
    in_paris = issues[2].created_at.astimezone(timezone(timedelta(hours=1)))

    title = await database.run_read(lambda reader: reader.scalar(opened_at, moment=in_paris))

    assert title == "Issue 3"


async def test_first_and_scalar_with_no_row_are_none(
    database: Database, session: AsyncSession
) -> None:
    await arrange(session)
    by_number = Query(select(Issue.title).where(Issue.number == bindparam("number")))

    assert await database.run_read(lambda reader: reader.first(by_number, number=99)) is None
    assert await database.run_read(lambda reader: reader.scalar(by_number, number=99)) is None
    assert await database.run_read(lambda reader: reader.scalar(by_number, number=1)) == "Issue 1"


async def test_a_missing_value_is_named(database: Database) -> None:
    by_key = Query(select(Project.name).where(Project.key == bindparam("key")))

    for _ in range(2):  # before and after the statement was compiled
        with pytest.raises(TypeError, match="needs a value for key"):
            await database.run_read(lambda reader: reader.all(by_key))
    assert await database.run_read(lambda reader: reader.all(by_key, key="WEB")) == []
