"""Security headers on every response, errors included."""

from __future__ import annotations

from quart import Quart, Response, current_app

from quart_app.security.auth import current_auth

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline script, ever: every script is a file under /static
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=63072000; includeSubDomains"


async def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config["APP_ENV"] == "production":
        headers["Strict-Transport-Security"] = HSTS
    personal = current_auth().user is not None or "Set-Cookie" in headers
    if personal and "immutable" not in headers.get("Cache-Control", ""):
        # Personal pages and fresh cookies must never sit in a shared cache or the back button.
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Quart) -> None:
    app.after_request(add_security_headers)
