"""db.run_read: synchronous reads (a Reader's Queries), inline on a SQLite file, through the
async driver elsewhere."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import bindparam, func, select

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


PROJECT_COUNT = Query(select(func.count()).select_from(Project))


class CountingReads:
    """A remembered read of the project names that counts how often it really ran."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, reader: Reader) -> tuple[str, ...]:
        return reader.remembered("project names", lambda: self._read(reader))

    def _read(self, reader: Reader) -> tuple[str, ...]:
        self.runs += 1
        return tuple(project_names(reader))


@sqlite_only
async def test_a_remembered_read_runs_again_only_after_a_commit(database: Database) -> None:
    await add_project(database, "WEB", "Website")
    names = CountingReads()
    assert await database.run_read(names) == ("Website",)
    assert await database.run_read(names) == ("Website",)
    assert names.runs == 1

    await add_project(database, "APP", "App")  # a commit through the app's own writes

    assert await database.run_read(names) == ("App", "Website")
    assert names.runs == 2


@sqlite_only
async def test_another_process_s_commit_is_seen(database: Database) -> None:
    await add_project(database, "WEB", "Website")
    assert await database.run_read(lambda reader: reader.count(PROJECT_COUNT)) == 1
    path = database.engine.url.database
    assert path is not None
    with sqlite3.connect(path, isolation_level=None) as other_process:
        other_process.execute(
            "INSERT INTO projects (key, name, description, visibility, last_issue_number,"
            " created_at, updated_at) SELECT 'APP', 'App', description, visibility, 0,"
            " created_at, updated_at FROM projects"
        )
    assert await database.run_read(lambda reader: reader.count(PROJECT_COUNT)) == 2


@sqlite_only
async def test_a_result_is_remembered_under_its_own_snapshot(database: Database) -> None:
    """A commit after the snapshot began, before the memo is checked: the result read from the
    older snapshot must not be kept as the newer version's."""
    await add_project(database, "WEB", "Website")
    path = database.engine.url.database
    assert path is not None

    def commit_then_count(reader: Reader) -> int:
        project_names(reader)  # the snapshot begins here
        with sqlite3.connect(path, isolation_level=None) as other_process:
            other_process.execute("DELETE FROM projects")
        return reader.count(PROJECT_COUNT)

    assert await database.run_read(commit_then_count) == 1  # the snapshot's count
    assert await database.run_read(lambda reader: reader.count(PROJECT_COUNT)) == 0


@sqlite_only
async def test_the_version_check_begins_the_snapshot(database: Database) -> None:
    """When the memo's check is a function's first statement, it starts the snapshot: a commit
    right after it is not seen by the function's later statements (nor remembered as theirs)."""
    await add_project(database, "WEB", "Website")
    path = database.engine.url.database
    assert path is not None

    def count_then_commit_then_read(reader: Reader) -> tuple[int, list[str]]:
        counted = reader.count(PROJECT_COUNT)
        with sqlite3.connect(path, isolation_level=None) as other_process:
            other_process.execute("UPDATE projects SET name = 'Renamed'")
        return counted, project_names(reader)

    assert await database.run_read(lambda reader: reader.count(PROJECT_COUNT)) == 1
    # Remembered now: the check is the function's only statement before the commit.
    assert await database.run_read(count_then_commit_then_read) == (1, ["Website"])
    assert await database.run_read(project_names) == ["Renamed"]


async def test_counts_differ_by_their_parameters(database: Database) -> None:
    await add_project(database, "WEB", "Website")
    await add_project(database, "APP", "App")
    named = Query(select(func.count()).select_from(Project).where(Project.key == bindparam("key")))

    def counts(reader: Reader) -> tuple[int, int, int]:
        return (
            reader.count(named, key="WEB"),
            reader.count(named, key="NOPE"),
            reader.count(PROJECT_COUNT),
        )

    assert await database.run_read(counts) == (1, 0, 2)
    assert await database.run_read(counts) == (1, 0, 2)


async def test_without_a_memo_every_read_runs(database: Database) -> None:
    """PostgreSQL has no data version to check: nothing is remembered there."""
    await add_project(database, "WEB", "Website")
    names = CountingReads()
    for _ in range(2):
        assert await database.run_read(names) == ("Website",)
    assert names.runs == (2 if ON_POSTGRES else 1)
