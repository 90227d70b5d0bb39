"""Helpers for fixtures and tests: a database per test, and running async code from sync code."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from sqlalchemy import text

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


async def create_current_schema(url: str) -> None:
    """Create the tables from the models and stamp them as migrated (much faster than migrating).

    tests/integration/test_migrations.py proves the migrations build exactly this schema.
    """
    engine = make_engine(normalise_database_url(url), for_migrations=True)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        await migrate.stamp(engine)
    finally:
        await engine.dispose()


def config_for(database_url: str, **overrides: Any) -> dict[str, Any]:
    return {ENVIRONMENT_VARIABLE: "testing", "DATABASE_URL": database_url, **overrides}


async def migrate_to_head(url: str) -> None:
    """Run the real migrations on an empty database (what `quart_app migrate` does)."""
    engine = make_engine(normalise_database_url(url), for_migrations=True)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
