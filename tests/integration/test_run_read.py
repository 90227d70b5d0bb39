"""db.run_read: synchronous reads (a Reader's Queries), inline on a SQLite file, through the
async driver elsewhere."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import select

from quart_app.db import Database
from quart_app.models import Project
from quart_app.reads import Query, Reader
from quart_app.services.errors import NotFoundError
from tests.support import ON_POSTGRES, sqlite_only

pytestmark = pytest.mark.integration


async def add_project(database: Database, key: str, name: str) -> None:
    async with database.write_sessions() as session, session.begin():
        session.add(Project(key=key, name=name))


PROJECT_NAMES = Query(select(Project.name).order_by(Project.key))


def project_names(reader: Reader) -> list[str]:
    return [row["name"] for row in reader.all(PROJECT_NAMES)]


async def test_it_reads_committed_rows_only(database: Database) -> None:
    await add_project(database, "WEB", "Website")
    async with database.write_sessions() as session, session.begin():
        session.add(Project(key="APP", name="App"))
        await session.flush()  # written, not committed: other connections cannot see it
        assert await database.run_read(project_names) == ["Website"]
    assert await database.run_read(project_names) == ["App", "Website"]


async def test_an_error_reaches_the_caller_and_the_next_read_works(database: Database) -> None:
    def refuse(_reader: Reader) -> None:
        raise NotFoundError("no such thing")

    for _ in range(8):  # more than the pool holds: every connection went back to it (PostgreSQL)
        with pytest.raises(NotFoundError):
            await database.run_read(refuse)
    assert await database.run_read(project_names) == []


async def test_on_postgresql_it_goes_through_the_async_driver(database: Database) -> None:
    assert (database.inline_reads is None) is ON_POSTGRES


@sqlite_only
async def test_on_a_sqlite_file_it_runs_on_the_event_loop_s_thread(database: Database) -> None:
    loop_thread = threading.get_ident()
    assert await database.run_read(lambda _reader: threading.get_ident()) == loop_thread


@sqlite_only
async def test_one_function_reads_one_snapshot(database: Database) -> None:
    """The statements of one function read the database as it was at the first: a write that
    commits between them (here another process's, by sqlite3) is not half seen."""
    await add_project(database, "WEB", "Website")
    path = database.engine.url.database
    assert path is not None

    def read_twice(reader: Reader) -> tuple[list[str], list[str]]:
        before = project_names(reader)
        with sqlite3.connect(path, isolation_level=None) as other_process:
            other_process.execute("UPDATE projects SET name = 'Renamed'")
        return before, project_names(reader)

    assert await database.run_read(read_twice) == (["Website"], ["Website"])
    assert await database.run_read(project_names) == ["Renamed"]


@sqlite_only
async def test_reads_cannot_write(database: Database) -> None:
    def try_to_write(reader: Reader) -> None:
        reader.driver_connection.execute("UPDATE projects SET name = 'x'")

    await add_project(database, "WEB", "Website")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await database.run_read(try_to_write)
    assert await database.run_read(project_names) == ["Website"]
