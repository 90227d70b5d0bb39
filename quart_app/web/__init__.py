"""The server-rendered web UI: one blueprint module per area; templates/ and static/ beside them."""

from __future__ import annotations

from quart import Quart

from quart_app.security.auth import current_user
from quart_app.web import admin, auth, pages, settings


def init_app(app: Quart) -> None:
    for module in (pages, auth, settings, admin):
        app.register_blueprint(module.blueprint)
    app.add_template_global(current_user)
