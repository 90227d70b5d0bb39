"""The app factory and its start-up: engine lifecycle, schema check, nothing made at import time."""

from __future__ import annotations

from pathlib import Path

import pytest
from quart import Quart
from quart.testing.app import LifespanError
from sqlalchemy import text

import quart_app
from quart_app import create_app, migrate
from quart_app.db import Database
from tests.support import config_for, create_current_schema

pytestmark = pytest.mark.integration


def test_importing_the_package_creates_no_app() -> None:
    assert not any(isinstance(value, Quart) for value in vars(quart_app).values())


def test_creating_the_app_does_not_touch_the_database(tmp_path: Path) -> None:
    database_file = tmp_path / "never.sqlite3"
    create_app(config_for(f"sqlite:///{database_file}"))
    assert not database_file.exists()


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path: Path) -> None:
    app = create_app({"APP_ENV": "testing"})
    expected = tmp_path / "instance" / "quart_app.sqlite3"  # INSTANCE_PATH from conftest
    assert app.config["DATABASE_URL"] == f"sqlite+aiosqlite:///{expected}"


async def test_engine_is_opened_at_start_up_and_disposed_at_shutdown(database_url: str) -> None:
    await create_current_schema(database_url)
    app = create_app(config_for(database_url))
    assert "db" not in app.extensions
    async with app.test_app():
        assert isinstance(app.extensions["db"], Database)
    assert "db" not in app.extensions


async def test_app_refuses_to_serve_an_empty_database(database_url: str) -> None:
    app = create_app(config_for(database_url))
    with pytest.raises(LifespanError, match="no schema yet: run `quart_app migrate`"):
        async with app.test_app():
            pass
    assert "db" not in app.extensions  # the engine was disposed, so the process can exit


async def test_app_refuses_to_serve_a_schema_newer_than_the_code(database_url: str) -> None:
    await create_current_schema(database_url)
    await set_schema_revision(database_url, "0000")
    app = create_app(config_for(database_url))
    with pytest.raises(LifespanError, match="does not know"):
        async with app.test_app():
            pass


async def test_schema_check_names_the_fix_when_an_older_known_revision_is_found(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create_current_schema(database_url)
    monkeypatch.setattr(migrate, "head_revision", lambda: "0099")  # as if the code moved ahead
    app = create_app(config_for(database_url))
    with pytest.raises(LifespanError, match="code needs 0099: run `quart_app migrate`"):
        async with app.test_app():
            pass


async def set_schema_revision(database_url: str, revision: str) -> None:
    database = Database.from_config(create_app(config_for(database_url)).config)
    try:
        async with database.write_sessions() as session:
            await session.execute(
                text("UPDATE alembic_version SET version_num = :r"), {"r": revision}
            )
            await session.commit()
    finally:
        await database.dispose()
