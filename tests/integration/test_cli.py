"""The quart_app command against the test database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from quart_app import create_app
from quart_app.cli import main
from quart_app.db import Database
from quart_app.models import Issue, Project, User
from tests.support import run_sync

pytestmark = pytest.mark.integration


def invoke(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


async def count(model: type[object]) -> int:
    database = Database.from_config(create_app().config)
    try:
        async with database.read_sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await database.dispose()


async def find_user(username: str) -> User | None:
    database = Database.from_config(create_app().config)
    try:
        async with database.read_sessions() as session:
            return await session.scalar(select(User).where(User.username == username))
    finally:
        await database.dispose()


def test_migrate_then_downgrade(runner: CliRunner) -> None:
    assert "Database schema is at head." in invoke(runner, "migrate")
    assert "Database schema is at base." in invoke(runner, "downgrade", "base")


@pytest.mark.real_password_hashing
def test_create_user_stores_a_verified_admin_with_an_argon2id_hash(runner: CliRunner) -> None:
    invoke(runner, "migrate")
    output = invoke(
        runner, "create-user", "--username", "Chief", "--email", "Chief@Example.com",
        "--password", "a long enough passphrase", "--admin",
    )  # fmt: skip
    assert "Created administrator chief <chief@example.com>." in output
    user = run_sync(find_user("chief"))
    assert user is not None and user.is_admin and user.email_verified_at is not None
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough passphrase" not in user.password_hash


def test_create_user_prompts_for_the_password_twice(runner: CliRunner) -> None:
    invoke(runner, "migrate")
    result = runner.invoke(
        main, ["create-user", "--username", "pat", "--email", "pat@example.com"],
        input="pass phrase one\npass phrase one\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert run_sync(find_user("pat")) is not None


def test_create_user_refuses_a_taken_username(runner: CliRunner) -> None:
    invoke(runner, "migrate")
    args = [
        "create-user",
        "--username",
        "sam",
        "--email",
        "sam@example.com",
        "--password",
        "x" * 12,
    ]
    invoke(runner, *args)
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert "already registered" in result.output


def test_create_user_explains_an_unacceptable_password(runner: CliRunner) -> None:
    invoke(runner, "migrate")
    result = runner.invoke(
        main,
        [
            "create-user",
            "--username",
            "pat",
            "--email",
            "pat@example.com",
            "--password",
            "password1",
        ],
    )
    assert result.exit_code == 1
    assert "password: This password is one of the most common ones" in result.output


def test_seed_demo_fills_an_empty_database_once(runner: CliRunner) -> None:
    invoke(runner, "migrate")
    assert "Sign in as alice, bob or carol" in invoke(runner, "seed-demo")
    assert run_sync(count(Project)) == 1
    assert run_sync(count(Issue)) == 3
    again = runner.invoke(main, ["seed-demo"])
    assert again.exit_code == 1
    assert "already there" in again.output
    assert run_sync(count(Issue)) == 3


def test_seed_demo_is_refused_in_production(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789")
    result = runner.invoke(main, ["seed-demo"])
    assert result.exit_code == 1
    assert "refusing to seed demo data" in result.output


def test_a_bad_configuration_is_reported_without_a_traceback(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    result = runner.invoke(main, ["migrate"])
    assert result.exit_code == 1
    assert "SECRET_KEY is not set" in result.output
    assert "Traceback" not in result.output


def test_serve_refuses_an_unmigrated_database(runner: CliRunner) -> None:
    result = runner.invoke(main, ["serve", "--allow-non-production"])
    assert result.exit_code == 1
    assert "run `quart_app migrate`" in result.output


def test_python_dash_m_runs_the_same_command() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "quart_app", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "Usage: quart_app" in result.stdout
    assert "serve" in result.stdout
