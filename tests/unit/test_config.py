"""Configuration: defaults per environment, the environment, overrides, and production refusals."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from quart_app.config import DEVELOPMENT_SECRET_KEY, ConfigError, load_config

pytestmark = pytest.mark.unit

STRONG_KEY = secrets.token_urlsafe(48)
INSTANCE = Path("/srv/instance")


def load(environ: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
    return load_config(environ or {}, overrides, instance_path=INSTANCE)


def production(**environ: str) -> dict[str, str]:
    return {"APP_ENV": "production", "SECRET_KEY": STRONG_KEY, **environ}


def refusal(environ: dict[str, str], **overrides: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        load(environ, **overrides)
    return str(caught.value)


def test_development_is_the_default_with_debug_and_embedded_sqlite() -> None:
    config = load()
    assert config["APP_ENV"] == "development"
    assert config["DEBUG"] is True
    assert config["DATABASE_URL"] == "sqlite+aiosqlite:////srv/instance/quart_app.sqlite3"


def test_testing_environment_turns_testing_on_and_debug_off() -> None:
    config = load({"APP_ENV": "testing"})
    assert config["TESTING"] is True
    assert config["DEBUG"] is False


def test_production_with_a_strong_secret_key_starts_with_secure_defaults() -> None:
    config = load(production())
    assert config["DEBUG"] is False
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["DOCS_ENABLED"] is False


def test_environment_overrides_defaults_and_overrides_win_over_environment() -> None:
    assert load({"DATABASE_POOL_SIZE": "9"})["DATABASE_POOL_SIZE"] == 9
    assert load({"DATABASE_POOL_SIZE": "9"}, DATABASE_POOL_SIZE=3)["DATABASE_POOL_SIZE"] == 3


def test_override_can_choose_the_environment() -> None:
    assert load({"APP_ENV": "production"}, APP_ENV="testing")["APP_ENV"] == "testing"


def test_unknown_environment_is_refused_by_name() -> None:
    assert "APP_ENV='staging' is not one of development, testing, production" in refusal(
        {"APP_ENV": "staging"}
    )


@pytest.mark.parametrize(
    ("name", "value"), [("DEBUG", "maybe"), ("DATABASE_POOL_SIZE", "lots"), ("DOCS_ENABLED", "2")]
)
def test_unparseable_environment_value_is_refused_by_name(name: str, value: str) -> None:
    assert f"{name}={value!r} is not valid" in refusal({name: value})


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("yes", True), ("On", True), ("0", False), ("off", False)]
)
def test_boolean_environment_values(value: str, expected: bool) -> None:
    assert load({"DEBUG": value})["DEBUG"] is expected


def test_production_refuses_a_missing_secret_key_and_says_how_to_make_one() -> None:
    message = refusal({"APP_ENV": "production"})
    assert "SECRET_KEY is not set" in message
    assert "secrets.token_urlsafe" in message


@pytest.mark.parametrize(
    ("secret_key", "expected"),
    [
        ("short-key", "SECRET_KEY is 9 characters; at least 32"),
        (DEVELOPMENT_SECRET_KEY, "SECRET_KEY is the public development key"),
        ("ab" * 30, "SECRET_KEY is too repetitive"),
    ],
)
def test_production_refuses_a_weak_secret_key(secret_key: str, expected: str) -> None:
    assert expected in refusal(production(SECRET_KEY=secret_key))


def test_production_refuses_debug() -> None:
    assert "DEBUG is on" in refusal(production(DEBUG="true"))


def test_production_refuses_testing_and_exception_propagation() -> None:
    message = refusal(production(), TESTING=True, PROPAGATE_EXCEPTIONS=True)
    assert "TESTING is on" in message
    assert "PROPAGATE_EXCEPTIONS is on" in message


def test_production_refuses_insecure_cookies_and_a_plain_http_base_url() -> None:
    message = refusal(production(BASE_URL="http://tracker.example"), SESSION_COOKIE_SECURE=False)
    assert "SESSION_COOKIE_SECURE is off" in message
    assert "BASE_URL='http://tracker.example' must start with https://" in message


def test_production_accepts_an_https_base_url() -> None:
    assert load(production(BASE_URL="https://tracker.example"))["BASE_URL"].startswith("https://")


def test_production_refuses_an_in_memory_database() -> None:
    assert "in-memory SQLite" in refusal(production(DATABASE_URL="sqlite:///:memory:"))


def test_every_problem_is_reported_at_once() -> None:
    message = refusal({"APP_ENV": "production", "DEBUG": "1", "BASE_URL": "http://x"})
    assert message.count("\n  - ") == 3


def test_unusable_database_url_is_refused_by_name() -> None:
    assert "DATABASE_URL is not usable" in refusal({"DATABASE_URL": "mysql://db/app"})


def test_production_refuses_sql_echo_which_would_log_values() -> None:
    assert "DATABASE_ECHO is on" in refusal(production(DATABASE_ECHO="true"))


def test_unknown_log_level_is_refused_by_name() -> None:
    assert "LOG_LEVEL='verbose' is not valid" in refusal({"LOG_LEVEL": "verbose"})


def test_production_refuses_the_memory_mail_backend() -> None:
    assert "MAIL_BACKEND=memory" in refusal(production(MAIL_BACKEND="memory"))


def test_smtp_in_production_needs_a_base_url_for_its_links() -> None:
    assert "BASE_URL is not set" in refusal(production(SMTP_URL="smtp://mail.example:587"))


def test_smtp_url_is_checked() -> None:
    assert "SMTP_URL is not usable" in refusal({"SMTP_URL": "mail.example:25"})


def test_an_smtp_url_selects_the_smtp_backend() -> None:
    assert load({"SMTP_URL": "smtp://mail.example"})["MAIL_BACKEND"] == "smtp"


def test_production_uses_host_only_cookie_names() -> None:
    config = load(production())
    assert config["AUTH_COOKIE_NAME"].startswith("__Host-")
    assert config["CSRF_COOKIE_NAME"].startswith("__Host-")
