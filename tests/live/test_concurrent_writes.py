"""Two hypercorn workers on one database take 200 concurrent writes without a single error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from quart_app import create_app
from quart_app.db import Database
from quart_app.services.accounts import create_user
from quart_app.services.projects import create_project
from tests.live import server
from tests.support import config_for, migrate_to_head

pytestmark = pytest.mark.slow

WRITES = 200


async def migrate_and_create_project(database_url: str) -> int:
    await migrate_to_head(database_url)
    database = Database.from_config(create_app(config_for(database_url)).config)
    try:
        async with database.write_sessions() as session:
            owner = await create_user(
                session, username="writer", email="w@example.com", password="p" * 12, verified=True
            )
            project = await create_project(session, owner=owner, key="LOAD", name="Load")
            await session.commit()
            return project.id
    finally:
        await database.dispose()


async def post_concurrently(base_url: str, project_id: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=WRITES, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        return await asyncio.gather(
            *(client.post(f"/_live/projects/{project_id}/issues") for _ in range(WRITES))
        )


async def test_two_workers_accept_200_concurrent_writes_with_zero_errors(
    database_url: str, production_environment: dict[str, str], tmp_path: Path
) -> None:
    project_id = await migrate_and_create_project(database_url)
    live = await asyncio.to_thread(
        server.start_probe_app, production_environment, workers=2, log_path=tmp_path / "log"
    )
    try:
        responses = await post_concurrently(live.base_url, project_id)
    finally:
        exit_code = await asyncio.to_thread(live.stop)
    log = live.log()

    assert [r.status_code for r in responses] == [201] * WRITES, log[-3000:]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == list(range(1, WRITES + 1))  # no duplicates, no gaps
    assert len({r.json()["worker"] for r in responses}) == 2  # both processes wrote
    assert "database is locked" not in log
    assert "Traceback" not in log
    assert exit_code == 0  # SIGTERM shuts down cleanly (the engine was disposed)
