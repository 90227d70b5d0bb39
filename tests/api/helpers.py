"""Repeated client actions for the JSON API tests: sign up, verify, sign in, CSRF, tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from quart import Quart, Response
from quart.typing import TestClientProtocol as Client

from quart_app.db import Database
from quart_app.mail import outbox
from quart_app.models import User
from quart_app.services.accounts import create_user
from quart_app.services.notices import EmailMessage

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 2"
TOKEN_IN_LINK = re.compile(r"token=([A-Za-z0-9_\-]+)")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# The flows sign in through the sign-in page, as a browser does; test_sign_in.py covers the
# JSON sign-in. Both run the same sign_in() and set the same session cookie.


def token_in(message: EmailMessage) -> str:
    match = TOKEN_IN_LINK.search(message.body)
    assert match, f"no token= link in email {message.subject!r}:\n{message.body}"
    return match.group(1)


def link_in(message: EmailMessage) -> str:
    match = re.search(r"\S+token=[A-Za-z0-9_\-]+", message.body)
    assert match, f"no link in email {message.subject!r}:\n{message.body}"
    return match.group(0)


def cookie_value(client: Client, name: str) -> str | None:
    jar = client.cookie_jar
    assert jar is not None, "this client keeps no cookies"
    return next((cookie.value for cookie in jar if cookie.name == name), None)


async def error_code(response: Response) -> str:
    body = await response.get_json()
    assert isinstance(body, dict) and "error" in body, f"not an error body: {body!r}"
    return str(body["error"]["code"])


async def assert_same_answer(first: Response, second: Response) -> None:
    """Same status, same body, same headers (but Date): nothing tells the two cases apart."""
    assert first.status_code == second.status_code
    assert await first.get_data() == await second.get_data()

    def headers(response: Response) -> list[tuple[str, str]]:
        return sorted((k.lower(), v) for k, v in response.headers.items() if k.lower() != "date")

    assert headers(first) == headers(second)


@dataclass
class SignedIn:
    """A client holding a session cookie, with the CSRF header its writes need."""

    client: Client
    username: str
    email: str
    csrf: dict[str, str]


class AccountActions:
    """What a user of the JSON API does, step by step, through the Quart test client."""

    def __init__(self, app: Quart) -> None:
        self.app = app

    @property
    def cookie_name(self) -> str:
        return str(self.app.config["AUTH_COOKIE_NAME"])

    def new_client(self) -> Client:
        return self.app.test_client()

    # --- email ---------------------------------------------------------------------------

    async def sent(self) -> list[EmailMessage]:
        async with self.app.app_context():
            return list(outbox())

    async def emails_to(self, address: str) -> list[EmailMessage]:
        return [message for message in await self.sent() if message.to == address]

    async def last_email_to(self, address: str, subject: str | None = None) -> EmailMessage:
        found = [
            message
            for message in await self.emails_to(address)
            if subject is None or message.subject == subject
        ]
        assert found, f"no email{f' {subject!r}' if subject else ''} to {address}"
        return found[-1]

    # --- accounts ------------------------------------------------------------------------

    async def create_user(
        self, username: str, *, admin: bool = False, verified: bool = True
    ) -> User:
        """Arrange an account directly through the service (e.g. the first administrator)."""
        database: Database = self.app.extensions["db"]
        async with database.write_sessions() as session:
            user = await create_user(
                session, username=username, email=f"{username}@example.com", password=PASSWORD,
                is_admin=admin, verified=verified,
            )  # fmt: skip
            await session.commit()
        return user

    async def sign_up(
        self, client: Client, username: str, email: str | None = None, password: str = PASSWORD
    ) -> Response:
        email = email or f"{username}@example.com"
        return await client.post(
            "/api/v1/account", json={"username": username, "email": email, "password": password}
        )

    async def verify_from_outbox(self, client: Client, email: str, **kwargs: Any) -> Response:
        message = await self.last_email_to(email, "Confirm your email address")
        return await client.post(
            "/api/v1/account/verification/confirm", json={"token": token_in(message)}, **kwargs
        )

    async def sign_in(
        self, client: Client, login: str, password: str = PASSWORD, **kwargs: Any
    ) -> Response:
        return await client.post(
            "/api/v1/session", json={"login": login, "password": password}, **kwargs
        )

    async def sign_in_with_page(
        self, client: Client, login: str, password: str = PASSWORD, **kwargs: Any
    ) -> Response:
        """Sign in through the HTML form (its CSRF token from the page, like a browser)."""
        page = await (await client.get("/sign-in", headers={"Accept": "text/html"})).get_data(
            as_text=True
        )
        match = CSRF_FIELD.search(page)
        assert match, "no CSRF field on /sign-in"
        return await client.post(
            "/sign-in",
            form={"csrf_token": match.group(1), "login": login, "password": password},
            **kwargs,
        )

    async def csrf_headers(self, client: Client) -> dict[str, str]:
        """The X-CSRF-Token header: from GET /api/v1/session when signed in, else from a page."""
        response = await client.get("/api/v1/session")
        if response.status_code == 200:
            return {"X-CSRF-Token": (await response.get_json())["csrf_token"]}
        assert response.status_code == 401, await response.get_data(as_text=True)
        page = await (await client.get("/", headers={"Accept": "text/html"})).get_data(as_text=True)
        match = CSRF_META.search(page)
        assert match, "no csrf-token meta tag on /"
        return {"X-CSRF-Token": match.group(1)}

    async def signed_in(self, username: str, *, sign_up: bool = True) -> SignedIn:
        """A new client signed in as ``username`` (signed up and verified through the API)."""
        client = self.new_client()
        email = f"{username}@example.com"
        if sign_up:
            assert (await self.sign_up(client, username)).status_code == 202
            assert (await self.verify_from_outbox(client, email)).status_code == 200
        response = await self.sign_in_with_page(client, username)
        assert response.status_code == 302, await response.get_data(as_text=True)
        assert cookie_value(client, self.cookie_name), "the sign-in set no session cookie"
        return SignedIn(client, username, email, await self.csrf_headers(client))

    async def another_session(self, who: SignedIn) -> SignedIn:
        """The same account signed in on a second client (another browser)."""
        return await self.signed_in(who.username, sign_up=False)

    async def create_token(self, who: SignedIn, scope: str = "read_write") -> dict[str, Any]:
        response = await who.client.post(
            "/api/v1/tokens", json={"name": f"{scope} script", "scope": scope}, headers=who.csrf
        )
        assert response.status_code == 201, await response.get_data(as_text=True)
        created: dict[str, Any] = await response.get_json()
        return created


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
