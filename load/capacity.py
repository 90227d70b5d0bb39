"""Capacity with wrk: the hot endpoints as ratios of a bare Quart app, on SQLite and PostgreSQL.

    .venv/bin/python load/capacity.py --name capacity-2026-11-21 [--databases sqlite postgresql]

For each database: seed the default dataset (or --reuse-data), then REPS interleaved repetitions.
One repetition starts the bare-Quart ceiling app, measures it, stops it, starts the tracker with
the same hypercorn settings and measures every target (wrk: warm-up, then the measured run, at
CONNECTIONS connections). Medians over the repetitions go to load/reports/<name>/capacity.md with
the raw runs in capacity.jsonl. Exits 1 when a target is missed.

wrk, not locust, measures capacity: locust needs most of the 2 cores for itself (see README).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import benchlib

DONE_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %f, "non_2xx": %d, "socket_errors": %d, '
    .. '"p50_ms": %f, "p90_ms": %f, "p99_ms": %f}\\n',
    summary.requests, summary.duration / 1e6, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
"""


@dataclass(frozen=True)
class Goal:
    """One endpoint's goal, as a ratio of the ceiling."""

    name: str
    minimum_ratio: float
    is_read: bool = True


GET_ISSUE = Goal("get issue (API, token)", 0.40)
ISSUE_LIST = Goal("issue list, 25 per page (API, token)", 0.20)
ISSUE_PAGE = Goal("issue page (HTML, signed in)", 0.15)
CREATE_ISSUE = Goal("create issue (API, token)", 0.10, is_read=False)
GOALS = [GET_ISSUE, ISSUE_LIST, ISSUE_PAGE, CREATE_ISSUE]


def wrk_scripts(credentials: dict[str, Any], cookie: str) -> dict[Goal, str]:
    """The wrk Lua script that measures each goal's endpoint."""
    user, project = member_and_project(credentials)
    key, count = project["key"], project["issues"]
    creates_in = project_for_creates(credentials, user, key)
    token = f'wrk.headers["Authorization"] = "Bearer {user["token"]}"\n'
    random_issue = f'"/projects/{key}/issues/" .. math.random(1, {count})'
    random_page = f'"/api/v1/projects/{key}/issues?per_page=25&page=" .. math.random(1, 20)'
    return {
        GET_ISSUE: token + _requests(f'"/api/v1" .. {random_issue}'),
        ISSUE_LIST: token + _requests(random_page),
        ISSUE_PAGE: f'wrk.headers["Cookie"] = "{cookie}"\n' + _requests(random_issue),
        CREATE_ISSUE: token + 'wrk.method = "POST"\nwrk.headers["Content-Type"] = '
        '"application/json"\nwrk.body = \'{"title": "Created by wrk", "body": "A **load** '
        "test issue.\"}'\n" + f'wrk.path = "/api/v1/projects/{creates_in}/issues"\n',
    }


def project_for_creates(credentials: dict[str, Any], user: dict[str, Any], listed: str) -> str:
    """Another of the member's projects, the smallest, for the create target.

    Creates go elsewhere so that every repetition reads the same data: in the listed project,
    each create run added ~2,300 open issues to the list the next repetition measured.
    """
    sizes = {project["key"]: project["issues"] for project in credentials["projects"]}
    others = [key for key in user["projects"] if key != listed]
    return min(others, key=lambda key: (sizes[key], key)) if others else listed


def _requests(path_expression: str) -> str:
    return (
        "math.randomseed(os.time())\n"
        f"request = function() return wrk.format(nil, {path_expression}) end\n"
    )


