"""SIGTERM to every process (as Heroku sends it) lets in-flight requests finish, then exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.live import server
from tests.support import migrate_to_head

pytestmark = pytest.mark.slow


async def test_group_sigterm_finishes_in_flight_requests_and_exits_cleanly(
    database_url: str, production_environment: dict[str, str], tmp_path: Path
) -> None:
    await migrate_to_head(database_url)
    live = await asyncio.to_thread(
        server.start_probe_app, production_environment, workers=2, log_path=tmp_path / "log"
    )
    try:
        async with httpx.AsyncClient(base_url=live.base_url, timeout=10) as client:
            in_flight = asyncio.create_task(client.get("/_live/slow"))
            await asyncio.sleep(0.4)
            os.killpg(live.process.pid, signal.SIGTERM)  # every process, workers included
            response = await in_flight
        exit_code = await asyncio.to_thread(live.process.wait, 15)
    finally:
        live.stop()
    assert response.status_code == 200
    assert response.json() == {"status": "finished"}
    assert exit_code == 0, live.log()
