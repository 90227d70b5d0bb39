"""What the benchmark scripts share: seeding a database, starting and stopping servers, logs.

The scripts run from the project's virtualenv on the machine under test. They start the app the
way production does (`quart_app serve`: the packaged hypercorn settings, one socket per worker),
and the bare-Quart ceiling app (load/ceiling_app.py) on exactly the same settings.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

LOAD_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = LOAD_DIR.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/quart_app_bench"
START_TIMEOUT_SECONDS = 60
# Serves the bare ceiling app through the same code path as `quart_app serve`.
CEILING_COMMAND = [
    sys.executable, "-c",
    "import os, sys; from quart_app.serving import hypercorn_config, run_with_graceful_workers; "
    "config = hypercorn_config(os.environ, host='127.0.0.1'); "
    "config.application_path = 'load.ceiling_app:app'; "
    "sys.exit(run_with_graceful_workers(config))",
]  # fmt: skip
WORKER_TAG = re.compile(r" <(\d+)>$")  # the access log's last field: the worker's pid
STATUS = re.compile(r'" (\d{3}) ')


@dataclass(frozen=True)
class DatasetSize:
    projects: int = 20
    issues: int = 50_000
    comments: int = 200_000
    users: int = 500

    def arguments(self) -> list[str]:
        return [
            f"--projects={self.projects}", f"--issues={self.issues}",
            f"--comments={self.comments}", f"--users={self.users}",
        ]  # fmt: skip


SMALL_DATASET = DatasetSize(projects=4, issues=2_000, comments=6_000, users=40)


def database_url(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite3'}"
    if kind == "postgresql":
        return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    raise ValueError(f"database {kind!r}: use sqlite or postgresql")


def server_environment(url: str, *, port: int, workers: int) -> dict[str, str]:
    """The app's settings for a local benchmark.

    Production settings, except that the cookies are not Secure (the benchmark speaks plain
    HTTP to 127.0.0.1) and rate limits are off (every virtual user shares one address).
    APP_ENV=development with DEBUG off gives exactly that: --allow-non-production says so.
    """
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_", "APP_", "REDIS_"))
    }
    environment.update(
        APP_ENV="development", DEBUG="false", RATE_LIMITS_ENABLED="false", LOG_LEVEL="WARNING",
        SECRET_KEY=secrets.token_urlsafe(48), DATABASE_URL=url, PORT=str(port),
        WEB_CONCURRENCY=str(workers), PYTHONPATH=str(PROJECT_ROOT),
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )  # fmt: skip
    return environment


def seed(url: str, credentials: Path, size: DatasetSize, *, log: Path) -> float:
    """A fresh database holding the dataset; returns the seconds it took."""
    _drop_database(url)
    environment = server_environment(url, port=0, workers=1)
    started = time.monotonic()
    with log.open("a") as output:
        for command in (
            ["quart_app", "migrate"],
            ["quart_app", "seed-load", *size.arguments(), f"--credentials={credentials}"],
        ):
            subprocess.run(
                command, env=environment, cwd=PROJECT_ROOT, stdout=output, stderr=output,
                check=True,
            )  # fmt: skip
    return time.monotonic() - started


def _drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(urlsplit(url).path)
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    for statement in (
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    ):
        subprocess.run(["psql", admin, "-qc", statement], check=True, capture_output=True)


def read_credentials(path: Path) -> dict[str, Any]:
    credentials: dict[str, Any] = json.loads(path.read_text())
    return credentials


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """A server process group on 127.0.0.1, its log, and the worker each request went to."""

    command: list[str]
    environment: dict[str, str]
    log_path: Path
    port: int
    ready_path: str = "/healthz"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log_offset: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, env=self.environment, cwd=PROJECT_ROOT, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log_path}")
            try:
                if httpx.get(self.base_url + self.ready_path, timeout=1).status_code == 200:
                    self.mark_log()
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer in {START_TIMEOUT_SECONDS} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)  # the parent stops its workers gracefully
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def mark_log(self) -> None:
        """Count requests from here on (drops the readiness probes and warm-ups)."""
        self.log_offset = self.log_path.stat().st_size

    def log_since_mark(self) -> str:
        with self.log_path.open("rb") as log:
            log.seek(self.log_offset)
            return log.read().decode(errors="replace")

    def requests_per_worker(self) -> Counter[str]:
        return requests_per_worker(self.log_since_mark())


def app_server(url: str, *, workers: int, log_path: Path) -> Server:
    """The tracker as `quart_app serve` runs it.

    BENCH_APP_SOURCE=<folder with an older quart_app/> serves that code instead (for before and
    after figures: `git worktree add /tmp/before <commit>`); seeding still uses this checkout.
    """
    port = free_port()
    command = [str(VENV_BIN / "quart_app"), "serve", "--allow-non-production", "--host=127.0.0.1"]
    environment = server_environment(url, port=port, workers=workers)
    source = os.environ.get("BENCH_APP_SOURCE")
    if source:
        environment["PYTHONPATH"] = f"{source}{os.pathsep}{PROJECT_ROOT}"
    return Server(command, environment, log_path, port)


def ceiling_server(*, workers: int, log_path: Path) -> Server:
    port = free_port()
    environment = server_environment("sqlite://", port=port, workers=workers)
    return Server(list(CEILING_COMMAND), environment, log_path, port, ready_path="/")


def requests_per_worker(log: str) -> Counter[str]:
    """Access-log lines per worker pid (the ` <pid>` that ends each line)."""
    return Counter(
        match.group(1) for line in log.splitlines() if (match := WORKER_TAG.search(line))
    )


def balance(counts: Counter[str]) -> float:
    """The smallest worker's count over the largest's: 1.0 is even, 0 means one worker idled."""
    if len(counts) < 2:
        return 0.0
    return min(counts.values()) / max(counts.values())


def server_problems(log: str) -> list[str]:
    """What must never appear in a server log under load: 5xx, tracebacks, locked databases."""
    problems = []
    if "database is locked" in log:
        problems.append('"database is locked" in the server log')
    if "Traceback" in log:
        problems.append("a traceback in the server log")
    fives = sum(
        1 for line in log.splitlines() if (m := STATUS.search(line)) and m.group(1) >= "500"
    )
    if fives:
        problems.append(f"{fives} responses with a 5xx status in the server log")
    return problems


def sign_in_cookie(base_url: str, login: str, password: str) -> str:
    """A signed-in session's Cookie header, through the JSON sign-in."""
    response = httpx.post(
        f"{base_url}/api/v1/session", json={"login": login, "password": password}, timeout=30
    )
    response.raise_for_status()
    return "; ".join(f"{name}={value}" for name, value in response.cookies.items())


def have(program: str) -> bool:
    return shutil.which(program) is not None
