"""The start page, and the Markdown preview the comment and issue forms use."""

from __future__ import annotations

from quart import Blueprint, Response, redirect, render_template, request, url_for

from quart_app.markdown import render_markdown
from quart_app.security.auth import current_user
from quart_app.security.rate_limits import rate_limit
from quart_app.web.forms import PageResult

blueprint = Blueprint("web_pages", __name__)


@blueprint.get("/")
@rate_limit("pages")
async def home() -> PageResult:
    """Signed out: what this is and how to start. Signed in: the dashboard."""
    if current_user() is not None:
        return redirect(url_for("web_projects.dashboard"))
    return await render_template("home.html")


@blueprint.post("/preview")
@rate_limit("forms")
async def preview_markdown() -> Response:
    """The form's Markdown as the page will show it (sanitised HTML, for the preview pane)."""
    html = render_markdown((await request.form).get("body", ""))
    return Response(html or '<p class="hint">Nothing to preview.</p>', content_type="text/html")
