"""The benchmark runner: locust's personas against the tracker, with a report and thresholds.

    .venv/bin/python load/bench.py --name NAME [--database sqlite|postgresql] [--workers 2] ...
    .venv/bin/python load/bench.py --smoke --name smoke            # the CI smoke run
    .venv/bin/python load/bench.py --name NAME --host https://tracker.example.com \\
        --credentials load/credentials.json                        # a remote deployment

Locally: seed a fresh database (or --reuse-data), measure the bare Quart ceiling app under the
same locust users and processes on the same hypercorn settings, start the tracker with
`quart_app serve`, warm it up, then run locust headless for --duration seconds. The report goes
to load/reports/<name>/ (summary.md, charts, locust's CSV and HTML, the logs). Exits 1 when a
threshold is breached, listing each breach; 2 when the run itself could not be made.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import benchlib
import benchreport
from benchreport import Run, Thresholds

LOCUSTFILE = benchlib.LOAD_DIR / "locustfile.py"
CEILING_LOCUSTFILE = benchlib.LOAD_DIR / "ceiling_locustfile.py"
DATASETS = {"default": benchlib.DatasetSize(), "small": benchlib.SMALL_DATASET}
SMOKE = {
    "dataset": "small", "workers": 2, "duration": 30, "database": "sqlite", "users": 20,
    "spawn_rate": 10, "warmup": 5, "ceiling_duration": 10,
    "max_p95_ms": 250.0, "max_failure_ratio": 0.0, "min_balance": 0.0,
}  # fmt: skip
LOCUST_GRACE_SECONDS = 90  # start-up, spawning and the final report on a busy machine
REPORT_FILES = ("*.csv", "*.png", "*.html", "summary.md", "logs/*.log")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--name", required=True, help="the report folder: load/reports/<name>/")
    add("--smoke", action="store_true", help="the CI preset (flags given as well still win)")
    add("--database", choices=["sqlite", "postgresql"], default="sqlite")
    add("--workers", type=int, default=2, help="hypercorn workers")
    add("--dataset", choices=sorted(DATASETS), default="default")
    add("--reuse-data", action="store_true", help="keep the dataset an earlier run seeded")
    add("--data", type=Path, help="where the dataset lives (default: the report's data/)")
    add("--users", type=int, default=50, help="locust users")
    add("--spawn-rate", type=float, default=10, help="locust users started per second")
    add("--duration", type=int, default=60, help="measured seconds")
    add("--warmup", type=int, default=10, help="seconds of load before the measured run")
    add("--ceiling-duration", type=int, default=15, help="seconds on the bare Quart ceiling")
    add("--processes", type=int, default=2, help="locust processes generating the load")
    add("--no-think-time", action="store_true", help="LOAD_THINK_TIME=0: throughput run")
    add("--host", help="a remote deployment's base URL: no seeding, no local servers")
    add("--credentials", type=Path, help="the seeder's credentials file for --host")
    add("--max-p95-ms", type=float, default=250.0, help="aggregated p95 limit")
    add("--max-p99-ms", type=float, default=None, help="aggregated p99 limit (default: none)")
    add("--max-failure-ratio", type=float, default=0.0, help="failures / requests limit")
    add("--min-balance", type=float, default=0.75, help="fewest/most requests per worker; 0: off")
    add("--allow-status", default="", help="HTTP statuses whose locust failures are excused")
    return parser


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = build_parser()
    if parser.parse_args(argv).smoke:
        parser.set_defaults(**SMOKE)
    args = parser.parse_args(argv)
    args.command = ".venv/bin/python load/bench.py " + shlex.join(argv)
    if args.host and not args.credentials:
        parser.error("--host needs --credentials (the file the target's seeder wrote)")
    return args


def thresholds(args: argparse.Namespace) -> Thresholds:
    statuses = frozenset(int(status) for status in args.allow_status.split(",") if status.strip())
    return Thresholds(
        max_p95_ms=args.max_p95_ms, max_p99_ms=args.max_p99_ms,
        max_failure_ratio=args.max_failure_ratio, min_balance=args.min_balance,
        allow_status=statuses,
    )  # fmt: skip


@dataclass(frozen=True)
class Locust:
    """Headless locust runs with this run's users and processes; output goes to logs/."""

    args: argparse.Namespace
    credentials: Path
    logs: Path

    def run(
        self, locustfile: Path, host: str, seconds: int, log_name: str, csv: Path | None = None
    ) -> None:
        command = [
            str(benchlib.VENV_BIN / "locust"), "-f", str(locustfile), "-H", host, "--headless",
            "-u", str(self.args.users), "-r", str(self.args.spawn_rate), "-t", f"{seconds}s",
            "--processes", str(self.args.processes), "--only-summary",
        ]  # fmt: skip
        if csv is not None:
            command += ["--csv", str(csv), "--csv-full-history"]
        if csv is not None and csv.name == "locust":  # the ceiling's page would say little
            command += ["--html", f"{csv}.html"]
        environment = {**os.environ, "LOAD_CREDENTIALS": str(self.credentials.resolve())}
        if self.args.no_think_time:
            environment["LOAD_THINK_TIME"] = "0"
        with (self.logs / log_name).open("ab") as log:
            process = subprocess.Popen(
                command, env=environment, cwd=benchlib.PROJECT_ROOT, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip
            try:
                process.wait(timeout=seconds + LOCUST_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
            finally:  # a hung locust, or ^C here (locust has a session of its own)
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        if csv is not None and not Path(f"{csv}_stats.csv").exists():
            raise RuntimeError(f"locust wrote no statistics: see {relative(self.logs / log_name)}")


def describe_size(kind: str, size: benchlib.DatasetSize) -> str:
    return (
        f"{kind}: {size.projects} projects, {size.issues:,} issues, {size.comments:,} comments, "
        f"{size.users} users"
    )


def prepare_data(args: argparse.Namespace, data: Path, logs: Path) -> tuple[str, Path, str]:
    """The database URL, the credentials file, and what the report says about the dataset."""
    url = benchlib.database_url(args.database, data)
    credentials = data / f"credentials-{args.database}.json"
    if args.reuse_data and credentials.exists():
        return url, credentials, f"reused from an earlier run ({relative(credentials)})"
    size = DATASETS[args.dataset]
    say(f"seeding {describe_size(args.dataset, size)} on {args.database}")
    seconds = benchlib.seed(url, credentials, size, log=logs / "seed.log")
    return url, credentials, f"{describe_size(args.dataset, size)} (seeded in {seconds:.0f} s)"


def run_local(args: argparse.Namespace, folder: Path, logs: Path) -> Run:
    data = args.data or folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    url, credentials, dataset = prepare_data(args, data, logs)
    locust = Locust(args, credentials, logs)
    with benchlib.ceiling_server(workers=args.workers, log_path=logs / "ceiling.log") as ceiling:
        say(f"ceiling: {args.ceiling_duration} s of locust on the bare Quart app")
        locust.run(
            CEILING_LOCUSTFILE, ceiling.base_url, args.ceiling_duration, "locust-ceiling.log",
            folder / "ceiling",
        )  # fmt: skip
    server = benchlib.app_server(url, workers=args.workers, log_path=logs / "app.log")
    with server:
        say(f"warm-up: {args.warmup} s")
        locust.run(LOCUSTFILE, server.base_url, args.warmup, "locust-warmup.log")
        server.mark_log()
        say(f"measured run: {args.duration} s, {args.users} users")
        locust.run(LOCUSTFILE, server.base_url, args.duration, "locust.log", folder / "locust")
        measured_log = server.log_since_mark()
    return local_run(
        args, folder, dataset=dataset, base_url=server.base_url, measured_log=measured_log,
        server_log=(logs / "app.log").read_text(),
    )  # fmt: skip


def local_run(
    args: argparse.Namespace, folder: Path, *, dataset: str, base_url: str, measured_log: str,
    server_log: str,
) -> Run:  # fmt: skip
    """The run read back from locust's CSV files and the server's access log: requests per
    worker from the measured part, problems from all of it (warm-up included)."""
    run = read_run(args, folder, target=f"local `quart_app serve` ({base_url})")
    run.dataset = dataset
    run.ceiling = benchreport.aggregated(benchreport.read_stats(folder / "ceiling_stats.csv"))
    run.per_worker = benchlib.requests_per_worker(measured_log)
    run.server_problems = benchlib.server_problems(server_log)
    return run


def run_remote(args: argparse.Namespace, folder: Path, logs: Path) -> Run:
    locust = Locust(args, args.credentials, logs)
    say(f"warm-up: {args.warmup} s against {args.host}")
    locust.run(LOCUSTFILE, args.host, args.warmup, "locust-warmup.log")
    say(f"measured run: {args.duration} s, {args.users} users")
    locust.run(LOCUSTFILE, args.host, args.duration, "locust.log", folder / "locust")
    run = read_run(args, folder, target=f"remote {args.host}")
    run.dataset = f"the target's own (credentials: {args.credentials})"
    return run


def read_run(args: argparse.Namespace, folder: Path, *, target: str) -> Run:
    remote = bool(args.host)
    settings = {
        "database": "unknown (remote)" if remote else args.database,
        "hypercorn workers": "unknown (remote)" if remote else str(args.workers),
        "locust": f"{args.users} users, spawn rate {args.spawn_rate:g}/s, "
        f"{args.processes} processes, think time {'off' if args.no_think_time else 'on'}",
        "measured": f"{args.duration} s after a {args.warmup} s warm-up",
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "machine": f"{os.cpu_count()} CPUs, shared by the server and locust" if not remote else "",
    }
    return Run(
        name=args.name, command=args.command,
        target=target, dataset="", settings={k: v for k, v in settings.items() if v},
        rows=benchreport.read_stats(folder / "locust_stats.csv"),
        failures=benchreport.read_failures(folder / "locust_failures.csv"),
        history=benchreport.read_history(folder / "locust_stats_history.csv"),
        think_time=not args.no_think_time,
    )  # fmt: skip


def conclude(run: Run, limits: Thresholds, folder: Path, *, charts: bool = True) -> int:
    """Write summary.md (and the charts); print the verdict; 1 when a threshold is breached."""
    drawn = []
    if charts:
        import benchcharts  # matplotlib is slow to import: only when drawing

        drawn = benchcharts.draw(run, limits, folder)
    found = benchreport.checks(run, limits)
    (folder / "summary.md").write_text(benchreport.markdown(run, found, drawn))
    total = run.total
    say(
        f"{total.requests:,} requests, {total.rps:,.1f} rps, p95 {total.p95_ms or 0:g} ms, "
        f"{total.failures} failures; report: {relative(folder / 'summary.md')}"
    )
    for breach in benchreport.breaches(found):
        print(f"BREACH: {breach}", file=sys.stderr)
    return 1 if benchreport.breaches(found) else 0


def commit() -> str:
    found = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=benchlib.PROJECT_ROOT,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return found.stdout.strip() or "unknown"


def relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(benchlib.PROJECT_ROOT))
    except ValueError:
        return str(path)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    if not (benchlib.VENV_BIN / "locust").exists():
        print("locust is missing: .venv/bin/pip install --group load", file=sys.stderr)
        return 2
    folder = benchlib.LOAD_DIR / "reports" / args.name
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for pattern in REPORT_FILES:  # an earlier run's report, not its dataset
        for old in folder.glob(pattern):
            old.unlink()
    try:
        run = run_remote(args, folder, logs) if args.host else run_local(args, folder, logs)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"the run could not be made: {error} (logs: {relative(logs)})", file=sys.stderr)
        return 2
    return conclude(run, thresholds(args), folder)


if __name__ == "__main__":
    sys.exit(main())
