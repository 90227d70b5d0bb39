"""The knobs of a run, read from environment variables (the list is in load/locustfile.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from locust import between, constant
from locust.env import Environment

DEFAULT_CREDENTIALS = Path(__file__).resolve().parents[1] / "credentials.json"  # load/
WaitTime = Callable[[Any], float]


def number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name}={raw!r}: expected a number") from None


def credentials_path() -> Path:
    return Path(os.environ.get("LOAD_CREDENTIALS") or DEFAULT_CREDENTIALS)


def weight(persona: str, default: int) -> int:
    """A persona's share of the locust users: LOAD_WEIGHT_VISITOR, _MEMBER, _API."""
    return max(0, round(number(f"LOAD_WEIGHT_{persona}", default)))


def think_time(prefix: str, low: float, high: float) -> WaitTime:
    """``between(LOAD_<prefix>WAIT_MIN, LOAD_<prefix>WAIT_MAX)``; none at all with
    LOAD_THINK_TIME=0 (throughput runs: every user sends its next request at once)."""
    if number("LOAD_THINK_TIME", 1) == 0:
        return constant(0)
    low = number(f"LOAD_{prefix}WAIT_MIN", low)
    return between(low, max(low, number(f"LOAD_{prefix}WAIT_MAX", high)))


def process_count(environment: Environment) -> int:
    """How many load-generator processes share the accounts: LOAD_WORKER_COUNT, else locust's
    ``--processes`` (-1: one per core), else 1."""
    configured = round(number("LOAD_WORKER_COUNT", 0))
    if configured > 0:
        return configured
    processes = getattr(environment.parsed_options, "processes", None) or 0
    if processes == -1:
        return os.cpu_count() or 1
    return max(1, processes)
