"""Form handling shared by the pages: field errors, sign-in redirects, safe "next" targets,
the project a page is about, and the version an edit was made against."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from quart import Response, redirect, request, url_for
from werkzeug.wrappers.response import Response as WerkzeugResponse

from quart_app.db import get_session, run_read
from quart_app.models import User
from quart_app.rendering import render_template
from quart_app.security.auth import current_user, current_user_in
from quart_app.services.access import ProjectAccess, find_project, load_project
from quart_app.services.errors import (
    ConflictError,
    InvalidInputError,
    PreconditionFailedError,
    PreconditionRequiredError,
    ServiceError,
)
from quart_app.services.versions import NOT_GIVEN, IfMatch

P = ParamSpec("P")
R = TypeVar("R")
# Refusals the user can fix in the form: shown beside the field. A 403 or 404 is a page of its own.
FORM_ERRORS = (
    InvalidInputError,
    ConflictError,
    PreconditionFailedError,
    PreconditionRequiredError,
)
PageResult = Response | WerkzeugResponse | str | tuple[str, int]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: ``//evil.example`` or ``https://evil.example`` would leave the site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def field_errors(error: ServiceError) -> dict[str, str]:
    """``{"password": "Use at least 8 characters."}``; messages without a field go under "form"."""
    errors = {d["field"] or "form": d["message"] for d in error.details if d.get("message")}
    return errors or {"form": error.message}


async def render_form(
    template: str, error: ServiceError, values: Mapping[str, Any], status: int = 422, **context: Any
) -> tuple[str, int]:
    """Re-render a form after a refusal: the user's input kept, each message beside its field."""
    page = await render_template(template, errors=field_errors(error), values=values, **context)
    return page, status


def sign_in_redirect() -> WerkzeugResponse:
    """To the sign-in page, which comes back here afterwards: to this page for a GET, to the
    page the form was on for a POST (its URL only takes posts: coming back would be a 405)."""
    target = request.full_path.rstrip("?") if request.method == "GET" else referring_page()
    return redirect(url_for("web_auth.sign_in_page", next=target))


def referring_page() -> str:
    """The same-site page the request came from, else the dashboard."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path:
        return url_for("web_projects.dashboard")
    return safe_next(f"{referrer.path}?{referrer.query}".rstrip("?"))


def login_required(view: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | WerkzeugResponse]]:
    """Pages for signed-in people: others go to the sign-in page and come back afterwards."""

    @wraps(view)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R | WerkzeugResponse:
        if current_user() is None:
            return sign_in_redirect()
        return await view(*args, **kwargs)

    return guarded


def signed_in_user() -> User:
    user = current_user()
    assert user is not None, "use @login_required on this page"
    return user


async def project_for_page(key: str) -> ProjectAccess:
    """The project as the visitor sees it (hidden private projects are a 404 page)."""
    return await run_read(find_project, key, current_user())


async def project_for_form(key: str) -> ProjectAccess:
    """For a form post by a signed-in user: the project with their account in this session."""
    session = get_session()
    return await load_project(session, key, await current_user_in(session))


def version_from(form: Mapping[str, str]) -> IfMatch:
    """The version the form was rendered from: an edit made against an older one is refused."""
    version = form.get("version", "")
    if version.isascii() and version.isdigit():
        return IfMatch(versions=frozenset({int(version)}))
    return NOT_GIVEN


def whole_number(value: str) -> int | None:
    """A row id or count typed into a form or URL: ASCII digits that fit a BIGINT, else None."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def page_number() -> int:
    page = whole_number(request.args.get("page", "1"))
    return page if page is not None and 0 < page < 10**6 else 1
