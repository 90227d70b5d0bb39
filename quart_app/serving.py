"""Production serving: check the config and schema once, then run hypercorn's workers.

Procfile and Dockerfile both start ``quart_app serve``: $PORT and $WEB_CONCURRENCY are read in one
place, and a bad config fails once, with one clear message, instead of once per worker.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Mapping
from pathlib import Path

from hypercorn.config import Config
from hypercorn.run import run

from quart_app import create_app
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
    config.bind = [f"{host}:{port}"]
    config.workers = workers
    return config


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
    """hypercorn's ``run``, with workers that leave SIGTERM to the parent.

    Platforms such as Heroku send SIGTERM to every process of the app, not just the first. A
    hypercorn worker has no handler for it and would die at once, dropping in-flight requests.
    Spawned workers inherit an ignored signal, so ignore it while they start: the parent (which
    installs its own handler) then shuts them all down gracefully, as it already does for SIGINT.

    Limits: a SIGTERM arriving before the parent installs its handler is ignored; hypercorn's
    ``terminate()`` cannot stop a stuck worker, so the platform's SIGKILL ends it; workers
    respawned by a SIGHUP reload get the default handling back (reload is not for production).
    """
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        return run(config)
    finally:
        signal.signal(signal.SIGTERM, previous)
