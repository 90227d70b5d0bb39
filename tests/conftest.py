"""Fixtures: a fresh app and a fresh database for every test.

The suite runs on SQLite (a new file per test) by default, and on PostgreSQL when TEST_DATABASE_URL
points at one (a new schema per test, dropped afterwards). Arrange data through the services and
commit it before calling the client: an uncommitted write session holds SQLite's write lock.

The app's database comes with the current schema already in it, without paying for create_all per
test: a copy of a SQLite template file built once per session, or a PostgreSQL schema the schema
pool made a few tests ahead (tests/support.py). ``database_url`` stays empty, for the migration and
CLI tests.

Passwords are hashed with cheap argon2 parameters unless a test is marked real_password_hashing:
the real ones cost ~150 ms a hash, and most tests sign users up only to get on with something else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app import create_app
from quart_app.config import ENVIRONMENT_SETTINGS, ENVIRONMENT_VARIABLE
from quart_app.db import Database
from quart_app.security import passwords
from tests.support import (
    ON_POSTGRES,
    TEST_DATABASE_URL,
    SchemaPool,
    config_for,
    create_current_schema,
    execute_admin_sql,
    new_schema_name,
    run_sync,
    with_search_path,
)

REAL_PASSWORD_HASHING = "real_password_hashing"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{REAL_PASSWORD_HASHING}: hash passwords with the app's real argon2 parameters "
        "(the other tests use cheap ones)",
    )


def pytest_report_header() -> str:
    where = "PostgreSQL (a schema per test)" if ON_POSTGRES else "SQLite (a file per test)"
    return f"database under test: {where}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """A PostgreSQL run that cannot reach PostgreSQL fails at once instead of erroring per test."""
    if ON_POSTGRES:
        try:
            run_sync(execute_admin_sql("SELECT 1"))
        except Exception as error:  # any failure to connect ends the run with one clear message
            raise pytest.UsageError(f"TEST_DATABASE_URL is set but unusable: {error}") from error


@pytest.fixture(autouse=True)
def hermetic_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The developer's shell (APP_ENV, DATABASE_URL, ...) must not leak into any test."""
    for name in [*ENVIRONMENT_SETTINGS, ENVIRONMENT_VARIABLE, "PORT", "WEB_CONCURRENCY"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture(autouse=True)
def password_hashing(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Cheap argon2 parameters, unless the test is about hashing (marked real_password_hashing).

    The dummy hash that unknown logins are checked against is cached by the app: it is forgotten
    before and after each test, so every test checks against a hash made with its own parameters.
    """
    if request.node.get_closest_marker(REAL_PASSWORD_HASHING) is None:
        cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        monkeypatch.setattr(passwords, "_hasher", cheap)
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def schema_pool() -> Iterator[SchemaPool | None]:
    """PostgreSQL: current schemas made ahead of the tests that take them (SQLite: none)."""
    if not ON_POSTGRES:
        yield None
        return
    pool = SchemaPool(TEST_DATABASE_URL)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file, or a new PostgreSQL schema.

    In a test that also has the app, it is the app's database (which is current, not empty).
    """
    if "current_database_url" in request.fixturenames:
        yield request.getfixturevalue("current_database_url")
        return
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    schema = new_schema_name()
    run_sync(execute_admin_sql(f'CREATE SCHEMA "{schema}"'))
    try:
        yield with_search_path(TEST_DATABASE_URL, schema)
    finally:
        run_sync(execute_admin_sql(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
async def current_database_url(
    tmp_path: Path, schema_pool: SchemaPool | None
) -> AsyncIterator[str]:
    """The URL of a new database with the current schema and no rows: what a migrated one has.

    SQLite: a copy of a template file. PostgreSQL: a new schema from the pool.
    """
    if schema_pool is None:
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        await create_current_schema(url)
        yield url
        return
    schema = schema_pool.take()
    try:
        yield with_search_path(TEST_DATABASE_URL, schema)
    finally:
        schema_pool.give_back(schema)


@pytest.fixture
async def app(current_database_url: str) -> AsyncIterator[Quart]:
    """A started app (before_serving ran) on a fresh, current database."""
    app = create_app(config_for(current_database_url))
    async with app.test_app():
        yield app


@pytest.fixture
def client(app: Quart) -> Client:
    return app.test_client()


@pytest.fixture
def database(app: Quart) -> Database:
    database: Database = app.extensions["db"]
    return database


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session from the app's own sessionmaker; commit what the client should see."""
    async with database.write_sessions() as session:
        yield session


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Invokes ``quart_app.cli.main`` against the test database (which starts empty)."""
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "testing")
    monkeypatch.setenv("DATABASE_URL", database_url)
    return CliRunner()
