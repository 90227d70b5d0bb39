"""Liveness and readiness probes for container platforms and load balancers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from quart import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from quart_app.db import get_database
from quart_app.migrate import SchemaOutOfDateError, ensure_schema_current
from quart_app.security.rate_limits import rate_exempt

logger = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)

READINESS_TIMEOUT_SECONDS = 2.0


@blueprint.get("/healthz")
@rate_exempt("probes must always answer, or the platform restarts a healthy app")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers; nothing else is touched, so a DB outage cannot restart it."""
    return {"status": "ok"}


@blueprint.get("/readyz")
@rate_exempt("probes must always answer, or the platform routes traffic away")
async def readyz() -> tuple[dict[str, Any], int]:
    """Readiness: the database answers and its schema is the one this code expects."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            checks = await _check_database()
    except TimeoutError:
        checks = {"database": "timed out", "schema": "unknown"}
    ready = all(value == "ok" for value in checks.values())
    return {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503


async def _check_database() -> dict[str, str]:
    engine = get_database().read_engine  # a probe must never wait for SQLite's write lock
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as error:
        logger.warning("readiness: database unreachable: %s", error)
        return {"database": "unreachable", "schema": "unknown"}
    try:
        await ensure_schema_current(engine)
    except SchemaOutOfDateError as error:
        return {"database": "ok", "schema": str(error)}
    return {"database": "ok", "schema": "ok"}
