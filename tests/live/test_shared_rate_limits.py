"""Sign-in limits hold across worker processes and ignore a spoofed X-Forwarded-For.

Two single-worker servers on one database, attempts alternating between them: each process
sees half the attempts, so only a shared count can stop the 11th. (Two workers behind one
socket would not do: the kernel may hand every connection to the same worker.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from quart_app.security.rate_limits import DEFAULT_POLICIES
from tests.live import server
from tests.support import migrate_to_head

pytestmark = pytest.mark.slow

PER_ADDRESS = DEFAULT_POLICIES["sign-in"].per_address
assert PER_ADDRESS is not None


async def attempt(base_url: str, number: int) -> httpx.Response:
    # A new connection each time, so the kernel spreads attempts over both workers; a new
    # login each time, so only the per-address limit applies; a new forged address each time.
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return await client.post(
            "/api/v1/session",
            json={"login": f"nobody{number}", "password": "wrong password"},
            headers={"X-Forwarded-For": f"203.0.113.{number}"},
        )


async def test_sign_in_limit_is_shared_by_processes_and_not_fooled_by_forwarded_for(
    database_url: str, production_environment: dict[str, str], tmp_path: Path
) -> None:
    await migrate_to_head(database_url)
    servers = [
        await asyncio.to_thread(
            server.start_probe_app,
            production_environment,
            workers=1,
            log_path=tmp_path / f"{n}.log",
        )
        for n in (1, 2)
    ]
    try:
        attempts = PER_ADDRESS.count + 10
        responses = [await attempt(servers[n % 2].base_url, n) for n in range(attempts)]
    finally:
        for live in servers:
            await asyncio.to_thread(live.stop)
    statuses = [r.status_code for r in responses]
    assert statuses == [401] * PER_ADDRESS.count + [429] * 10
    assert all(int(r.headers["Retry-After"]) >= 1 for r in responses[PER_ADDRESS.count :])
