"""Who is making this request: a browser session (cookie) or a script (Bearer token), or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from quart import Quart, Response, current_app, g, request
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.sansio.response import Response as BaseResponse

from quart_app.db import SAFE_METHODS, get_session, lookup_session, run_read, write_session
from quart_app.errors import APIError
from quart_app.models import TokenScope, User, utcnow
from quart_app.security.rate_limits import limit_account
from quart_app.services import accounts, api_tokens, sessions

API_PREFIX = "/api/"
BAD_CREDENTIALS = "That username or email and password do not match an account."
# Tokens in URLs end up in logs, proxies and browser history: refuse them outright.
TOKEN_QUERY_PARAMETERS = ("access_token", "token", "api_key", "apikey")
PUBLIC_FILES = {"static", "assets"}


@dataclass(frozen=True)
class Auth:
    user: User | None = None
    session_id: int | None = None
    session_token: str | None = None  # the cookie's value; binds CSRF tokens to this session
    token_scope: TokenScope | None = None  # set when authenticated by a Bearer token

    @property
    def by_token(self) -> bool:
        return self.token_scope is not None


ANONYMOUS = Auth()


def current_auth() -> Auth:
    auth: Auth = g.get("auth", ANONYMOUS)
    return auth


def current_user() -> User | None:
    return current_auth().user


async def load_auth() -> None:
    """before_request: Bearer tokens on the API, otherwise the session cookie."""
    g.auth = ANONYMOUS
    if request.endpoint in PUBLIC_FILES:
        return  # a stylesheet is the same for everyone: no session lookup
    is_api = request.path.startswith(API_PREFIX)
    if is_api and any(name in request.args for name in TOKEN_QUERY_PARAMETERS):
        raise APIError(
            400, "TOKEN_IN_QUERY", "Send the token in the Authorization header, not the URL."
        )
    header = request.headers.get("Authorization")
    if is_api and header is not None:
        g.auth = await _bearer_auth(header)
        return
    cookie = request.cookies.get(current_app.config["AUTH_COOKIE_NAME"])
    if cookie:
        g.auth = await _cookie_auth(cookie)


async def _bearer_auth(header: str) -> Auth:
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise APIError(401, "INVALID_AUTHORIZATION", "Use 'Authorization: Bearer <token>'.")
    bearer = await run_read(api_tokens.find_bearer, secret.strip())
    if bearer is None:
        raise APIError(401, "INVALID_TOKEN", "This token is unknown, revoked or expired.")
    if api_tokens.needs_touch(bearer.token) and _recent_touches("api token").claim(bearer.token.id):
        async with write_session() as session:
            await api_tokens.touch_api_token(session, bearer.token.id)
    return Auth(user=bearer.user, token_scope=bearer.token.scope)


async def _cookie_auth(token: str) -> Auth:
    idle = current_app.config["SESSION_IDLE_TIMEOUT_SECONDS"]
    active = await run_read(sessions.find_active_session, token, idle_ttl_seconds=idle)
    if active is None:
        g.clear_auth_cookie = True  # expired or revoked: stop the browser sending it
        return ANONYMOUS
    if sessions.needs_touch(active.record) and _recent_touches("session").claim(active.record.id):
        async with write_session() as session:
            await sessions.touch_session(session, active.record.id)
    return Auth(user=active.user, session_id=active.record.id, session_token=token)


async def sign_in(login: str, password: str) -> tuple[User, str]:
    """Check the credentials and start a session; returns the user and the cookie's token.

    Shared by the API and the sign-in page. Unknown user and wrong password fail alike.
    """
    await limit_account("sign-in", login)
    # The password check takes a slow hash: do it before the write transaction begins, so the
    # write lock (SQLite) and the write connection are not held while it runs.
    async with lookup_session() as lookup:
        checked = await accounts.authenticate(lookup, login=login, password=password)
    if checked is None:
        raise APIError(401, "INVALID_CREDENTIALS", BAD_CREDENTIALS)
    session = get_session()
    user = await session.merge(checked)  # a password hash upgraded by the check is saved too
    _record, token = await sessions.start_session(
        session, user, absolute_ttl_seconds=current_app.config["SESSION_ABSOLUTE_TIMEOUT_SECONDS"],
        user_agent=request.headers.get("User-Agent", ""), ip_address=request.remote_addr or "",
    )  # fmt: skip
    await session.commit()
    return user, token


def set_auth_cookie(response: BaseResponse, token: str) -> None:
    config = current_app.config
    response.set_cookie(
        config["AUTH_COOKIE_NAME"],
        token,
        max_age=config["SESSION_ABSOLUTE_TIMEOUT_SECONDS"],
        path="/",
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def clear_auth_cookie(response: BaseResponse) -> None:
    config = current_app.config
    response.delete_cookie(
        config["AUTH_COOKIE_NAME"], path="/", secure=config["SESSION_COOKIE_SECURE"], httponly=True,
        samesite="Lax",
    )  # fmt: skip


async def forget_stale_cookie(response: Response) -> Response:
    if g.get("clear_auth_cookie"):
        clear_auth_cookie(response)
    return response


async def current_user_in(session: AsyncSession) -> User:
    """The signed-in user, attached to ``session`` so that changes to it are saved.

    The request's user was read outside any session (``db.run_read``): it is detached.
    """
    user = current_user()
    assert user is not None, "check that someone is signed in first"
    return await session.merge(user, load=False)


def require_api_user(*, admin: bool = False) -> User:
    auth = current_auth()
    if auth.user is None:
        raise APIError(
            401, "AUTHENTICATION_REQUIRED", "Sign in, or send 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="quart_app"'},
        )  # fmt: skip
    if auth.token_scope == TokenScope.READ and request.method not in SAFE_METHODS:
        raise APIError(
            403, "INSUFFICIENT_SCOPE", "This token can only read; create a read-write one."
        )
    if admin and not auth.user.is_admin:
        raise APIError(403, "ADMIN_REQUIRED", "Only administrators can do this.")
    return auth.user


class RecentTouches:
    """The rows (sessions or tokens) this worker has touched within their touch interval.

    A row needs a touch (its last use written) once a minute. Every request that reads the row
    before the touch commits sees it stale: 8 concurrent requests of one client sent 8 touches
    (PostgreSQL, tests/api/test_api_tokens.py), each a write transaction and, on SQLite, a
    commit that empties every worker's remembered reads. A claim lets the first of them touch;
    the rest go on.
    """

    MAX_ROWS = 10_000  # then start afresh: a missed claim only costs one more touch

    def __init__(self, interval: timedelta) -> None:
        self.interval = interval
        self.claimed_until: dict[int, datetime] = {}

    def claim(self, row_id: int) -> bool:
        now = utcnow()
        until = self.claimed_until.get(row_id)
        if until is not None and now < until:
            return False
        if len(self.claimed_until) >= self.MAX_ROWS:
            self.claimed_until.clear()
        self.claimed_until[row_id] = now + self.interval
        return True


def _recent_touches(kind: str) -> RecentTouches:
    touches: RecentTouches = current_app.extensions["recent touches"][kind]
    return touches


def init_app(app: Quart) -> None:
    app.extensions["recent touches"] = {
        "session": RecentTouches(sessions.TOUCH_INTERVAL),
        "api token": RecentTouches(api_tokens.TOUCH_INTERVAL),
    }
    app.before_request(load_auth)
    app.after_request(forget_stale_cookie)
