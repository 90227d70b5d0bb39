"""The start page."""

from __future__ import annotations

from quart import Blueprint, render_template

from quart_app.security.rate_limits import rate_limit

blueprint = Blueprint("web_pages", __name__)


@blueprint.get("/")
@rate_limit("pages")
async def home() -> str:
    """Signed out: what this is and how to start. Signed in: where to go next."""
    return await render_template("home.html")
