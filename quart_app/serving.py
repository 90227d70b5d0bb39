"""Production serving: check the config and schema once, then run hypercorn's workers.

Procfile and Dockerfile both start ``quart_app serve``: $PORT and $WEB_CONCURRENCY are read in one
place, and a bad config fails once, with one clear message, instead of once per worker.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from collections.abc import Callable, Mapping
from multiprocessing import get_context
from multiprocessing.connection import wait
from multiprocessing.context import SpawnProcess
from pathlib import Path

from hypercorn.config import Config
from quart import Quart

from quart_app import create_app
from quart_app.access_log import AccessLogger
from quart_app.config import ENVIRONMENT_VARIABLE, ConfigError
from quart_app.db import Database
from quart_app.migrate import ensure_schema_current

HYPERCORN_CONFIG_PATH = Path(__file__).with_name("hypercorn.toml")
DEFAULT_PORT = 8000
DEFAULT_WORKERS = 2


class ServeSettingsError(ValueError):
    """PORT or WEB_CONCURRENCY is not a usable number."""


def hypercorn_config(environ: Mapping[str, str], *, host: str = "0.0.0.0") -> Config:  # noqa: S104
    """The packaged hypercorn.toml, bound to $PORT with $WEB_CONCURRENCY workers."""
    port = _positive_int(environ, "PORT", DEFAULT_PORT)
    workers = _positive_int(environ, "WEB_CONCURRENCY", DEFAULT_WORKERS)
    config = Config.from_toml(HYPERCORN_CONFIG_PATH)
    config.application_path = "quart_app.serving:worker_app()"
    config.logger_class = AccessLogger  # the same lines, without building unused atoms
    config.bind = [f"{host}:{port}"]
    config.workers = workers
    return config


def worker_app() -> Quart:
    """The app as one hypercorn worker serves it: with its start-up objects frozen for the GC.

    Everything built at start-up (modules, templates, the engine) lives as long as the process.
    Left to the cyclic GC, every full collection walks all of it again, and those pauses were
    the largest part of the p99 latency under load (load/README.md). ``gc.freeze()`` moves
    them out of the collector's sight once the worker is ready.
    """
    app = create_app()

    @app.before_serving
    async def freeze_start_up_objects() -> None:
        gc.collect()
        gc.freeze()

    return app


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ServeSettingsError(f"{name}={raw!r} must be a positive whole number")
    return int(raw)


async def check_schema_is_current(config: Mapping[str, object]) -> None:
    database = Database.from_config(dict(config))
    try:
        await ensure_schema_current(database.engine)
    finally:
        await database.dispose()


def serve(host: str = "0.0.0.0", *, allow_non_production: bool = False) -> int:  # noqa: S104
    """Start hypercorn; raises ConfigError, SchemaOutOfDateError or ServeSettingsError first.

    This is the production server, so the production configuration is the default (the workers,
    spawned later, inherit it through the environment), and another one must be asked for: the
    development config has a public SECRET_KEY, and DEBUG shows tracebacks to clients.
    """
    os.environ.setdefault(ENVIRONMENT_VARIABLE, "production")
    environment = os.environ[ENVIRONMENT_VARIABLE]
    if environment != "production" and not allow_non_production:
        problem = (
            f"{ENVIRONMENT_VARIABLE}={environment} is not for serving the public: unset it, "
            "or pass --allow-non-production to serve it anyway"
        )
        raise ConfigError([problem])
    hypercorn = hypercorn_config(os.environ, host=host)
    app = create_app()  # validates the configuration before any worker starts
    asyncio.run(check_schema_is_current(app.config))
    return run_with_graceful_workers(hypercorn)


def run_with_graceful_workers(config: Config) -> int:
    """Run ``config.workers`` hypercorn workers, each on a listening socket of its own.

    Why not hypercorn's own ``run``: it binds one socket and shares it, and the workers race in
    ``accept()``. Clients that keep connections open (browsers behind a proxy, load generators)
    then often all land on one worker while the others idle, which halves throughput on two
    cores. Here every worker gets its own socket on the same port with ``SO_REUSEPORT``, so the
    kernel spreads new connections across the workers evenly.

    Why SIGTERM is ignored while workers start: platforms such as Heroku send SIGTERM to every
    process of the app, not just the first. Spawned workers inherit an ignored signal, so the
    parent alone handles it, and shuts them all down gracefully, as it does for SIGINT.

    A worker that exits cleanly on its own is replaced (on a new socket); one that fails stops
    the others, and its exit code is returned, as with hypercorn. Limits: a SIGTERM arriving
    before the parent installs its handler is ignored; connections waiting in a failed worker's
    queue are reset; no reloader (not for production).
    """
    supervisor = WorkerSupervisor(config)
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in signals}
    try:
        supervisor.start()
        for sig in signals:
            signal.signal(sig, supervisor.shut_down)
        return supervisor.supervise()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class WorkerSupervisor:
    """Starts the worker processes, replaces clean exits, and stops them all on request."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.worker = _worker_function(config.worker_class)
        self.context = get_context("spawn")
        self.shutdown_event = self.context.Event()
        self.stopping = False
        self.processes: list[SpawnProcess] = []

    def start(self) -> None:
        for _ in range(self.config.workers):
            self.processes.append(self._start_worker())

    def shut_down(self, *_: object) -> None:
        self.stopping = True
        self.shutdown_event.set()  # each worker finishes its requests (graceful_timeout), exits

    def supervise(self) -> int:
        """Wait until every worker has exited; the first failing worker's exit code, else 0."""
        exit_code = 0
        while self.processes:
            wait([process.sentinel for process in self.processes])
            for process in [process for process in self.processes if process.exitcode is not None]:
                process.join()
                self.processes.remove(process)
                if process.exitcode != 0 and exit_code == 0:
                    exit_code = process.exitcode or 1
                    self.shut_down()  # a failing worker (bad config, crash) stops the server
                elif not self.stopping:
                    self.processes.append(self._start_worker())
        return exit_code

    def _start_worker(self) -> SpawnProcess:
        """Start one worker on a new socket; the parent closes its copy once the worker has it."""
        sockets = self.config.create_sockets()  # SO_REUSEPORT is set when config.workers > 1
        process = self.context.Process(
            target=self.worker,
            kwargs={
                "config": self.config,
                "sockets": sockets,
                "shutdown_event": self.shutdown_event,
            },
        )
        process.start()
        # The worker holds its own descriptor now. Without ours, a worker that dies takes its
        # socket with it, and the kernel stops sending connections there.
        for sock in (*sockets.secure_sockets, *sockets.insecure_sockets, *sockets.quic_sockets):
            sock.close()
        return process


def _worker_function(worker_class: str) -> Callable[..., None]:
    if worker_class == "uvloop":
        from hypercorn.asyncio.run import uvloop_worker

        return uvloop_worker
    if worker_class == "asyncio":
        from hypercorn.asyncio.run import asyncio_worker

        return asyncio_worker
    raise ServeSettingsError(f"worker_class={worker_class!r}: use 'uvloop' or 'asyncio'")