def member_and_project(credentials: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A maintainer and their largest private project: every access check is exercised."""
    projects = {project["key"]: project for project in credentials["projects"]}
    candidates = [
        (projects[key]["issues"], user["username"], key, user)
        for user in credentials["users"]
        for key, role in user["projects"].items()
        if role == "maintainer" and projects[key]["visibility"] == "private"
    ]
    if not candidates:
        raise SystemExit("the credentials file has no maintainer of a private project")
    _, _, key, user = max(candidates, key=lambda candidate: candidate[:2])
    return user, projects[key]


def run_wrk(base_url: str, lua: str, *, seconds: int, connections: int, folder: Path) -> dict:
    script = folder / "wrk.lua"
    script.write_text(lua + DONE_SCRIPT)
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout=5s", f"-s{script}", base_url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def measure(server: benchlib.Server, lua: str, args: argparse.Namespace, folder: Path) -> dict:
    run_wrk(server.base_url, lua, seconds=args.warmup, connections=args.connections, folder=folder)
    server.mark_log()
    result = run_wrk(
        server.base_url, lua, seconds=args.duration, connections=args.connections, folder=folder
    )
    counts = server.requests_per_worker()
    result["per_worker"] = dict(counts)
    result["balance"] = benchlib.balance(counts)
    return result


def duplicate_issue_numbers(url: str) -> int:
    query = "SELECT count(*) - count(DISTINCT project_id || '-' || number) FROM issues"
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return int(connection.execute(query).fetchone()[0])
    output = subprocess.run(
        ["psql", url, "-tAc", query], capture_output=True, text=True, check=True
    ).stdout
    return int(output.strip())


def vacuum(url: str) -> None:
    """Clear the dead row versions the last repetition's writes left (PostgreSQL).

    Each create updates its project's row (the next number), thousands a run. A server with
    autovacuum off (as this project's machines run PostgreSQL) keeps every dead version, where
    production would vacuum. (It does not prevent the create stall in docs/performance.md.)
    """
    subprocess.run(["psql", url, "-qc", "VACUUM (ANALYZE)"], capture_output=True, check=True)


def run_database(kind: str, args: argparse.Namespace, data: Path, folder: Path) -> list[dict]:
    """Every run on one database; ``data`` holds the dataset, ``folder`` the logs."""
    url = benchlib.database_url(kind, data)
    credentials_path = data / f"credentials-{kind}.json"
    if not (args.reuse_data and credentials_path.exists()):
        seconds = benchlib.seed(
            url, credentials_path, benchlib.DatasetSize(), log=data / "seed.log"
        )
        print(f"{kind}: seeded in {seconds:.0f} s", flush=True)
    credentials = benchlib.read_credentials(credentials_path)
    runs = []
    for repetition in range(1, args.reps + 1):
        with benchlib.ceiling_server(
            workers=args.workers, log_path=folder / "ceiling.log"
        ) as ceiling:
            result = measure(ceiling, _requests('"/"'), args, folder)
            runs.append({"database": kind, "target": "ceiling", "rep": repetition, **result})
            print(f"{kind} rep {repetition} ceiling: {result['rps']:.0f} rps", flush=True)
        if kind == "postgresql":
            vacuum(url)
        server = benchlib.app_server(url, workers=args.workers, log_path=folder / f"{kind}.log")
        with server:
            user, _ = member_and_project(credentials)
            cookie = benchlib.sign_in_cookie(
                server.base_url, user["username"], credentials["password"]
            )
            for target, script in wrk_scripts(credentials, cookie).items():
                result = measure(server, script, args, folder)
                if not target.is_read:
                    result["duplicate_numbers"] = duplicate_issue_numbers(url)
                runs.append({"database": kind, "target": target.name, "rep": repetition, **result})
                print(
                    f"{kind} rep {repetition} {target.name}: {result['rps']:.0f} rps, "
                    f"p99 {result['p99_ms']:.1f} ms, non-2xx {result['non_2xx']}",
                    flush=True,
                )
        single = benchlib.app_server(url, workers=1, log_path=folder / f"{kind}-1-worker.log")
        with single:
            result = measure(single, wrk_scripts(credentials, "")[GET_ISSUE], args, folder)
            runs.append({"database": kind, "target": ONE_WORKER, "rep": repetition, **result})
            print(f"{kind} rep {repetition} {ONE_WORKER}: {result['rps']:.0f} rps", flush=True)
    for log in folder.glob(f"{kind}*.log"):
        for problem in benchlib.server_problems(log.read_text()):
            runs.append({"database": kind, "target": "server log", "problem": problem})
    return runs


ONE_WORKER = "get issue (API, token), 1 worker"


def summarise(runs: list[dict], kind: str) -> dict[str, dict]:
    """Medians per target; ratio = target rps / ceiling rps, both medians of this database."""
    summary: dict[str, dict] = {}
    names = dict.fromkeys(run["target"] for run in runs if run["database"] == kind and "rps" in run)
    for name in names:
        mine = [run for run in runs if run["database"] == kind and run["target"] == name]
        rps = [run["rps"] for run in mine]
        summary[name] = {
            "rps": statistics.median(rps), "min": min(rps), "max": max(rps),
            "p50_ms": statistics.median(run["p50_ms"] for run in mine),
            "p99_ms": statistics.median(run["p99_ms"] for run in mine),
            "errors": sum(run["non_2xx"] + run["socket_errors"] for run in mine),
            "balance": min(run["balance"] for run in mine),
            "duplicates": max(run.get("duplicate_numbers", 0) for run in mine),
        }  # fmt: skip
    ceiling = summary["ceiling"]["rps"]
    for row in summary.values():
        row["ratio"] = row["rps"] / ceiling
    return summary


def misses(summary: dict[str, dict], runs: list[dict], kind: str, goals: list[Goal]) -> list[str]:
    """Every target this database's runs missed."""
    found = [
        f"{kind}: {run['problem']}"
        for run in runs
        if run.get("problem") and run["database"] == kind
    ]
    for goal in goals:
        row = summary[goal.name]
        if row["ratio"] < goal.minimum_ratio:
            found.append(f"{kind} {goal.name}: ratio {row['ratio']:.2f} < {goal.minimum_ratio}")
        if goal.is_read and row["p99_ms"] > READ_P99_MS:
            found.append(f"{kind} {goal.name}: p99 {row['p99_ms']:.1f} ms > {READ_P99_MS} ms")
        if row["errors"] or row["duplicates"]:
            found.append(
                f"{kind} {goal.name}: {row['errors']} errors, {row['duplicates']} duplicate numbers"
            )
    for name, row in summary.items():
        if name not in ("ceiling", ONE_WORKER) and row["balance"] < MINIMUM_BALANCE:
            found.append(
                f"{kind} {name}: workers unbalanced ({row['balance']:.2f} < {MINIMUM_BALANCE})"
            )
    scaling = summary[goals[0].name]["rps"] / summary[ONE_WORKER]["rps"]
    if scaling < MINIMUM_SCALING:
        found.append(f"{kind}: 2 workers serve {scaling:.2f}x of 1 worker (< {MINIMUM_SCALING}x)")
    return found


READ_P99_MS = 50.0
MINIMUM_BALANCE = 0.75  # per-worker request counts within 25% of each other
MINIMUM_SCALING = 1.7  # 2 workers against 1, on the get-issue target


def markdown(
    summaries: dict[str, dict[str, dict]],
    goals: list[Goal],
    args: argparse.Namespace,
    found: list[str],
) -> str:
    lines = [
        f"# Capacity: {args.name}",
        "",
        f"wrk -t1 -c{args.connections}, {args.warmup} s warm-up then {args.duration} s measured, "
        f"{args.reps} interleaved repetitions (medians; min-max), {args.workers} hypercorn workers "
        "(`quart_app serve` settings: uvloop, one SO_REUSEPORT socket per worker, access log on). "
        "Ratio = the target's rps / the bare Quart ceiling's rps, measured in the same run.",
        "",
        "Command: `"
        + " ".join(["python", "load/capacity.py", *_portable(sys.argv[1:])])
        + "`"
        + (" (D: the folder of the datasets)" if "--data" in sys.argv else ""),
        "",
    ]
    goal_of = {goal.name: goal for goal in goals}
    for kind, summary in summaries.items():
        lines += [
            f"## {kind}", "",
            "| target | rps (min-max) | ratio | goal | p50 ms | p99 ms | errors | worker balance |",
            "|---|---|---|---|---|---|---|---|",
        ]  # fmt: skip
        for name, row in summary.items():
            goal = goal_of.get(name)
            lines.append(
                f"| {name} | {row['rps']:,.0f} ({row['min']:,.0f}-{row['max']:,.0f}) | "
                f"{row['ratio']:.2f} | {f'>= {goal.minimum_ratio:.2f}' if goal else ''} | "
                f"{row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['errors']} | "
                f"{row['balance']:.2f} |"
            )
        scaling = summary[goals[0].name]["rps"] / summary[ONE_WORKER]["rps"]
        lines += [
            "",
            f"2 workers / 1 worker on get issue: {scaling:.2f}x (goal >= {MINIMUM_SCALING}x)",
            "",
        ]
    lines += ["## Verdict", ""]
    lines += [f"- MISSED: {problem}" for problem in found] or ["- every target met"]
    return "\n".join(lines) + "\n"


def _portable(arguments: list[str]) -> list[str]:
    """The command's arguments without this machine's paths: --data's folder becomes D."""
    return [
        "D" if index and arguments[index - 1] == "--data" else argument
        for index, argument in enumerate(arguments)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", required=True, help="report folder: load/reports/<name>/")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reuse-data", action="store_true", help="keep an earlier run's dataset")
    parser.add_argument("--data", type=Path, help="where the datasets live (default: the report's)")
    parser.add_argument(
        "--enforce", nargs="+", default=["sqlite"], help="databases held to the goals"
    )
    args = parser.parse_args()
    if not benchlib.have("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    folder = benchlib.LOAD_DIR / "reports" / args.name
    data = args.data or folder / "data"
    logs = folder / "logs"
    for path in (data, logs):
        path.mkdir(parents=True, exist_ok=True)
    for old_log in logs.glob("*.log"):
        old_log.unlink()
    runs = [run for kind in args.databases for run in run_database(kind, args, data, logs)]
    (folder / "capacity.jsonl").write_text("".join(json.dumps(run) + "\n" for run in runs))
    goals = GOALS
    summaries = {kind: summarise(runs, kind) for kind in args.databases}
    found = [
        problem
        for kind in args.enforce
        if kind in summaries
        for problem in misses(summaries[kind], runs, kind, goals)
    ]
    (folder / "capacity.md").write_text(markdown(summaries, goals, args, found))
    print((folder / "capacity.md").read_text())
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
