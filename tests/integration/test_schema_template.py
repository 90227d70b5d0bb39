"""The fixtures' fast current schema (a copied or replayed template) is what create_all builds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from quart_app import migrate
from quart_app.db import make_engine, normalise_database_url
from quart_app.models import Base
from tests.support import (
    ON_POSTGRES,
    TEST_DATABASE_URL,
    build_current_schema,
    create_current_schema,
    execute_admin_sql,
    with_search_path,
)

pytestmark = pytest.mark.integration

# Every object in the schema new tables go to, as PostgreSQL prints it (less the schema's name).
POSTGRES_OBJECTS = """
SELECT 'relation', relname, relkind::text || ' ' || relpersistence::text
    FROM pg_class WHERE relnamespace = current_schema()::regnamespace
UNION ALL SELECT 'column', table_name || '.' || column_name, concat_ws(' ', ordinal_position,
        data_type, character_maximum_length, numeric_precision, is_nullable, column_default,
        is_identity, is_generated)
    FROM information_schema.columns WHERE table_schema = current_schema()
UNION ALL SELECT 'constraint', conrelid::regclass::text || '.' || conname,
        pg_get_constraintdef(oid) || ' ' || condeferrable::text || condeferred::text
    FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
UNION ALL SELECT 'index', indexrelid::regclass::text,
        replace(pg_get_indexdef(indexrelid), current_schema() || '.', '')
    FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid
    WHERE relnamespace = current_schema()::regnamespace
UNION ALL SELECT 'sequence', seqrelid::regclass::text, concat_ws(' ', seqtypid::regtype, seqstart,
        seqincrement, seqmax, seqmin, seqcache, seqcycle)
    FROM pg_sequence JOIN pg_class ON pg_class.oid = seqrelid
    WHERE relnamespace = current_schema()::regnamespace
UNION ALL SELECT 'trigger', tgrelid::regclass::text || '.' || tgname,
        replace(pg_get_triggerdef(pg_trigger.oid), current_schema() || '.', '')
    FROM pg_trigger JOIN pg_class ON pg_class.oid = tgrelid
    WHERE relnamespace = current_schema()::regnamespace AND NOT tgisinternal
UNION ALL SELECT 'type', typname, typtype::text
    FROM pg_type WHERE typnamespace = current_schema()::regnamespace
UNION ALL SELECT 'function', proname, pg_get_function_identity_arguments(oid)
    FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
"""


@asynccontextmanager
async def new_database(tmp_path: Path, name: str) -> AsyncIterator[str]:
    """An empty database of its own (the test needs two, so not the database_url fixture)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / name}.sqlite3"
        return
    schema = f"test_{name}_{uuid.uuid4().hex[:12]}"
    await execute_admin_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(TEST_DATABASE_URL, schema)
    finally:
        await execute_admin_sql(f'DROP SCHEMA "{schema}" CASCADE')


async def snapshot(url: str) -> dict[str, object]:
    """The schema's definition, its alembic revision and how many rows each table holds."""
    engine = make_engine(normalise_database_url(url), for_migrations=True)
    try:
        async with engine.connect() as connection:
            if ON_POSTGRES:
                rows = await connection.execute(text(POSTGRES_OBJECTS))
            else:
                rows = await connection.execute(
                    text("SELECT type, name, tbl_name, sql FROM sqlite_master")
                )
            objects = [tuple(str(value) for value in row) for row in rows]
            if not ON_POSTGRES:
                for pragma in ("journal_mode", "user_version", "application_id", "page_size"):
                    value = (await connection.exec_driver_sql(f"PRAGMA {pragma}")).scalar()
                    objects.append(("pragma", pragma, str(value)))
            counts = await row_counts(connection)
        return {
            "objects": sorted(objects),
            "revision": await migrate.current_revision(engine),
            "rows": counts,
        }
    finally:
        await engine.dispose()


async def row_counts(connection: AsyncConnection) -> dict[str, int]:
    counts = {}
    for table in Base.metadata.sorted_tables:
        counts[table.name] = (
            await connection.execute(select(func.count()).select_from(table))
        ).scalar_one()
    return counts


async def test_the_fast_current_schema_is_exactly_the_one_create_all_builds(
    tmp_path: Path,
) -> None:
    async with (
        new_database(tmp_path, "built") as built,
        new_database(tmp_path, "copied") as copied,
    ):
        await build_current_schema(built)
        await create_current_schema(copied)
        expected, actual = await snapshot(built), await snapshot(copied)
    assert actual == expected
    assert expected["revision"] == migrate.head_revision()
    assert expected["rows"] and not any(expected["rows"].values())  # type: ignore[attr-defined]
    assert len(expected["objects"]) > 50  # type: ignore[arg-type]


async def test_a_database_that_holds_something_keeps_it(database_url: str) -> None:
    """Like create_all, a second call on the same database adds what is missing, wipes nothing."""
    await create_current_schema(database_url)
    engine = make_engine(normalise_database_url(database_url), for_migrations=True)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO rate_limit_counters (key, window_start, count, expires_at) "
                    "VALUES ('kept', 0, 1, 0)"
                )
            )
        await create_current_schema(database_url)
        async with engine.connect() as connection:
            count = await connection.execute(text("SELECT count(*) FROM rate_limit_counters"))
            assert count.scalar() == 1
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()
