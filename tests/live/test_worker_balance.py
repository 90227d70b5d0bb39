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
from pathlib import Path

import httpx
import pytest

from tests.live import server
from tests.support import migrate_to_head

pytestmark = pytest.mark.slow
CONNECTIONS = 64


def requests_per_worker(log: str) -> Counter[str]:
    return Counter(re.findall(r'"GET /healthz 1\.1" 200 .* <(\d+)>$', log, re.MULTILINE))


async def test_new_connections_are_spread_across_both_workers(
    database_url: str, production_environment: dict[str, str], tmp_path: Path
) -> None:
    await migrate_to_head(database_url)
    live = await asyncio.to_thread(
        server.start_probe_app, production_environment, workers=2, log_path=tmp_path / "log"
    )
    try:
        before = requests_per_worker(live.log())
        for _ in range(CONNECTIONS):  # a new connection each time: each is hashed to a socket
            async with httpx.AsyncClient(base_url=live.base_url) as client:
                assert (await client.get("/healthz")).status_code == 200
        await asyncio.sleep(0.5)  # access-log lines are written after the response
        counts = requests_per_worker(live.log()) - before
    finally:
        live.stop()
    assert len(counts) == 2, counts
    # Binomial(64, 1/2) falls below 16 about once in 30,000 runs.
    assert min(counts.values()) >= CONNECTIONS // 4, counts


async def test_a_crashed_worker_stops_the_server_with_a_failure(
    database_url: str, production_environment: dict[str, str], tmp_path: Path
) -> None:
    await migrate_to_head(database_url)
    live = await asyncio.to_thread(
        server.start_probe_app, production_environment, workers=2, log_path=tmp_path / "log"
    )
    try:
        async with httpx.AsyncClient(base_url=live.base_url) as client:
            await client.get("/healthz")
        await asyncio.sleep(0.5)
        worker_pid = int(next(iter(requests_per_worker(live.log()))))
        os.kill(worker_pid, signal.SIGKILL)
        exit_code = await asyncio.to_thread(live.process.wait, 20)
    finally:
        live.stop()
    assert exit_code != 0, live.log()
