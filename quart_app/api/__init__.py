"""The JSON API under /api/v1: one blueprint module per resource, schemas beside their routes."""

from __future__ import annotations

from quart import Quart

from quart_app.api import (
    account,
    admin,
    comments,
    events,
    issues,
    labels,
    milestones,
    projects,
    sessions,
    tokens,
)


def init_app(app: Quart) -> None:
    modules = (account, sessions, tokens, admin, projects, labels, milestones, issues, comments)
    for module in (*modules, events):
        app.register_blueprint(module.blueprint)
