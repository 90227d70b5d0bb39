"""Live tests start real hypercorn processes on 127.0.0.1 with the production configuration."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

LIVE_FOLDER = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if LIVE_FOLDER in Path(item.path).parents:
            item.add_marker(pytest.mark.live)


@pytest.fixture
def production_environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    """What an operator sets on a platform: the environment, a strong secret and a database."""
    return {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
