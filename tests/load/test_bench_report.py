"""The benchmark report: a fake run (locust's CSV files and an access log) read back, summarised,
compared with the ceiling and judged against the thresholds. No server, no locust."""

from __future__ import annotations

from pathlib import Path

import bench
import pytest
from benchreport import Run

STATS_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
HISTORY_HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,"
    "99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size"
)
FAILURES_HEADER = "Method,Name,Error,Occurrences"


def stats_line(method: str, name: str, requests: int, failures: int, rps: float, p95: int) -> str:
    p50, p99 = p95 // 3, p95 * 2
    return (
        f"{method},{name},{requests},{failures},{p50},{p50},1,{p99},100,{rps},0.0,"
        f"{p50},{p50},{p50},{p50},{p95},{p95},{p95},{p99},{p99},{p99},{p99}"
    )


def history_line(second: int, rps: float, p95: str) -> str:
    cells = ",".join([p95] * 11)
    return f"{1_800_000_000 + second},20,,Aggregated,{rps},0.0,{cells},{second * 10},0,1,1,1,1,1"


def access_log(per_worker: dict[str, int], *, status: int = 200) -> str:
    return "".join(
        f'[2026-11-21 17:23:39 +0000] [{pid}] [INFO] 127.0.0.1:4000 "GET /projects 1.1" '
        f'{status} 16 0.002s "python/gevent-http-client" <{pid}>\n'
        for pid, count in per_worker.items()
        for _ in range(count)
    )


def write_lines(path: Path, *lines: str) -> None:
    path.write_text("\n".join(lines) + "\n")


def fake_run(
    folder: Path, *, p95: int = 40, failures: list[str] | None = None,
    per_worker: dict[str, int] | None = None, server_log: str = "",
) -> Run:  # fmt: skip
    failures = failures or []
    write_lines(
        folder / "locust_stats.csv", STATS_HEADER,
        stats_line("GET", "/projects/[key]/issues", 600, 0, 20.0, p95),
        stats_line("POST", "/api/v1/projects/[key]/issues", 100, len(failures), 5.0, p95),
        stats_line("", "Aggregated", 700, len(failures), 25.0, p95),
    )  # fmt: skip
    write_lines(
        folder / "locust_failures.csv", FAILURES_HEADER,
        *(f"POST,/api/v1/projects/[key]/issues,{error},1" for error in failures),
    )  # fmt: skip
    write_lines(
        folder / "locust_stats_history.csv", HISTORY_HEADER,
        history_line(0, 0.0, "N/A"), history_line(1, 24.0, str(p95)),
    )  # fmt: skip
    write_lines(
        folder / "ceiling_stats.csv", STATS_HEADER,
        stats_line("", "Aggregated", 5000, 0, 500.0, 30),
    )  # fmt: skip
    args = bench.parse_arguments(["--name", "fake"])
    measured = access_log(per_worker or {"101": 350, "102": 350})
    run = bench.local_run(
        args, folder, dataset="small", base_url="http://127.0.0.1:1", measured_log=measured,
        server_log=access_log({"101": 3}) + measured + server_log,
    )  # fmt: skip
    return run


def conclude(run: Run, folder: Path, argv: tuple[str, ...] = ()) -> tuple[int, str]:
    limits = bench.thresholds(bench.parse_arguments(["--name", "x", *argv]))
    code = bench.conclude(run, limits, folder, charts=False)
    return code, (folder / "summary.md").read_text()


@pytest.mark.unit
def test_summary_lists_every_endpoint_with_its_ratio_to_the_ceiling(tmp_path: Path) -> None:
    run = fake_run(tmp_path)

    code, summary = conclude(run, tmp_path)

    assert code == 0
    assert "| `GET /projects/[key]/issues` | 600 | 20.0 | 13 | 40 | 80 | 0 | 0.04 |" in summary
    assert "| `POST /api/v1/projects/[key]/issues` | 100 | 5.0 |" in summary
    assert "| **total** | 700 | 25.0 | 13 | 40 | 80 | 0 | 0.05 |" in summary
    assert "500.0 rps" in summary and "Every threshold held." in summary
    assert "Command: `.venv/bin/python load/bench.py --name fake`" in summary


