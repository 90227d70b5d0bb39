"""Fixtures for the JSON API tests (the app, client and database fixtures are in tests/)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from quart import Quart

from quart_app.security import passwords
from tests.api.helpers import AccountActions
from tests.api.tracker import Tracker


@pytest.fixture
def actions(app: Quart) -> AccountActions:
    return AccountActions(app)


@pytest.fixture
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests whose users call with tokens: real argon2 (~150 ms a user) would dominate."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def tracker(app: Quart, cheap_password_hashing: None) -> Tracker:
    return Tracker(app)
