"""Fixtures for the JSON API tests (the app, client and database fixtures are in tests/)."""

from __future__ import annotations

import pytest
from quart import Quart

from tests.api.helpers import AccountActions


@pytest.fixture
def actions(app: Quart) -> AccountActions:
    return AccountActions(app)
