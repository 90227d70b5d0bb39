"""The benchmark report: locust's CSV files read back, the thresholds judged, summary.md written.

Pure functions over files and numbers (no servers, no locust import), so the test suite can feed
them a fake run. load/bench.py gathers a `Run`; load/benchcharts.py draws its charts.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import balance

AGGREGATED = "Aggregated"
THINK_TIME_NOTE = (
    "The personas think between actions here, so an endpoint's ratio is its share of the "
    'offered load, not a capacity figure (load/README.md, "Reading the ratios").'
)
FAILURE_STATUS = re.compile(r"\bHTTP (\d{3})\b|\b(\d{3}) (?:Client|Server) Error\b")


@dataclass(frozen=True)
class Row:
    """One line of locust's _stats.csv: an endpoint, or the "Aggregated" total."""

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    @property
    def label(self) -> str:
        return f"{self.method} {self.name}".strip()


@dataclass(frozen=True)
class Failure:
    """One line of locust's _failures.csv."""

    method: str
    name: str
    error: str
    occurrences: int

    @property
    def status(self) -> int | None:
        """The HTTP status the error names ("HTTP 412: ..." from the personas), if any."""
        match = FAILURE_STATUS.search(self.error)
        return int(match.group(1) or match.group(2)) if match else None


@dataclass(frozen=True)
class Moment:
    """One second of the run (the "Aggregated" lines of _stats_history.csv)."""

    timestamp: int
    users: int
    rps: float
    failures_per_second: float
    p50_ms: float | None
    p95_ms: float | None


@dataclass(frozen=True)
class Thresholds:
    max_p95_ms: float = 250.0
    max_p99_ms: float | None = None
    max_failure_ratio: float = 0.0
    min_balance: float = 0.75
    allow_status: frozenset[int] = frozenset()


@dataclass
class Run:
    """What one benchmark run measured. ``None`` means "not measured" (a remote target)."""

    name: str
    command: str
    target: str
    dataset: str
    settings: dict[str, str]
    rows: list[Row]
    failures: list[Failure] = field(default_factory=list)
    history: list[Moment] = field(default_factory=list)
    ceiling: Row | None = None
    per_worker: Counter[str] | None = None
    server_problems: list[str] | None = None
    think_time: bool = True

    @property
    def total(self) -> Row:
        return aggregated(self.rows)

    @property
    def endpoints(self) -> list[Row]:
        return sorted(
            (row for row in self.rows if row.name != AGGREGATED),
            key=lambda row: (-row.requests, row.label),
        )


@dataclass(frozen=True)
class Check:
    """One threshold and how the run did: ``passed`` is None when it was not checked."""

    name: str
    limit: str
    measured: str
    passed: bool | None

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "**BREACH**", None: "not checked"}[self.passed]


def aggregated(rows: list[Row]) -> Row:
    """The "Aggregated" line (all zeros when locust wrote none)."""
    found = [row for row in rows if row.name == AGGREGATED]
    return found[0] if found else Row("", AGGREGATED, 0, 0, 0.0, None, None, None)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:  # locust writes "N/A" before the first response
        return None


