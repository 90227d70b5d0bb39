"""Migration 0005: body_html is added to issues and comments and filled for the rows already
there; downgrading drops it and keeps the rows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from quart_app import migrate
from quart_app.db import make_engine, normalise_database_url
from quart_app.markdown import render_markdown

pytestmark = pytest.mark.integration

BEFORE = "0004"
COMMENTS = 2_345  # more than one batch of the backfill
ISSUE_BODIES = {
    1: "It **fails** with `E42`",
    2: "",
    3: '<script>alert("x")</script> [x](javascript:alert(1))',
}


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(normalise_database_url(database_url), for_migrations=True)
    yield engine
    await engine.dispose()


async def write_rows_before_the_migration(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO projects (id, key, name, description, visibility, "
                "last_issue_number, created_at, updated_at) VALUES (1, 'OLD', 'Old', '', "
                "'public', 3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO issues (id, project_id, number, title, body, state, comment_count, "
                "version, created_at, updated_at) VALUES (:id, 1, :id, 'Old', :body, 'open', 0, "
                "1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            [{"id": id_, "body": body} for id_, body in ISSUE_BODIES.items()],
        )
        await connection.execute(
            text(
                "INSERT INTO comments (id, issue_id, body, version, created_at, updated_at) "
                "VALUES (:id, 1, :body, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            [{"id": id_, "body": f"comment *{id_}*"} for id_ in range(1, COMMENTS + 1)],
        )


async def rows(engine: AsyncEngine, query: str) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(query))]


async def columns(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as connection:
        found = await connection.run_sync(lambda sync: inspect(sync).get_columns(table))
    return {column["name"] for column in found}


async def test_upgrading_renders_every_existing_issue_and_comment_body(
    engine: AsyncEngine,
) -> None:
    await migrate.upgrade(engine, BEFORE)
    await write_rows_before_the_migration(engine)
    await migrate.upgrade(engine)
    issues = await rows(engine, "SELECT body, body_html FROM issues ORDER BY id")
    comments = await rows(engine, "SELECT body, body_html FROM comments ORDER BY id")
    assert len(issues) == len(ISSUE_BODIES) and len(comments) == COMMENTS
    assert all(html == render_markdown(str(body)) for body, html in [*issues, *comments])
    assert issues[0][1] == "<p>It <strong>fails</strong> with <code>E42</code></p>\n"
    assert issues[1][1] == ""
    assert "<script" not in str(issues[2][1]) and "<a " not in str(issues[2][1])
    assert comments[-1][1] == f"<p>comment <em>{COMMENTS}</em></p>\n"


async def test_downgrading_drops_the_column_and_keeps_the_rows(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine, BEFORE)
    await write_rows_before_the_migration(engine)
    await migrate.upgrade(engine)
    await migrate.downgrade(engine, BEFORE)
    assert "body_html" not in await columns(engine, "issues") | await columns(engine, "comments")
    assert await rows(engine, "SELECT count(*) FROM issues") == [(len(ISSUE_BODIES),)]
    assert await rows(engine, "SELECT count(*) FROM comments") == [(COMMENTS,)]
