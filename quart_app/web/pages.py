"""The start page, the Markdown preview the comment and issue forms use, and the API docs."""

from __future__ import annotations

from quart import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

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


@blueprint.get("/docs")
@rate_limit("pages")
async def api_docs() -> str:
    """Swagger UI over /openapi.json (served from static/: no CDN, no inline script)."""
    if not current_app.config["DOCS_ENABLED"]:
        abort(404)
    return await render_template("docs.html")
