"""Actors for the tracker API tests: users holding API tokens, and quick ways to arrange data.

Everything is arranged over HTTP where a test reads the result, so the tests exercise what a
script would do; accounts and tokens come straight from the services (issue 3 tests those).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quart import Quart, Response
from quart.typing import TestClientProtocol as Client
from sqlalchemy import func, select

from quart_app.db import Database
from quart_app.models import Base, TokenScope
from quart_app.services.accounts import create_user
from quart_app.services.api_tokens import create_api_token
from tests.api.helpers import PASSWORD


@dataclass
class ApiUser:
    """Someone calling the API with a Bearer token (or nobody, when ``token`` is None)."""

    client: Client
    username: str | None
    token: str | None

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**auth, **(extra or {})}

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.client.get(
            path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Response:
        headers = self.headers(kwargs.pop("headers", None))
        return await self.client.post(path, json=json, headers=headers, **kwargs)

    async def patch(self, path: str, json: Any = None, **kwargs: Any) -> Response:
        headers = self.headers(kwargs.pop("headers", None))
        return await self.client.patch(path, json=json, headers=headers, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Response:
        headers = self.headers(kwargs.pop("headers", None))
        return await self.client.delete(path, headers=headers, **kwargs)

    async def ok(
        self, method: str, path: str, json: Any = None, status: int = 200, **kwargs: Any
    ) -> Any:
        """Make the call, assert its status, return the JSON body (None for an empty one)."""
        if json is not None:
            kwargs["json"] = json
        headers = self.headers(kwargs.pop("headers", None))
        response = await self.client.open(path, method=method, headers=headers, **kwargs)
        body = await response.get_data(as_text=True)
        assert response.status_code == status, f"{method} {path} -> {response.status_code}: {body}"
        return await response.get_json() if body else None


class Tracker:
    """Arranges users, projects and issues for a test, through the API where it can."""

    def __init__(self, app: Quart) -> None:
        self.app = app
        self.database: Database = app.extensions["db"]

    def anonymous(self) -> ApiUser:
        return ApiUser(self.app.test_client(), None, None)

    async def user(
        self, username: str, *, verified: bool = True, scope: TokenScope = TokenScope.READ_WRITE
    ) -> ApiUser:
        async with self.database.write_sessions() as session:
            user = await create_user(
                session, username=username, email=f"{username}@example.com", password=PASSWORD,
                verified=verified,
            )  # fmt: skip
            _token, secret = await create_api_token(
                session, user, name="tests", scope=scope, expires_at=None
            )
            await session.commit()
        return ApiUser(self.app.test_client(), username, secret)

    async def project(
        self,
        owner: ApiUser,
        key: str = "WEB",
        *,
        visibility: str = "private",
        members: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        project = await owner.ok(
            "POST",
            "/api/v1/projects",
            {"key": key, "name": f"{key} project", "visibility": visibility},
            status=201,
        )
        for username, role in (members or {}).items():
            await owner.ok(
                "POST",
                f"/api/v1/projects/{key}/members",
                {"username": username, "role": role},
                status=201,
            )
        return dict(project)

    async def issue(self, who: ApiUser, key: str = "WEB", **fields: Any) -> dict[str, Any]:
        body = {"title": "Something is broken", **fields}
        return dict(await who.ok("POST", f"/api/v1/projects/{key}/issues", body, status=201))

    async def row_counts(self) -> dict[str, int]:
        """Rows per table: a refused request must leave every count as it was."""
        counts = {}
        async with self.database.read_sessions() as session:
            for table in Base.metadata.sorted_tables:
                if table.name in ("rate_limit_counters", "user_sessions", "api_tokens"):
                    continue  # bookkeeping that reads may touch (limits, last use)
                counts[table.name] = int(
                    await session.scalar(select(func.count()).select_from(table)) or 0
                )
        return counts
