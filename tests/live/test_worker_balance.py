"""`quart_app serve` gives each worker a socket of its own, so the kernel spreads connections.

With hypercorn's one shared socket, one worker often took every keep-alive connection while the
other idled (load/README.md). Each worker tags its access-log lines with its pid.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.live import server
from tests.support import migrate_to_head

pytestmark = pytest.mark.slow
CONNECTIONS = 64


def requests_per_worker(log: str) -> Counter[str]:
    return Counter(re.findall(r'"GET /healthz 1\.1" 200 .* <(\d+)>$', log, re.MULTILINE))


@pytest.fixture
async def two_workers(
    database_url: str, production_environment: dict[str, str], tmp_path: Path
) -> AsyncIterator[server.LiveServer]:
    await migrate_to_head(database_url)
    live = await asyncio.to_thread(
        server.start_probe_app, production_environment, workers=2, log_path=tmp_path / "log"
    )
    try:
        yield live
    finally:
        live.stop()


async def test_new_connections_are_spread_across_both_workers(
    two_workers: server.LiveServer,
) -> None:
    before = requests_per_worker(two_workers.log())
    for _ in range(CONNECTIONS):  # a new connection each time: each is hashed to a socket
        async with httpx.AsyncClient(base_url=two_workers.base_url) as client:
            assert (await client.get("/healthz")).status_code == 200
    await asyncio.sleep(0.5)  # access-log lines are written after the response
    counts = requests_per_worker(two_workers.log()) - before
    assert len(counts) == 2, counts
    # Binomial(64, 1/2) falls below 16 about once in 30,000 runs.
    assert min(counts.values()) >= CONNECTIONS // 4, counts


async def test_a_crashed_worker_stops_the_server_with_a_failure(
    two_workers: server.LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=two_workers.base_url) as client:
        await client.get("/healthz")
    await asyncio.sleep(0.5)
    worker_pid = int(next(iter(requests_per_worker(two_workers.log()))))
    os.kill(worker_pid, signal.SIGKILL)
    exit_code = await asyncio.to_thread(two_workers.process.wait, 20)
    assert exit_code != 0, two_workers.log()
