"""Helpers for fixtures and tests: a database per test, and running async code from sync code."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from quart_app import migrate
from quart_app.config import ENVIRONMENT_VARIABLE
from quart_app.db import make_engine, normalise_database_url
from quart_app.models import Base

T = TypeVar("T")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
ON_POSTGRES = bool(TEST_DATABASE_URL)

sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite behaviour (covered by the SQLite run)")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, on a thread of its own (never on the test's loop)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


async def execute_admin_sql(statement: str) -> None:
    engine = make_engine(normalise_database_url(TEST_DATABASE_URL), for_migrations=True)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


async def build_current_schema(url: str) -> list[str]:
    """Create the tables from the models and stamp them as migrated (much faster than migrating).

    Returns every statement that wrote, in order: on an empty PostgreSQL schema they are the whole
    recipe, which create_current_schema replays. tests/integration/test_migrations.py proves the
    migrations build exactly this schema.
    """
    engine = make_engine(normalise_database_url(url), for_migrations=True)
    writes: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            return  # create_all's and alembic's look-ups: they change nothing
        writes.append(statement if not parameters else "")  # "": cannot be replayed as text

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        await migrate.stamp(engine)
    finally:
        await engine.dispose()
    return writes


class _Template:
    """The current schema, built once per test session and copied into each new database.

    SQLite: the bytes of a database file built by build_current_schema (the FTS5 table and its
    triggers live in the file, so a copy is complete). PostgreSQL: the statements that built it,
    replayed in one round trip and one transaction into the new, empty schema.
    """

    sqlite_file: bytes | None = None
    postgres_script: str | None = None

    @classmethod
    async def sqlite_bytes(cls) -> bytes:
        if cls.sqlite_file is None:
            with tempfile.TemporaryDirectory(prefix="quart_app_template_") as folder:
                path = Path(folder) / "template.sqlite3"
                await build_current_schema(f"sqlite:///{path}")
                # Closing the last connection checkpoints the WAL into the file and removes it.
                leftovers = sorted(p.name for p in Path(folder).iterdir() if p != path)
                assert not leftovers, f"the template database left {leftovers} beside it"
                cls.sqlite_file = path.read_bytes()
        return cls.sqlite_file

    @classmethod
    async def postgres_statements(cls) -> str:
        if cls.postgres_script is None:
            schema = f"test_template_{os.urandom(8).hex()}"
            await execute_admin_sql(f'CREATE SCHEMA "{schema}"')
            try:
                writes = await build_current_schema(with_search_path(TEST_DATABASE_URL, schema))
            finally:
                await execute_admin_sql(f'DROP SCHEMA "{schema}" CASCADE')
            assert writes and all(writes), "building the schema ran statements with parameters"
            cls.postgres_script = ";\n".join(writes)
        return cls.postgres_script


def _new_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL when it names a file that does not exist yet, else None."""
    database = normalise_database_url(url)
    if not database.is_sqlite or database.is_in_memory:
        return None
    name = make_url(database.url).database or ""
    if name.startswith("file:"):
        return None
    path = Path(name)
    suffixes = ("", "-wal", "-shm", "-journal")
    return None if any(Path(f"{path}{suffix}").exists() for suffix in suffixes) else path


async def create_current_schema(url: str) -> None:
    """Give an empty database the current schema, as build_current_schema would, only faster.

    A new SQLite file is a copy of a template; a new PostgreSQL schema gets the template's
    statements. A database that already holds anything gets build_current_schema itself (which
    keeps what is there). tests/integration/test_schema_template.py proves the two match.
    """
    if not ON_POSTGRES:
        path = _new_sqlite_file(url)
        if path is None:
            await build_current_schema(url)
            return
        template = await _Template.sqlite_bytes()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(template)
        return
    script = await _Template.postgres_statements()
    engine = make_engine(normalise_database_url(url), for_migrations=True)
    try:
        async with engine.connect() as connection:
            if await connection.scalar(text(OCCUPIED_SCHEMA_QUERY)):
                await connection.rollback()
            else:
                raw = (await connection.get_raw_connection()).driver_connection
                assert raw is not None
                await raw.execute(script)  # asyncpg: many statements in one round trip
                await connection.commit()
                return
    finally:
        await engine.dispose()
    await build_current_schema(url)


