"""The production configuration: __Host- session cookie attributes, HSTS, no debug output."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from quart import Quart, Response

from quart_app import create_app
from tests.api.helpers import CSRF_FIELD, PASSWORD, AccountActions
from tests.support import config_for, create_current_schema

pytestmark = pytest.mark.integration

BASE_URL = "https://tracker.example"


@pytest.fixture
async def production_app(database_url: str) -> AsyncIterator[Quart]:
    await create_current_schema(database_url)
    app = create_app(
        config_for(
            database_url,
            APP_ENV="production",
            SECRET_KEY=secrets.token_urlsafe(36),  # 48 characters
            BASE_URL=BASE_URL,
        )
    )

    @app.get("/api/v1/crash")
    async def crash() -> str:
        raise RuntimeError("secret internals at /srv/quart_app/secret.py")

    async with app.test_app():
        await AccountActions(app).create_user("ada")
        yield app


def auth_cookie(response: Response, name: str) -> list[str]:
    """The attributes of the Set-Cookie header for ``name``, lower-cased, name=value first."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return [part.strip().lower() for part in header.split(";")]
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.getlist('Set-Cookie')}")


def assert_host_only_secure_cookie(attributes: list[str]) -> None:
    assert "secure" in attributes
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert not any(a.startswith("domain=") for a in attributes), attributes


def test_the_production_session_cookie_has_the_host_prefix(production_app: Quart) -> None:
    assert production_app.config["AUTH_COOKIE_NAME"] == "__Host-session_id"


async def test_json_sign_in_sets_a_host_only_secure_cookie(production_app: Quart) -> None:
    response = await production_app.test_client().post(
        "/api/v1/session", json={"login": "ada", "password": PASSWORD}, scheme="https"
    )
    assert response.status_code == 200
    assert_host_only_secure_cookie(auth_cookie(response, "__Host-session_id"))


async def test_page_sign_in_sets_a_host_only_secure_cookie(production_app: Quart) -> None:
    client = production_app.test_client()
    page = await client.get("/sign-in", headers={"Accept": "text/html"}, scheme="https")
    match = CSRF_FIELD.search(await page.get_data(as_text=True))
    assert match
    response = await client.post(
        "/sign-in",
        form={"csrf_token": match.group(1), "login": "ada", "password": PASSWORD},
        scheme="https",
    )
    assert response.status_code == 302
    assert_host_only_secure_cookie(auth_cookie(response, "__Host-session_id"))


async def test_the_csrf_seed_cookie_is_host_only_and_secure(production_app: Quart) -> None:
    response = await production_app.test_client().get(
        "/sign-in", headers={"Accept": "text/html"}, scheme="https"
    )
    assert_host_only_secure_cookie(auth_cookie(response, "__Host-csrf_seed"))


async def test_production_sends_hsts(production_app: Quart) -> None:
    response = await production_app.test_client().get("/healthz", scheme="https")
    hsts = response.headers.get("Strict-Transport-Security", "")
    max_age = int(hsts.split("max-age=")[1].split(";")[0]) if "max-age=" in hsts else 0
    assert max_age >= 365 * 24 * 3600, hsts


async def test_a_production_500_is_generic_json_without_traceback(production_app: Quart) -> None:
    response = await production_app.test_client().get("/api/v1/crash", scheme="https")
    assert response.status_code == 500
    body = await response.get_json()
    assert body["error"]["code"] == "INTERNAL_ERROR"
    assert "secret" not in str(body)


def test_production_runs_without_debug_or_testing(production_app: Quart) -> None:
    assert production_app.debug is False
    assert production_app.testing is False