@pytest.mark.unit
def test_requests_per_worker_come_from_the_measured_access_log(tmp_path: Path) -> None:
    run = fake_run(tmp_path, per_worker={"101": 300, "102": 400})

    _, summary = conclude(run, tmp_path)

    assert run.per_worker == {"101": 300, "102": 400}
    assert "| 101 | 300 |" in summary and "| 102 | 400 |" in summary
    assert "Balance (fewest / most): 0.75" in summary


@pytest.mark.unit
def test_each_breach_is_listed_and_the_exit_is_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = fake_run(
        tmp_path, p95=400, failures=["HTTP 500: boom"], per_worker={"101": 100, "102": 600},
        server_log="Traceback (most recent call last):\nOperationalError: database is locked\n",
    )  # fmt: skip

    code, summary = conclude(run, tmp_path)

    assert code == 1
    breaches = capsys.readouterr().err
    assert "failures / requests: 1 / 700" in breaches
    assert "aggregated p95: 400 ms (limit <= 250 ms)" in breaches
    assert '"database is locked" in the server log' in breaches
    assert "a traceback in the server log" in breaches
    assert "worker balance (min/max requests): 0.17 over 2 workers (limit >= 0.75)" in breaches
    assert summary.count("**BREACH**") == 4
    assert "| `POST /api/v1/projects/[key]/issues` | 1 | HTTP 500: boom |" in summary


@pytest.mark.unit
def test_a_5xx_in_the_server_log_is_a_breach(tmp_path: Path) -> None:
    run = fake_run(tmp_path, server_log=access_log({"101": 2}, status=503))

    code, _ = conclude(run, tmp_path)

    assert code == 1
    assert run.server_problems == ["2 responses with a 5xx status in the server log"]


@pytest.mark.unit
def test_allowed_statuses_excuse_their_failures_only(tmp_path: Path) -> None:
    failures = ["CatchResponseError('HTTP 412: changed meanwhile')", "HTTP 422: stale"]
    run = fake_run(tmp_path, failures=failures)

    excused, _ = conclude(run, tmp_path, ("--allow-status", "412,422"))
    only_412, _ = conclude(run, tmp_path, ("--allow-status", "412"))

    assert (excused, only_412) == (0, 1)


@pytest.mark.unit
def test_thresholds_are_configurable(tmp_path: Path) -> None:
    run = fake_run(tmp_path, p95=400, failures=["HTTP 500: x"], per_worker={"1": 1, "2": 9})

    code, summary = conclude(
        run, tmp_path,
        ("--max-p95-ms", "500", "--max-failure-ratio", "0.01", "--min-balance", "0"),
    )  # fmt: skip

    assert code == 0
    assert "| worker balance (min/max requests) | reported only | 0.11 over 2 workers |" in summary


@pytest.mark.unit
def test_a_run_without_requests_is_a_breach(tmp_path: Path) -> None:
    run = fake_run(tmp_path)
    run.rows = []

    code, summary = conclude(run, tmp_path)

    assert code == 1
    assert "| requests made | > 0 | 0 | **BREACH** |" in summary


@pytest.mark.unit
def test_a_remote_run_reports_what_it_could_not_check(tmp_path: Path) -> None:
    run = fake_run(tmp_path)
    run.ceiling, run.per_worker, run.server_problems = None, None, None

    code, summary = conclude(run, tmp_path)

    assert code == 0
    assert "not read (remote target) | not checked" in summary
    assert "Not counted: the target is remote" in summary
    assert "| **total** | 700 | 25.0 | 13 | 40 | 80 | 0 | - |" in summary


@pytest.mark.unit
def test_the_smoke_preset_gives_the_ci_thresholds_and_explicit_flags_win() -> None:
    args = bench.parse_arguments(["--smoke", "--name", "smoke", "--users", "5"])
    limits = bench.thresholds(args)

    assert (args.dataset, args.workers, args.duration, args.database) == ("small", 2, 30, "sqlite")
    assert (limits.max_p95_ms, limits.max_failure_ratio, args.users) == (250, 0, 5)


@pytest.mark.unit
def test_the_charts_are_png_files_embedded_in_the_summary(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    run = fake_run(tmp_path)

    bench.conclude(run, bench.thresholds(bench.parse_arguments(["--name", "x"])), tmp_path)

    summary = (tmp_path / "summary.md").read_text()
    for chart in ("throughput.png", "latency.png", "endpoints.png"):
        assert (tmp_path / chart).read_bytes().startswith(b"\x89PNG")
        assert f"]({chart})" in summary
