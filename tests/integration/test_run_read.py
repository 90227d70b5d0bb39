"""db.run_read: synchronous Core reads, inline on a SQLite file, through the driver elsewhere."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import Connection, select, update

from quart_app.db import Database
from quart_app.models import Project
from quart_app.services.errors import NotFoundError
from tests.support import ON_POSTGRES, sqlite_only

pytestmark = pytest.mark.integration


async def add_project(database: Database, key: str, name: str) -> None:
    async with database.write_sessions() as session, session.begin():
        session.add(Project(key=key, name=name))


def project_names(connection: Connection) -> list[str]:
    return list(connection.execute(select(Project.name).order_by(Project.key)).scalars())


async def test_it_reads_committed_rows_only(database: Database) -> None:
    await add_project(database, "WEB", "Website")
    async with database.write_sessions() as session, session.begin():
        session.add(Project(key="APP", name="App"))
        await session.flush()  # written, not committed: other connections cannot see it
        assert await database.run_read(project_names) == ["Website"]
    assert await database.run_read(project_names) == ["App", "Website"]


async def test_an_error_reaches_the_caller_and_the_next_read_works(database: Database) -> None:
    def refuse(_connection: Connection) -> None:
        raise NotFoundError("no such thing")

    for _ in range(8):  # more than the pool holds: every connection went back to it
        with pytest.raises(NotFoundError):
            await database.run_read(refuse)
    assert await database.run_read(project_names) == []


async def test_on_postgresql_it_goes_through_the_async_driver(database: Database) -> None:
    assert (database.inline_reads is None) is ON_POSTGRES


@sqlite_only
async def test_on_a_sqlite_file_it_runs_on_the_event_loop_s_thread(database: Database) -> None:
    loop_thread = threading.get_ident()
    assert await database.run_read(lambda _connection: threading.get_ident()) == loop_thread


@sqlite_only
async def test_one_function_reads_one_snapshot(database: Database) -> None:
    """The statements of one function read the database as it was at the first: a write that
    commits between them (here another process's, by sqlite3) is not half seen."""
    await add_project(database, "WEB", "Website")
    path = database.engine.url.database
    assert path is not None

    def read_twice(connection: Connection) -> tuple[list[str], list[str]]:
        before = project_names(connection)
        with sqlite3.connect(path, isolation_level=None) as other_process:
            other_process.execute("UPDATE projects SET name = 'Renamed'")
        return before, project_names(connection)

    assert await database.run_read(read_twice) == (["Website"], ["Website"])
    assert await database.run_read(project_names) == ["Renamed"]


@sqlite_only
async def test_reads_do_not_write(database: Database) -> None:
    def try_to_write(connection: Connection) -> None:
        connection.execute(update(Project).values(name="x"))

    await add_project(database, "WEB", "Website")
    await database.run_read(try_to_write)  # rolled back when the connection goes back
    assert await database.run_read(project_names) == ["Website"]