# Whether the schema new tables would go to already holds a relation or a type (or is missing).
OCCUPIED_SCHEMA_QUERY = """
SELECT current_schema() IS NULL
    OR EXISTS (SELECT FROM pg_class WHERE relnamespace = current_schema()::regnamespace)
    OR EXISTS (SELECT FROM pg_type WHERE typnamespace = current_schema()::regnamespace)
"""


def new_schema_name() -> str:
    return f"test_{uuid.uuid4().hex[:16]}"


class SchemaPool:
    """New PostgreSQL schemas holding the current schema, made a few tests ahead of their use.

    One thread of its own, with one connection, makes each schema (CREATE SCHEMA and the template's
    statements, in one transaction) and drops each returned one, while tests run: the server does
    that work on another core instead of between tests. Every schema is new and serves one test.
    """

    def __init__(self, admin_url: str, ahead: int = 2) -> None:
        self._admin_url = admin_url
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="schema-pool")
        self._loop = asyncio.new_event_loop()  # runs on the pool's thread only
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None
        self._ready: deque[Future[str]] = deque()
        self._drops: list[Future[None]] = []
        for _ in range(ahead):
            self._ready.append(self._submit(self._make))

    def take(self) -> str:
        """A new schema with the current schema in it; give it back when the test is over."""
        for drop in [drop for drop in self._drops if drop.done()]:
            self._drops.remove(drop)
            drop.result()  # a failed drop fails the next test to start, not only the session
        self._ready.append(self._submit(self._make))
        return self._ready.popleft().result()

    def give_back(self, schema: str) -> None:
        """Drop the schema (on the pool's thread: the caller does not wait)."""
        self._drops.append(self._submit(lambda: self._execute(f'DROP SCHEMA "{schema}" CASCADE')))

    def close(self) -> None:
        """Drop the schemas made ahead, wait for every drop, and raise the first error."""
        made = []
        for future in self._ready:
            try:
                made.append(future.result())
            except Exception:  # noqa: S112 - a failed make has nothing to drop
                continue
        for schema in made:
            self.give_back(schema)
        self._submit(self._disconnect).result()
        self._executor.shutdown(wait=True)
        self._loop.close()
        for drop in self._drops:
            drop.result()

    def _submit(self, make_coroutine: Callable[[], Coroutine[Any, Any, T]]) -> Future[T]:
        # The coroutine is created on the pool's thread, so none is left un-awaited.
        return self._executor.submit(lambda: self._loop.run_until_complete(make_coroutine()))

    async def _make(self) -> str:
        script = await _Template.postgres_statements()
        schema = new_schema_name()
        await self._execute(
            f'CREATE SCHEMA "{schema}"; SET LOCAL search_path TO "{schema}";\n{script}'
        )
        return schema

    async def _execute(self, script: str) -> None:
        """Run the statements in one transaction and one round trip."""
        if self._connection is None:
            self._engine = make_engine(normalise_database_url(self._admin_url), for_migrations=True)
            self._connection = await self._engine.connect()
        raw = (await self._connection.get_raw_connection()).driver_connection
        assert raw is not None
        async with raw.transaction():
            await raw.execute(script)

    async def _disconnect(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        if self._engine is not None:
            await self._engine.dispose()


def config_for(database_url: str, **overrides: Any) -> dict[str, Any]:
    return {ENVIRONMENT_VARIABLE: "testing", "DATABASE_URL": database_url, **overrides}


async def migrate_to_head(url: str) -> None:
    """Run the real migrations on an empty database (what `quart_app migrate` does)."""
    engine = make_engine(normalise_database_url(url), for_migrations=True)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
