"""What one request of each read target costs in-process: the app's own time, no HTTP server.

    .venv/bin/python load/request_cost.py --data D [--source OLD_TREE] [--runs 5]

Sends the capacity targets' requests (get issue and the issue list by API with a token, the
issue page signed in; load/capacity.py) one at a time through Quart's test client, on the SQLite
dataset `capacity.py --data D` seeded, and prints the milliseconds per request: the median and
the best of RUNS runs. `--source` measures another checkout's quart_app/ on the same dataset
(`git archive <commit> quart_app | tar -x -C OLD_TREE`), for before and after figures.

The test client adds its own overhead, the same for every version; on a shared machine the
runs vary (20-30 % here), so compare medians measured one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import benchlib
import capacity

REQUESTS_PER_RUN = 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="capacity.py's --data folder")
    parser.add_argument("--source", type=Path, help="a folder holding another quart_app/")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.source is not None:
        sys.path.insert(0, str(args.source.resolve()))  # before quart_app is first imported
    from quart_app import create_app

    print(f"quart_app from {Path(sys.modules['quart_app'].__file__ or '').parent}")
    # DEBUG off, as served: with it on, Quart's JSON provider indents responses.
    overrides = {"DATABASE_URL": benchlib.database_url("sqlite", args.data), "DEBUG": False}
    app = create_app({**overrides, "RATE_LIMITS_ENABLED": False})
    credentials = benchlib.read_credentials(args.data / "credentials-sqlite.json")
    asyncio.run(_measure(app, credentials, args.runs))
    return 0


async def _measure(app: Any, credentials: dict[str, Any], runs: int) -> None:
    user, project = capacity.member_and_project(credentials)
    key, count = project["key"], project["issues"]
    token = {"Authorization": f"Bearer {user['token']}"}
    async with app.test_app():
        client = app.test_client()
        signed_in = await client.post(
            "/api/v1/session", json={"login": user["username"], "password": credentials["password"]}
        )
        assert signed_in.status_code == 200, signed_in.status_code
        numbers = random.Random(1)
        targets: dict[str, Callable[[], Awaitable[Any]]] = {
            "get issue": lambda: client.get(
                f"/api/v1/projects/{key}/issues/{numbers.randint(1, count)}", headers=token
            ),
            "issue list": lambda: client.get(
                f"/api/v1/projects/{key}/issues?per_page=25&page={numbers.randint(1, 20)}",
                headers=token,
            ),
            "issue page": lambda: client.get(
                f"/projects/{key}/issues/{numbers.randint(1, count)}",
                headers={"Accept": "text/html"},
            ),
        }
        for name, send in targets.items():
            timings = []
            for _ in range(runs):
                numbers.seed(1)  # the same issues and pages in every run
                started = time.perf_counter()
                for _ in range(REQUESTS_PER_RUN):
                    response = await send()
                    assert response.status_code == 200, (name, response.status_code)
                timings.append((time.perf_counter() - started) * 1000 / REQUESTS_PER_RUN)
            print(
                f"{name}: median {statistics.median(timings):.2f} ms, "
                f"best {min(timings):.2f} ms a request"
            )


if __name__ == "__main__":
    sys.exit(main())
