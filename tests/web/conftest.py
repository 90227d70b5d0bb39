"""Fixtures for the page tests: a browser-like client (the app fixtures are in tests/)."""

from __future__ import annotations

import pytest
from quart import Quart

from tests.web.helpers import Browser


@pytest.fixture
def browser(app: Quart) -> Browser:
    return Browser(app, app.test_client())
