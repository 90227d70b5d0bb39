"""Configuration: development defaults, then the environment, then overrides; validated once."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from quart_app.db import DatabaseURLError, normalise_database_url
from quart_app.mail import BACKENDS, smtp_options

ENVIRONMENT_VARIABLE = "APP_ENV"
ENVIRONMENTS = ("development", "testing", "production")
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105
MINIMUM_SECRET_KEY_LENGTH = 32
MINIMUM_SECRET_KEY_DISTINCT_CHARACTERS = 10
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SECRET_KEY_HINT = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105

# Settings shared by every environment; each environment then overrides a few.
BASE_DEFAULTS: dict[str, Any] = {
    "DEBUG": False,
    "TESTING": False,
    "SECRET_KEY": DEVELOPMENT_SECRET_KEY,
    "DATABASE_URL": None,  # None means the embedded SQLite file under the instance folder
    "DATABASE_POOL_SIZE": 5,
    "DATABASE_MAX_OVERFLOW": 5,
    "DATABASE_ECHO": False,
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "BASE_URL": "http://127.0.0.1:8000",
    "LOG_LEVEL": "INFO",
    "DOCS_ENABLED": True,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "PROPAGATE_EXCEPTIONS": None,
    # hypercorn gives in-flight requests 5 s (hypercorn.toml); with these 3 s for background
    # tasks (emails) shutdown stays inside Docker's 10 s grace period.
    "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 3,
    # Accounts and security
    "AUTH_COOKIE_NAME": "session_id",
    "CSRF_COOKIE_NAME": "csrf_seed",
    "SESSION_COOKIE_NAME": "flash",  # Quart's signed cookie; it only carries flash messages
    "SESSION_IDLE_TIMEOUT_SECONDS": 3 * 24 * 3600,
    "SESSION_ABSOLUTE_TIMEOUT_SECONDS": 30 * 24 * 3600,
    "VERIFY_EMAIL_TOKEN_TTL_SECONDS": 48 * 3600,
    "RESET_PASSWORD_TOKEN_TTL_SECONDS": 3600,
    "MAIL_BACKEND": None,  # None: smtp when SMTP_URL is set, else the environment's default
    "MAIL_FROM": "quart_app <noreply@localhost>",
    "SMTP_URL": None,
    "SMTP_TIMEOUT_SECONDS": 10.0,
    "REDIS_URL": None,
    "RATE_LIMITS_ENABLED": True,
    "TRUSTED_PROXY_HOPS": 0,  # reverse proxies in front of hypercorn whose X-Forwarded-For we trust
}

ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "development": {"DEBUG": True, "DEFAULT_MAIL_BACKEND": "console"},
    "testing": {"TESTING": True, "LOG_LEVEL": "WARNING", "DEFAULT_MAIL_BACKEND": "memory"},
    "production": {
        "SECRET_KEY": None,
        "BASE_URL": None,
        "DOCS_ENABLED": False,
        "SESSION_COOKIE_SECURE": True,
        "DEFAULT_MAIL_BACKEND": "console",
        # __Host- cookies are Secure, for this exact host and path /: no subdomain can set them.
        "AUTH_COOKIE_NAME": "__Host-session_id",
        "CSRF_COOKIE_NAME": "__Host-csrf_seed",
        "SESSION_COOKIE_NAME": "__Host-flash",
    },
}


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected one of true/false, yes/no, on/off, 1/0")


def _parse_log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
    return level


def _parse_optional_str(value: str) -> str | None:
    return value or None


# The settings an operator may set through the environment, with how each is parsed.
ENVIRONMENT_SETTINGS: dict[str, Callable[[str], Any]] = {
    "SECRET_KEY": _parse_optional_str,
    "DATABASE_URL": _parse_optional_str,
    "DATABASE_POOL_SIZE": int,
    "DATABASE_MAX_OVERFLOW": int,
    "DATABASE_ECHO": _parse_bool,
    "SQLITE_BUSY_TIMEOUT_MS": int,
    "BASE_URL": _parse_optional_str,
    "LOG_LEVEL": _parse_log_level,
    "DOCS_ENABLED": _parse_bool,
    "DEBUG": _parse_bool,
    "MAX_CONTENT_LENGTH": int,
    "MAIL_BACKEND": _parse_optional_str,
    "MAIL_FROM": str,
    "SMTP_URL": _parse_optional_str,
    "REDIS_URL": _parse_optional_str,
    "RATE_LIMITS_ENABLED": _parse_bool,
    "TRUSTED_PROXY_HOPS": int,
    "SESSION_IDLE_TIMEOUT_SECONDS": int,
    "SESSION_ABSOLUTE_TIMEOUT_SECONDS": int,
}


class ConfigError(Exception):
    """The configuration cannot be used; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("refusing to start:\n  - " + "\n  - ".join(problems))


