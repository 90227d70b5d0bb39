"""Alembic environment: runs on the connection it is handed, or on one from the app's config."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from quart_app.db import needs_batch_migrations
from quart_app.models import Base, UTCDateTime
from quart_app.models.search import is_dialect_search_object

target_metadata = Base.metadata


def render_item(type_: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations must not import the models (they change; migrations must not), so render our
    # column types as the plain SQLAlchemy types they store as.
    if type_ == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    # The full-text index is dialect-specific DDL beside the models: no drift to report there.
    return not is_dialect_search_object(name)


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=needs_batch_migrations(connection.dialect.name),
        compare_type=True,
        compare_server_default=True,
        render_item=render_item,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine() -> None:
    from quart_app import create_app
    from quart_app.db import Database

    # The app resolves DATABASE_URL exactly as the server will (environment, instance folder).
    database = Database.from_config(create_app().config, for_migrations=True)
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await database.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")

connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    asyncio.run(run_with_own_engine())
