"""SQLite writes run inline on the event loop; waiting for another process's lock must not stop it.

Each ``Database`` below stands for one worker process: its own write connection, its own place in
the queue for SQLite's write lock. Both run on the test's event loop, so a writer that slept in
SQLite's busy handler would stop the other one from ever releasing the lock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import insert, select

from quart_app import create_app
from quart_app.db import Database
from quart_app.models import Issue, Project, Role, User
from quart_app.services.access import ProjectAccess
from quart_app.services.accounts import create_user
from quart_app.services.issues import create_issue
from quart_app.services.projects import create_project
from tests.support import config_for, create_current_schema, sqlite_only

pytestmark = [pytest.mark.integration, sqlite_only]

BUSY_TIMEOUT_MS = 2000
CREATES = 60


@pytest.fixture
async def two_workers(database_url: str) -> AsyncIterator[list[Database]]:
    """The started app's database and another process's, on one SQLite file."""
    await create_current_schema(database_url)
    app = create_app(config_for(database_url, SQLITE_BUSY_TIMEOUT_MS=BUSY_TIMEOUT_MS))
    async with app.test_app():
        other_worker = Database.from_config(app.config)
        try:
            yield [app.extensions["db"], other_worker]
        finally:
            await other_worker.dispose()


async def insert_project(database: Database, key: str) -> None:
    async with database.write_sessions() as session, session.begin():
        await session.execute(insert(Project).values(key=key, name=key, visibility="private"))


async def test_a_writer_waiting_for_another_process_leaves_the_event_loop_serving(
    two_workers: list[Database],
) -> None:
    ours, theirs = two_workers
    async with theirs.write_sessions() as holder:
        await holder.execute(insert(Project).values(key="FIRST", name="f", visibility="private"))
        waiting = asyncio.create_task(insert_project(ours, "SECOND"))
        started = time.monotonic()
        for _ in range(10):
            await asyncio.sleep(0.01)  # the loop keeps turning while the writer waits

        assert time.monotonic() - started < BUSY_TIMEOUT_MS / 1000 / 4
        assert not waiting.done()  # still waiting for the lock, not failed
        await holder.commit()
    await asyncio.wait_for(waiting, BUSY_TIMEOUT_MS / 1000)
    async with ours.read_sessions() as session:
        assert set((await session.scalars(select(Project.key))).all()) == {"FIRST", "SECOND"}


async def test_concurrent_creates_from_two_processes_get_numbers_1_to_n(
    two_workers: list[Database],
) -> None:
    project_id, author_id = await project_with_owner(two_workers[0])

    numbers = await asyncio.gather(
        *(create_one(two_workers[i % 2], project_id, author_id, i) for i in range(CREATES))
    )

    assert sorted(numbers) == list(range(1, CREATES + 1))
    async with two_workers[1].read_sessions() as session:
        titles = (await session.scalars(select(Issue.title).order_by(Issue.number))).all()
    assert sorted(titles) == sorted(f"Issue {i}" for i in range(CREATES))


async def project_with_owner(database: Database) -> tuple[int, int]:
    async with database.write_sessions() as session, session.begin():
        owner = await create_user(
            session, username="owner", email="o@example.com", password="p" * 12, verified=True
        )
        project = await create_project(session, owner=owner, key="RACE", name="Race")
    return project.id, owner.id


async def create_one(database: Database, project_id: int, author_id: int, index: int) -> int:
    async with database.write_sessions() as session, session.begin():
        project, author = await session.get(Project, project_id), await session.get(User, author_id)
        assert project is not None and author is not None
        access = ProjectAccess(project=project, user=author, role=Role.OWNER)
        issue = await create_issue(session, access, title=f"Issue {index}")
        await asyncio.sleep(0)  # let the other process's writers try for the lock meanwhile
        return issue.number
