"""Start real server processes on 127.0.0.1 the way platforms do, and stop them cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from quart_app.config import ENVIRONMENT_SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT_SECONDS = 30
# Serves tests/live/write_app.py (the app plus probe routes) exactly as `quart_app serve` serves
# the app: the packaged hypercorn settings, $PORT, $WEB_CONCURRENCY, graceful workers.
PROBE_APP_COMMAND = [
    sys.executable, "-c",
    "import os, sys; from quart_app.serving import hypercorn_config, run_with_graceful_workers; "
    "config = hypercorn_config(os.environ, host='127.0.0.1'); "
    "config.application_path = 'tests.live.write_app:create_app()'; "
    "sys.exit(run_with_graceful_workers(config))",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def process_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This environment without app settings, this virtualenv first on PATH, plus ``extra``."""
    environment = {
        name: value for name, value in os.environ.items() if name not in ENVIRONMENT_SETTINGS
    }
    environment["PATH"] = f"{VENV_BIN}{os.pathsep}{environment.get('PATH', '')}"
    environment["PYTHONPATH"] = str(PROJECT_ROOT)  # so hypercorn can import tests.live.*
    return {**environment, **extra}


def run(
    command: str | Sequence[str], environment: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion, through the shell when given as a string (as a Procfile is)."""
    return subprocess.run(
        command, shell=isinstance(command, str), env=process_environment(environment),
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@dataclass
class LiveServer:
    process: subprocess.Popen[str]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server not healthy after {START_TIMEOUT_SECONDS}s:\n{self.log()}")

    def stop(self) -> int:
        """SIGTERM to the whole process group, as platforms send it; returns the exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def start(
    command: str | Sequence[str], environment: Mapping[str, str], *, port: int, log_path: Path
) -> LiveServer:
    with log_path.open("w") as log_file:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            command, shell=isinstance(command, str), env=process_environment(environment),
            cwd=PROJECT_ROOT, stdout=log_file, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
    return LiveServer(process, port, log_path)


def start_probe_app(environment: Mapping[str, str], *, workers: int, log_path: Path) -> LiveServer:
    """The probe app on a free port with ``workers`` workers, healthy when this returns."""
    port = free_port()
    extra = {"PORT": str(port), "WEB_CONCURRENCY": str(workers)}
    live = start(PROBE_APP_COMMAND, {**environment, **extra}, port=port, log_path=log_path)
    try:
        live.wait_until_healthy()
    except Exception:
        live.stop()
        raise
    return live
