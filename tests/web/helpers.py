"""Acting through the pages like a browser: read the CSRF token from the form, post, follow."""

from __future__ import annotations

import re
from dataclasses import dataclass

from quart import Quart
from quart.typing import TestClientProtocol as Client
from quart.wrappers import Response

from quart_app.mail import outbox

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
