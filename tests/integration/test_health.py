"""Liveness never touches the database; readiness reports the database and the schema."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.db import Database, make_engine, normalise_database_url

pytestmark = pytest.mark.integration

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"


def break_database(app: Quart) -> Database:
    """Swap in an engine that cannot connect; return the real one to dispose later."""
    working: Database = app.extensions["db"]
    app.extensions["db"] = Database.for_engine(make_engine(normalise_database_url(UNREACHABLE)))
    return working


async def test_healthz_answers_ok(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ok"}


async def test_healthz_answers_while_the_database_is_down(app: Quart) -> None:
    working = break_database(app)
    try:
        response = await app.test_client().get("/healthz")
        assert response.status_code == 200
    finally:
        await app.extensions["db"].dispose()
        app.extensions["db"] = working


async def test_readyz_is_ready_when_the_database_answers_and_the_schema_is_current(
    client: Client,
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert await response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok"},
    }


async def test_readyz_is_503_when_the_database_is_unreachable(app: Quart) -> None:
    working = break_database(app)
    try:
        response = await app.test_client().get("/readyz")
        assert response.status_code == 503
        assert (await response.get_json())["checks"]["database"] == "unreachable"
    finally:
        await app.extensions["db"].dispose()
        app.extensions["db"] = working


async def test_readyz_is_503_and_names_the_fix_when_the_schema_is_missing(
    client: Client, session: AsyncSession
) -> None:
    await session.execute(text("DELETE FROM alembic_version"))
    await session.commit()
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = await response.get_json()
    assert body["status"] == "unavailable"
    assert "quart_app migrate" in body["checks"]["schema"]
