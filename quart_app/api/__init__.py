"""The JSON API under /api/v1: one blueprint module per resource, schemas beside their routes."""

from __future__ import annotations

from quart import Quart

from quart_app.api import account, admin, sessions, tokens


def init_app(app: Quart) -> None:
    for module in (account, sessions, tokens, admin):
        app.register_blueprint(module.blueprint)
