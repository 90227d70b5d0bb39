"""CSRF: cookie-authenticated writes need a token bound to the session, and must be same-origin.

Browsers send cookies on cross-site form posts, so a cookie alone proves nothing. Every unsafe
request that a browser could have been tricked into sending (one carrying our cookies, or a form
post) must carry ``csrf_token`` (form field) or ``X-CSRF-Token`` (header): an HMAC of the session
token (signed in) or of a random seed cookie (signed out, e.g. the sign-in form). Cross-site
requests are refused outright using ``Sec-Fetch-Site`` and ``Origin``. Bearer-token API calls are
exempt: a browser never adds that header by itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from quart import Quart, Response, current_app, g, request

from quart_app.db import SAFE_METHODS
from quart_app.errors import APIError
from quart_app.security.auth import current_auth

FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
# What a page on another site can post without a CORS preflight.
SIMPLE_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
REFUSED_FETCH_SITES = {"cross-site", "same-site"}  # same-site: a sibling subdomain, still not us
CSRF_FAILED = "CSRF_FAILED"
CSRF_MESSAGE = "This form has expired or did not come from this site: reload the page and retry."


def csrf_token() -> str:
    """The token for forms and scripts on this page (a template global).

    Signed once per request and binding: the issue page has a form for every comment.
    """
    binding = _binding(create_seed=True)
    signed: dict[str | None, str] = g.setdefault("csrf_tokens", {})
    token = signed.get(binding)
    if token is None:
        token = signed[binding] = _sign(binding)
    return token


def _binding(*, create_seed: bool = False) -> str | None:
    auth = current_auth()
    if auth.session_token:
        return "session:" + auth.session_token
    seed = request.cookies.get(current_app.config["CSRF_COOKIE_NAME"]) or g.get("new_csrf_seed")
    if seed is None and create_seed:
        seed = g.new_csrf_seed = secrets.token_urlsafe(32)
    return "seed:" + seed if seed else None


def _sign(binding: str | None) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"csrf|{binding}".encode(), hashlib.sha256).hexdigest()


def is_cross_site() -> bool:
    if request.headers.get("Sec-Fetch-Site", "").lower() in REFUSED_FETCH_SITES:
        return True
    origin = request.headers.get("Origin")
    return origin is not None and origin.rstrip("/") != _own_origin()


def _own_origin() -> str:
    base_url = current_app.config.get("BASE_URL")
    if base_url:
        parts = urlsplit(base_url)
        return f"{parts.scheme}://{parts.netloc}"
    return f"{request.scheme}://{request.host}"


def _needs_token() -> bool:
    carries_cookies = bool(request.cookies)
    content_type = request.content_type or ""
    return carries_cookies or content_type.startswith(SIMPLE_CONTENT_TYPES)


async def protect() -> None:
    """before_request: refuse unsafe cookie-authenticated requests without a valid token."""
    if request.method in SAFE_METHODS or current_auth().by_token:
        return
    if is_cross_site():
        raise APIError(403, CSRF_FAILED, "Cross-site requests are refused.")
    if not _needs_token():
        return  # a JSON call with no cookies at all: nothing a browser could forge
    submitted = request.headers.get(HEADER) or (await request.form).get(FORM_FIELD, "")
    binding = _binding()
    if binding is None or not hmac.compare_digest(submitted, _sign(binding)):
        raise APIError(403, CSRF_FAILED, CSRF_MESSAGE)


async def set_seed_cookie(response: Response) -> Response:
    seed = g.get("new_csrf_seed")
    if seed:
        config = current_app.config
        response.set_cookie(
            config["CSRF_COOKIE_NAME"], seed, path="/", secure=config["SESSION_COOKIE_SECURE"],
            httponly=True, samesite="Lax",
        )  # fmt: skip
    return response


def init_app(app: Quart) -> None:
    app.before_request(protect)
    app.after_request(set_seed_cookie)
    app.add_template_global(csrf_token)
