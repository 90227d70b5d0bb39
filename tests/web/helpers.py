"""Acting through the pages like a browser: read the CSRF token from the form, post, follow."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from quart import Quart
from quart.typing import TestClientProtocol as Client
from quart.wrappers import Response
from sqlalchemy import select

from quart_app.db import Database
from quart_app.mail import outbox
from quart_app.models import Base, User
from quart_app.services.sessions import start_session

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "a perfectly fine passphrase"


def token_from_link(body: str) -> str:
    match = re.search(r"token=([\w\-]+)", body)
    assert match, body
    return match.group(1)


@dataclass
class Browser:
    app: Quart
    client: Client

    async def page(self, path: str, status: int = 200) -> str:
        response = await self.client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == status, (path, response.status_code)
        return await response.get_data(as_text=True)

    async def csrf(self, path: str = "/sign-in") -> str:
        match = CSRF_FIELD.search(await self.page(path))
        assert match, f"no CSRF field on {path}"
        return match.group(1)

    async def submit(self, form_page: str, action: str, **fields: str) -> Response:
        """Open ``form_page`` (for its CSRF token), then post ``fields`` to ``action``."""
        data = {"csrf_token": await self.csrf(form_page), **fields}
        return await self.client.post(action, form=data, headers={"Accept": "text/html"})

    async def emails_to(self, address: str) -> list[str]:
        async with self.app.app_context():
            return [m.body for m in outbox() if m.to == address]

    async def sign_up_and_verify(self, username: str, password: str = PASSWORD) -> str:
        email = f"{username}@example.com"
        response = await self.submit(
            "/sign-up", "/sign-up", username=username, email=email, password=password
        )
        assert response.status_code == 302, await response.get_data(as_text=True)
        token = token_from_link((await self.emails_to(email))[-1])
        verified = await self.submit(f"/verify-email?token={token}", "/verify-email", token=token)
        assert verified.status_code == 302
        return email

    async def sign_in(self, login: str, password: str = PASSWORD) -> Response:
        return await self.submit("/sign-in", "/sign-in", login=login, password=password)


# --- The tracker's pages: signed-in visitors without the sign-up flow, and what the tables hold.

FLASH = re.compile(r'<p class="flash[^"]*" role="status">(.*?)</p>', re.S)
# Tables the pages may touch by only reading (rate limits, session last-seen times).
BOOKKEEPING_TABLES = {"rate_limit_counters", "user_sessions", "api_tokens"}


def flashes(page: str) -> list[str]:
    return [html.unescape(message) for message in FLASH.findall(page)]


@dataclass
class Visitor(Browser):
    """A browser signed in (or not, when ``username`` is None) that posts with its CSRF token."""

    username: str | None = None
    token: str = ""

    async def post(self, action: str, **fields: str) -> Response:
        data = {"csrf_token": self.token, **fields}
        return await self.client.post(action, form=data, headers={"Accept": "text/html"})

    async def follow(self, response: Response, status: int = 200) -> str:
        """The page a POST/Redirect/GET redirected to (and its flash messages)."""
        assert response.status_code == 302, (response.status_code, await response.get_data())
        return await self.page(response.headers["Location"], status)


async def visitor(app: Quart, user: User | None) -> Visitor:
    """A browser with a session for ``user`` started directly (no password check, no e-mail)."""
    client = app.test_client()
    if user is not None:
        database: Database = app.extensions["db"]
        async with database.write_sessions() as session:
            _record, secret = await start_session(session, user, absolute_ttl_seconds=3600)
            await session.commit()
        client.set_cookie("localhost", app.config["AUTH_COOKIE_NAME"], secret)
    browser = Visitor(app, client, user.username if user else None)
    browser.token = await browser.csrf("/projects" if user else "/sign-in")
    return browser


async def tracker_rows(app: Quart) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but the bookkeeping ones: a refused form must change none."""
    database: Database = app.extensions["db"]
    rows: dict[str, list[tuple[object, ...]]] = {}
    async with database.read_sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name not in BOOKKEEPING_TABLES:
                result = await session.execute(select(table))
                rows[table.name] = sorted((tuple(row) for row in result), key=repr)
    return rows
