"""What one request of each read target costs in-process: the app's own time, no HTTP server.

    .venv/bin/python load/request_cost.py --data D [--source OLD_TREE] [--runs 5]

Sends the capacity targets' requests (get issue and the issue list by API with a token, the
issue page signed in; load/capacity.py) one at a time through Quart's test client, on the SQLite
dataset `capacity.py --data D` seeded, and prints the milliseconds per request: the median and
the best of RUNS runs. `--source` measures another checkout's quart_app/ on the same dataset
(`git archive <commit> quart_app | tar -x -C OLD_TREE`), for before and after figures.

`--by-timeline` times the issue page instead for issues grouped by the length of their
timeline (events), 40 issues a group: the long ones set the page's tail latency under load.

The test client adds its own overhead, the same for every version; on a shared machine the
runs vary (20-30 % here), so compare medians measured one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
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
    parser.add_argument(
        "--by-timeline", action="store_true", help="the issue page by timeline length"
    )
    args = parser.parse_args()
    if args.source is not None:
        sys.path.insert(0, str(args.source.resolve()))  # before quart_app is first imported
    from quart_app import create_app

    print(f"quart_app from {Path(sys.modules['quart_app'].__file__ or '').parent}")
    # DEBUG off, as served: with it on, Quart's JSON provider indents responses.
    overrides = {"DATABASE_URL": benchlib.database_url("sqlite", args.data), "DEBUG": False}
    app = create_app({**overrides, "RATE_LIMITS_ENABLED": False})
    credentials = benchlib.read_credentials(args.data / "credentials-sqlite.json")
    if args.by_timeline:
        groups = _issues_by_timeline(args.data, capacity.member_and_project(credentials)[1])
        asyncio.run(_measure_pages(app, credentials, groups, args.runs))
    else:
        asyncio.run(_measure(app, credentials, args.runs))
    return 0


TIMELINE_GROUPS = ((3, 3), (6, 7), (12, 12), (35, 45), (60, 100))  # events, inclusive
ISSUES_PER_GROUP = 40


def _issues_by_timeline(data: Path, project: dict[str, Any]) -> dict[str, list[int]]:
    """Issue numbers of the measured project, by how many events their timelines hold."""
    query = (
        "SELECT i.number, count(e.id) FROM issues i JOIN projects p ON p.id = i.project_id "
        "LEFT JOIN issue_events e ON e.issue_id = i.id WHERE p.key = ? "
        "GROUP BY i.id ORDER BY i.number"
    )
    with sqlite3.connect(data / "bench.sqlite3") as connection:
        rows = connection.execute(query, (project["key"],)).fetchall()
    groups = {}
    for low, high in TIMELINE_GROUPS:
        numbers = [number for number, events in rows if low <= events <= high]
        groups[f"{low}-{high} events"] = numbers[:ISSUES_PER_GROUP]
    return groups


async def _measure_pages(
    app: Any, credentials: dict[str, Any], groups: dict[str, list[int]], runs: int
) -> None:
    user, project = capacity.member_and_project(credentials)
    async with app.test_app():
        client = app.test_client()
        signed_in = await client.post(
            "/api/v1/session", json={"login": user["username"], "password": credentials["password"]}
        )
        assert signed_in.status_code == 200, signed_in.status_code

        async def page(number: int) -> int:
            response = await client.get(
                f"/projects/{project['key']}/issues/{number}", headers={"Accept": "text/html"}
            )
            assert response.status_code == 200, (number, response.status_code)
            return len(await response.get_data())

        for numbers in groups.values():  # a warm-up pass: templates, statement plans, memo
            for number in numbers:
                await page(number)
        for name, numbers in groups.items():
            if not numbers:
                print(f"issue page, {name}: no such issue in {project['key']}")
                continue
            timings, sizes = [], [await page(number) for number in numbers]
            for _ in range(runs):
                started = time.perf_counter()
                for number in numbers:
                    await page(number)
                timings.append((time.perf_counter() - started) * 1000 / len(numbers))
            print(
                f"issue page, {name} ({len(numbers)} issues, {statistics.median(sizes):,.0f} "
                f"bytes): median {statistics.median(timings):.2f} ms, best {min(timings):.2f} ms"
            )


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
