"""The server-rendered web UI: one blueprint module per area; templates/ and static/ beside them."""

from __future__ import annotations

from quart import Quart

from quart_app.security.auth import current_user
from quart_app.web import (
    admin,
    assets,
    auth,
    issues,
    live,
    pages,
    project_settings,
    projects,
    settings,
    templating,
)

BLUEPRINTS = (pages, auth, settings, admin, projects, project_settings, issues, live)


def init_app(app: Quart) -> None:
    assets.init_app(app)
    templating.init_app(app)
    for module in BLUEPRINTS:
        app.register_blueprint(module.blueprint)
    app.add_template_global(current_user)
