"""The full-text index: our tokenizer, the documents it keeps, and the migration that fills it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from quart_app import migrate
from quart_app.db import Database, make_engine, normalise_database_url
from quart_app.models import IssueSearchDocument, Project, User
from quart_app.services.accounts import create_user
from quart_app.services.issue_lists import IssueFilters, StateFilter, list_project_issues
from quart_app.services.projects import create_project, delete_project
from quart_app.services.search import MAX_WORD_LENGTH, search_document, words_in
from tests.factories import acting_as, open_issue, run_sync_read
from tests.support import sqlite_only

pytestmark = pytest.mark.integration


def test_words_are_lowercased_letter_and_digit_runs_in_order_without_repeats() -> None:
    assert words_in("Sign-in FAILS; sign_in fails: v2.3 café") == [
        "sign", "in", "fails", "v2", "3", "café",
    ]  # fmt: skip


def test_long_words_are_cut_so_a_long_query_still_matches() -> None:
    word = "x" * 100
    assert words_in(word) == ["x" * MAX_WORD_LENGTH]
    assert search_document("a b", "b c") == "a b c"


async def make_owner(session: AsyncSession) -> User:
    return await create_user(
        session, username="ada", email="ada@example.com", password="a fine passphrase",
        verified=True,
    )  # fmt: skip


async def search(session: AsyncSession, project: Project, owner: User, query: str) -> list[int]:
    filters = IssueFilters(state=StateFilter.ALL, query=query)
    page = await run_sync_read(session, list_project_issues, acting_as(project, owner), filters)
    return [issue.number for issue in page.items]


async def test_search_finds_words_by_prefix_and_ignores_punctuation_in_queries(
    session: AsyncSession,
) -> None:
    owner = await make_owner(session)
    project = await create_project(session, owner=owner, key="WEB", name="Web")
    await open_issue(session, project, owner, title="Authentication breaks", body="on Safari")
    await open_issue(session, project, owner, title="Dark mode", body="contrast")
    assert await search(session, project, owner, "auth") == [1]
    assert await search(session, project, owner, '"AUTH*" OR safari') == []  # OR is a word
    assert await search(session, project, owner, '"AUTH*" safari') == [1]
    assert await search(session, project, owner, "!!!") == [2, 1]  # no words: no text filter


@sqlite_only
async def test_deleting_a_project_empties_the_sqlite_fts_index(database: Database) -> None:
    async with database.write_sessions() as session:
        owner = await make_owner(session)
        project = await create_project(session, owner=owner, key="WEB", name="Web")
        await open_issue(session, project, owner, title="Indexed words")
        await session.commit()
        assert await fts_rows(session) == 1
        await delete_project(session, acting_as(project, owner))
        await session.commit()
        assert await session.scalar(select(func.count()).select_from(IssueSearchDocument)) == 0
        assert await fts_rows(session) == 0


async def fts_rows(session: AsyncSession) -> int:
    # The FTS5 index itself: a MATCH on a word only the deleted issue had.
    return int(
        await session.scalar(
            text("SELECT count(*) FROM issue_search_fts WHERE issue_search_fts MATCH 'indexed'")
        )
        or 0
    )


@pytest.fixture
async def migration_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(normalise_database_url(database_url), for_migrations=True)
    yield engine
    await engine.dispose()


async def test_the_migration_indexes_issues_that_existed_before_it(
    migration_engine: AsyncEngine, database_url: str
) -> None:
    await migrate.upgrade(migration_engine, "0002")
    async with migration_engine.begin() as connection:
        for statement in (
            "INSERT INTO users (id, username, display_name, email, password_hash, is_admin, "
            "created_at, updated_at) VALUES (1, 'ada', '', 'a@example.com', 'x', false, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO projects (id, key, name, description, visibility, last_issue_number, "
            "created_at, updated_at) VALUES (1, 'OLD', 'Old', '', 'public', 1, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO issues (id, project_id, number, title, body, state, comment_count, "
            "version, created_at, updated_at) VALUES (1, 1, 1, 'Legacy crash', 'old body', "
            "'open', 1, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO comments (id, issue_id, body, version, created_at, updated_at) "
            "VALUES (1, 1, 'Seen on Windows', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        ):
            await connection.execute(text(statement))
    await migrate.upgrade(migration_engine)

    database = Database.for_engine(make_engine(normalise_database_url(database_url)))
    try:
        async with database.read_sessions() as session:
            project = await session.get_one(Project, 1)
            owner = await session.get_one(User, 1)
            assert await search(session, project, owner, "windows legacy") == [1]
    finally:
        await database.dispose()
