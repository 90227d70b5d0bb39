"""SQLite set up for several worker processes: WAL, busy timeout, foreign keys, BEGIN IMMEDIATE."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from quart import Quart
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from quart_app import create_app
from quart_app.db import Database, InlineSQLiteConnection
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
        other_worker = Database.from_config(app.config)  # another process's engine
        try:
            async with database.write_sessions() as first, other_worker.write_sessions() as second:
                await first.execute(select(1))  # only reads, yet holds the write lock (IMMEDIATE)
                started = time.monotonic()
                with pytest.raises(OperationalError, match="database is locked"):
                    await second.execute(select(1))
                assert time.monotonic() - started >= 0.09  # it waited for the busy timeout
        finally:
            await other_worker.dispose()


async def test_writers_of_one_process_queue_for_its_connection_instead_of_failing(
    database_url: str,
) -> None:
    """One write connection per process: a second writer waits in the pool, however long the
    first holds SQLite's lock, instead of failing after busy_timeout in SQLite's busy handler."""
    await create_current_schema(database_url)
    app = create_app(config_for(database_url, SQLITE_BUSY_TIMEOUT_MS=100))
    async with app.test_app():
        database: Database = app.extensions["db"]

        async def write(key: str, hold_seconds: float) -> None:
            async with database.write_sessions() as session, session.begin():
                await session.execute(
                    insert(Project).values(key=key, name=key, visibility="private")
                )
                await asyncio.sleep(hold_seconds)  # well past the 100 ms busy timeout

        await asyncio.gather(write("FIRST", 0.3), write("SECOND", 0))
        async with database.read_sessions() as session:
            keys = set((await session.scalars(select(Project.key))).all())
    assert keys == {"FIRST", "SECOND"}


async def test_readers_do_not_block_a_writer(app: Quart, database: Database) -> None:
    async with database.read_sessions() as reader, database.write_sessions() as writer:
        await reader.execute(select(Project))
        await writer.execute(insert(Project).values(key="W", name="w", visibility="private"))
        await writer.commit()
        assert (await reader.execute(select(Project))).all() == []  # its snapshot is stable


async def test_reads_and_writes_run_on_the_event_loop_thread(
    app: Quart, database: Database
) -> None:
    """A thread hand-off per statement cost more than the statement itself (db.make_read_engine,
    db._create_sqlite_engine)."""
    threads_before = threading.active_count()
    async with database.read_sessions() as reader, database.write_sessions() as writer:
        for session in (reader, writer):
            await session.execute(select(Project))
            connection = await (await session.connection()).get_raw_connection()
            assert isinstance(connection.driver_connection, InlineSQLiteConnection)
        assert threading.active_count() == threads_before  # no aiosqlite thread was started


async def test_a_failing_read_raises_the_database_error_and_the_connection_lives_on(
    app: Quart, database: Database
) -> None:
    async with database.read_sessions() as reader:
        with pytest.raises(OperationalError, match="no such table"):
            await reader.execute(text("SELECT * FROM no_such_table"))
    async with database.read_sessions() as reader:
        assert (await reader.execute(text("SELECT 1"))).scalar() == 1
