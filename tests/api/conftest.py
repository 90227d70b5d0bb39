"""Fixtures for the JSON API tests (the app, client and database fixtures are in tests/)."""

from __future__ import annotations

import pytest
from quart import Quart

from tests.api.helpers import AccountActions
from tests.api.tracker import Tracker


@pytest.fixture
def actions(app: Quart) -> AccountActions:
    return AccountActions(app)


@pytest.fixture
def tracker(app: Quart) -> Tracker:
    return Tracker(app)
