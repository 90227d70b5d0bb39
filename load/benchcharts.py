"""The benchmark report's PNG charts (matplotlib, drawn off-screen): throughput and latency over
time from locust's history, and latency per endpoint from its final statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchreport import Run, Thresholds

DPI = 110


def draw(run: Run, limits: Thresholds, folder: Path) -> list[tuple[str, str]]:
    """Every chart as (title, file name in ``folder``), for summary.md to embed."""
    import matplotlib  # here, not at import: the report's tests need no matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    charts = [
        ("Throughput over time", "throughput.png", _throughput),
        ("Latency over time (p50, p95)", "latency.png", _latency),
        ("Latency per endpoint (p50, p95, p99)", "endpoints.png", _endpoints),
    ]
    drawn = []
    for title, file_name, plot in charts:
        figure = plot(pyplot, run, limits)
        figure.suptitle(f"{run.name}: {title.lower()}")
        figure.savefig(folder / file_name, dpi=DPI, bbox_inches="tight")
        pyplot.close(figure)
        drawn.append((title, file_name))
    return drawn


def _seconds(run: Run) -> list[int]:
    start = run.history[0].timestamp if run.history else 0
    return [moment.timestamp - start for moment in run.history]


def _throughput(pyplot: Any, run: Run, _limits: Thresholds) -> Any:
    figure, axes = pyplot.subplots(figsize=(9, 4), layout="constrained")
    seconds = _seconds(run)
    axes.plot(seconds, [moment.rps for moment in run.history], label="requests/s")
    axes.plot(
        seconds, [moment.failures_per_second for moment in run.history], label="failures/s",
        color="tab:red",
    )  # fmt: skip
    axes.set_xlabel("seconds since start")
    axes.set_ylabel("per second (locust's moving figure)")
    users = axes.twinx()
    users.plot(seconds, [moment.users for moment in run.history], color="tab:gray", ls=":")
    users.set_ylabel("locust users", color="tab:gray")
    users.set_ylim(bottom=0)
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)
    return figure


def _latency(pyplot: Any, run: Run, limits: Thresholds) -> Any:
    figure, axes = pyplot.subplots(figsize=(9, 4), layout="constrained")
    points = [(s, m) for s, m in zip(_seconds(run), run.history, strict=True) if m.p95_ms]
    axes.plot([s for s, _ in points], [m.p50_ms for _, m in points], label="p50")
    axes.plot([s for s, _ in points], [m.p95_ms for _, m in points], label="p95")
    axes.axhline(limits.max_p95_ms, color="tab:red", ls="--", lw=1, label="p95 limit")
    axes.set_xlabel("seconds since start")
    axes.set_ylabel("response time, ms")
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)
    return figure


def _endpoints(pyplot: Any, run: Run, limits: Thresholds) -> Any:
    rows = [row for row in run.endpoints if row.p50_ms is not None][::-1]
    figure, axes = pyplot.subplots(
        figsize=(10, 1.2 + 0.32 * max(1, len(rows))), layout="constrained"
    )
    height = 0.27
    for offset, (label, values) in enumerate(
        [
            ("p50", [row.p50_ms or 0 for row in rows]),
            ("p95", [row.p95_ms or 0 for row in rows]),
            ("p99", [row.p99_ms or 0 for row in rows]),
        ]
    ):
        positions = [index + (offset - 1) * height for index in range(len(rows))]
        axes.barh(positions, values, height=height, label=label)
    axes.set_yticks(range(len(rows)), [_short(row.label) for row in rows], fontsize=7)
    axes.axvline(limits.max_p95_ms, color="tab:red", ls="--", lw=1, label="p95 limit (total)")
    axes.set_xlabel("response time, ms")
    axes.legend(loc="lower right")
    axes.grid(axis="x", alpha=0.3)
    return figure


def _short(label: str, width: int = 70) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