def load_config(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    instance_path: Path,
) -> dict[str, Any]:
    """Build the validated configuration for one app."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    environment = overrides.pop(ENVIRONMENT_VARIABLE, None) or environ.get(
        ENVIRONMENT_VARIABLE, "development"
    )
    if environment not in ENVIRONMENTS:
        raise ConfigError(
            [f"{ENVIRONMENT_VARIABLE}={environment!r} is not one of {', '.join(ENVIRONMENTS)}"]
        )
    config = {**BASE_DEFAULTS, **ENVIRONMENT_DEFAULTS[environment]}
    problems: list[str] = []
    config.update(_read_environment(environ, problems))
    config.update(overrides)
    config[ENVIRONMENT_VARIABLE] = environment
    _resolve_database(config, instance_path, problems)
    _resolve_mail(config, problems)
    if environment == "production":
        problems.extend(production_problems(config))
    if problems:
        raise ConfigError(problems)
    return config


def _read_environment(environ: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, parse in ENVIRONMENT_SETTINGS.items():
        if name not in environ:
            continue
        try:
            values[name] = parse(environ[name])
        except ValueError as error:
            problems.append(f"{name}={environ[name]!r} is not valid: {error}")
    return values


def _resolve_database(config: dict[str, Any], instance_path: Path, problems: list[str]) -> None:
    """Fill DATABASE_URL (default: SQLite under the instance folder) and its connect arguments."""
    raw_url = config["DATABASE_URL"] or f"sqlite:///{instance_path / 'quart_app.sqlite3'}"
    try:
        database = normalise_database_url(raw_url)
    except DatabaseURLError as error:
        problems.append(f"DATABASE_URL is not usable: {error}")
        return
    config["DATABASE_URL"] = database.url
    config["DATABASE_CONNECT_ARGS"] = database.connect_args
    config["DATABASE_IN_MEMORY"] = database.is_in_memory


def _resolve_mail(config: dict[str, Any], problems: list[str]) -> None:
    backend = config["MAIL_BACKEND"] or ("smtp" if config["SMTP_URL"] else None)
    config["MAIL_BACKEND"] = backend or config["DEFAULT_MAIL_BACKEND"]
    if config["MAIL_BACKEND"] not in BACKENDS:
        problems.append(f"MAIL_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")
    elif config["MAIL_BACKEND"] == "smtp":
        try:
            smtp_options(config["SMTP_URL"] or "")
        except ValueError as error:
            problems.append(f"SMTP_URL is not usable: {error}")


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """Every reason this configuration is unsafe to serve the public with."""
    problems = _secret_key_problems(config.get("SECRET_KEY"))
    if config.get("DEBUG"):
        problems.append("DEBUG is on: set DEBUG=false (debug pages leak code and data)")
    if config.get("TESTING"):
        problems.append("TESTING is on: production must not run with the testing configuration")
    if config.get("DATABASE_ECHO"):
        problems.append("DATABASE_ECHO is on: every SQL statement and its values would be logged")
    if config.get("PROPAGATE_EXCEPTIONS"):
        problems.append("PROPAGATE_EXCEPTIONS is on: errors would reach clients as tracebacks")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE is off: cookies would travel over plain HTTP")
    base_url = config.get("BASE_URL")
    if base_url and not str(base_url).startswith("https://"):
        problems.append(f"BASE_URL={base_url!r} must start with https:// in production")
    if config.get("MAIL_BACKEND") == "memory":
        problems.append("MAIL_BACKEND=memory would keep every email in the process, unsent")
    if config.get("MAIL_BACKEND") == "smtp" and not base_url:
        problems.append("BASE_URL is not set: emails need it to build their links")
    if config.get("DATABASE_IN_MEMORY"):
        problems.append("DATABASE_URL points at an in-memory SQLite database: data would be lost")
    return problems


def _secret_key_problems(secret_key: object) -> list[str]:
    if not secret_key:
        return [f"SECRET_KEY is not set: {SECRET_KEY_HINT}"]
    key = str(secret_key)
    if key == DEVELOPMENT_SECRET_KEY:
        return [f"SECRET_KEY is the public development key: {SECRET_KEY_HINT}"]
    if len(key) < MINIMUM_SECRET_KEY_LENGTH:
        return [
            f"SECRET_KEY is {len(key)} characters; at least {MINIMUM_SECRET_KEY_LENGTH} are "
            f"needed: {SECRET_KEY_HINT}"
        ]
    if len(set(key)) < MINIMUM_SECRET_KEY_DISTINCT_CHARACTERS:
        return [f"SECRET_KEY is too repetitive to be random: {SECRET_KEY_HINT}"]
    return []
