"""SQLite set up for several worker processes: WAL, busy timeout, foreign keys, BEGIN IMMEDIATE."""

from __future__ import annotations

import time

import pytest
from quart import Quart
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from quart_app import create_app
from quart_app.db import Database
from quart_app.models import Membership, Project
from tests.support import config_for, create_current_schema, sqlite_only

pytestmark = [pytest.mark.integration, sqlite_only]


async def pragma(database: Database, name: str) -> object:
    async with database.read_sessions() as session:
        return (await session.execute(text(f"PRAGMA {name}"))).scalar()


async def test_connections_use_wal_with_a_busy_timeout_and_foreign_keys(database: Database) -> None:
    assert await pragma(database, "journal_mode") == "wal"
    assert await pragma(database, "busy_timeout") == 5000
    assert await pragma(database, "foreign_keys") == 1
    assert await pragma(database, "synchronous") == 1  # NORMAL


async def test_foreign_keys_are_enforced(database: Database) -> None:
    async with database.write_sessions() as session:
        with pytest.raises(IntegrityError):
            await session.execute(
                insert(Membership).values(project_id=999, user_id=999, role="owner")
            )


async def test_a_write_transaction_takes_the_write_lock_at_begin(database_url: str) -> None:
    await create_current_schema(database_url)
    app = create_app(config_for(database_url, SQLITE_BUSY_TIMEOUT_MS=100))
    async with app.test_app():
        database: Database = app.extensions["db"]
        async with database.write_sessions() as first, database.write_sessions() as second:
            await first.execute(select(1))  # only reads, yet holds the write lock (IMMEDIATE)
            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                await second.execute(select(1))
            assert time.monotonic() - started >= 0.09  # it waited for the busy timeout


async def test_readers_do_not_block_a_writer(app: Quart, database: Database) -> None:
    async with database.read_sessions() as reader, database.write_sessions() as writer:
        await reader.execute(select(Project))
        await writer.execute(insert(Project).values(key="W", name="w", visibility="private"))
        await writer.commit()
        assert (await reader.execute(select(Project))).all() == []  # its snapshot is stable