def read_stats(path: Path) -> list[Row]:
    with path.open(newline="") as file:
        return [
            Row(
                method=line["Type"],
                name=line["Name"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                rps=float(line["Requests/s"]),
                p50_ms=_number(line["50%"]),
                p95_ms=_number(line["95%"]),
                p99_ms=_number(line["99%"]),
            )
            for line in csv.DictReader(file)
        ]


def read_failures(path: Path) -> list[Failure]:
    if not path.exists():
        return []
    with path.open(newline="") as file:
        return [
            Failure(line["Method"], line["Name"], line["Error"], int(line["Occurrences"]))
            for line in csv.DictReader(file)
        ]


def read_history(path: Path) -> list[Moment]:
    if not path.exists():
        return []
    with path.open(newline="") as file:
        return [
            Moment(
                timestamp=int(line["Timestamp"]),
                users=int(line["User Count"]),
                rps=float(line["Requests/s"]),
                failures_per_second=float(line["Failures/s"]),
                p50_ms=_number(line["50%"]),
                p95_ms=_number(line["95%"]),
            )
            for line in csv.DictReader(file)
            if line["Name"] == AGGREGATED
        ]


def counted_failures(run: Run, allowed: frozenset[int]) -> int:
    """Locust's failures, less those whose status the thresholds allow."""
    excused = sum(failure.occurrences for failure in run.failures if failure.status in allowed)
    return max(0, run.total.failures - excused)


def ratio(row: Row, ceiling: Row | None) -> float | None:
    """The endpoint's throughput as a share of the bare Quart ceiling's."""
    if ceiling is None or ceiling.rps <= 0:
        return None
    return row.rps / ceiling.rps


def checks(run: Run, limits: Thresholds) -> list[Check]:
    total = run.total
    failures = counted_failures(run, limits.allow_status)
    failure_ratio = failures / total.requests if total.requests else 0.0
    found = [
        Check("requests made", "> 0", f"{total.requests:,}", total.requests > 0),
        Check(
            "failures / requests",
            f"<= {limits.max_failure_ratio:g}",
            f"{failures:,} / {total.requests:,} = {failure_ratio:.4f}",
            failure_ratio <= limits.max_failure_ratio,
        ),
        _latency_check("p95", total.p95_ms, limits.max_p95_ms),
    ]
    if limits.max_p99_ms is not None:
        found.append(_latency_check("p99", total.p99_ms, limits.max_p99_ms))
    problems = run.server_problems
    found.append(
        Check(
            'server log: no 5xx, traceback, "database is locked"',
            "none",
            "not read (remote target)" if problems is None else "; ".join(problems) or "none",
            None if problems is None else not problems,
        )
    )
    found.append(_balance_check(run.per_worker, limits.min_balance))
    return found


def _latency_check(which: str, measured: float | None, limit: float) -> Check:
    shown = "no responses" if measured is None else f"{measured:g} ms"
    passed = measured is not None and measured <= limit
    return Check(f"aggregated {which}", f"<= {limit:g} ms", shown, passed)


def _balance_check(per_worker: Counter[str] | None, minimum: float) -> Check:
    name = "worker balance (min/max requests)"
    if per_worker is None:
        return Check(name, f">= {minimum:g}", "not counted (remote target)", None)
    measured = f"{balance(per_worker):.2f} over {len(per_worker)} workers"
    if minimum <= 0:
        return Check(name, "reported only", measured, None)
    return Check(name, f">= {minimum:g}", measured, balance(per_worker) >= minimum)


def breaches(found: list[Check]) -> list[str]:
    return [
        f"{check.name}: {check.measured} (limit {check.limit})"
        for check in found
        if check.passed is False
    ]


def markdown(run: Run, found: list[Check], charts: list[tuple[str, str]]) -> str:
    """summary.md: how the run was made, every endpoint, the workers, the verdicts, the charts."""
    settings = {"target": run.target, "dataset": run.dataset, **run.settings}
    lines = [f"# Benchmark: {run.name}", "", f"Command: `{run.command}`", ""]
    lines += [f"- {key}: {value}" for key, value in settings.items()]
    lines += ["", "## Endpoints", "", *_endpoint_table(run), ""]
    lines += ["## Requests per worker", "", *_worker_lines(run.per_worker), ""]
    lines += ["## Thresholds", "", "| check | limit | measured | verdict |", "|---|---|---|---|"]
    lines += [
        f"| {check.name} | {check.limit} | {check.measured} | {check.verdict} |" for check in found
    ]
    lines += ["", *(f"- BREACH: {breach}" for breach in breaches(found))]
    lines += ["" if breaches(found) else "Every threshold held.", ""]
    lines += ["## Charts", "", *(f"![{title}]({file})\n" for title, file in charts)]
    lines += ["## Failures", "", *_failure_lines(run.failures)]
    return "\n".join(lines).rstrip() + "\n"


def _milliseconds(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _endpoint_table(run: Run) -> list[str]:
    lines = [
        "| endpoint | requests | rps | p50 ms | p95 ms | p99 ms | failures | ratio to ceiling |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in [*run.endpoints, run.total]:
        share = ratio(row, run.ceiling)
        label = "**total**" if row.name == AGGREGATED else f"`{row.label}`"
        lines.append(
            f"| {label} | {row.requests:,} | {row.rps:,.1f} | {_milliseconds(row.p50_ms)} | "
            f"{_milliseconds(row.p95_ms)} | {_milliseconds(row.p99_ms)} | {row.failures:,} | "
            f"{'-' if share is None else f'{share:.3g}'} |"
        )
    if run.ceiling is None:
        return [*lines, "", "No ceiling: the bare Quart app runs only beside a local server."]
    return [
        *lines, "",
        f"Ceiling: the bare Quart app (`GET /`, a constant) under the same locust users and "
        f"processes on the same hypercorn settings: {run.ceiling.rps:,.1f} rps, "
        f"p95 {_milliseconds(run.ceiling.p95_ms)} ms, {run.ceiling.failures} failures.",
        *([THINK_TIME_NOTE] if run.think_time else []),
    ]  # fmt: skip


def _worker_lines(per_worker: Counter[str] | None) -> list[str]:
    if per_worker is None:
        return ["Not counted: the target is remote (its access log is not here)."]
    lines = ["| worker pid | requests |", "|---|---|"]
    lines += [f"| {pid} | {count:,} |" for pid, count in sorted(per_worker.items())]
    return [*lines, "", f"Balance (fewest / most): {balance(per_worker):.2f}"]


def _failure_lines(failures: list[Failure]) -> list[str]:
    if not failures:
        return ["None."]
    lines = ["| endpoint | occurrences | error |", "|---|---|---|"]
    for failure in sorted(failures, key=lambda failure: -failure.occurrences):
        error = failure.error.replace("|", "\\|").replace("\n", " ")[:300]
        lines.append(f"| `{failure.method} {failure.name}` | {failure.occurrences:,} | {error} |")
    return lines
