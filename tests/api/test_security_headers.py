"""Security headers on every kind of response; HSTS in production; no-store when signed in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from quart import Quart, Response

from quart_app import create_app
from tests.api.helpers import AccountActions, bearer
from tests.support import config_for, create_current_schema

pytestmark = pytest.mark.integration

HTML = {"Accept": "text/html"}
REFERRER_POLICIES = {
    "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin",
}  # fmt: skip


def csp_directives(response: Response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name.lower()] = values
    return directives


def assert_security_headers(response: Response) -> None:
    directives = csp_directives(response)
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, f"no script-src or default-src in {directives}"
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert directives.get("frame-ancestors") == ["'none'"]
    assert directives.get("object-src") == ["'none'"]
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") in REFERRER_POLICIES


@pytest.fixture
async def crashing_app(database_url: str) -> AsyncIterator[Quart]:
    """The app plus routes that crash, with exceptions handled as in production."""
    await create_current_schema(database_url)
    app = create_app(config_for(database_url, PROPAGATE_EXCEPTIONS=False))

    @app.get("/crash")
    async def crash_page() -> str:
        raise RuntimeError("secret internals at /srv/quart_app/secret.py")

    @app.get("/api/v1/crash")
    async def crash_api() -> str:
        raise RuntimeError("secret internals at /srv/quart_app/secret.py")

    async with app.test_app():
        yield app


async def test_an_html_page_has_the_security_headers(app: Quart) -> None:
    response = await app.test_client().get("/", headers=HTML)
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    assert_security_headers(response)


async def test_an_html_404_has_the_security_headers(app: Quart) -> None:
    response = await app.test_client().get("/nothing-here", headers=HTML)
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert_security_headers(response)


async def test_a_json_response_has_the_security_headers(app: Quart) -> None:
    response = await app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert_security_headers(response)


async def test_a_json_404_has_the_security_headers(app: Quart) -> None:
    response = await app.test_client().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert_security_headers(response)


async def test_a_refused_request_has_the_security_headers(app: Quart) -> None:
    response = await app.test_client().post(
        "/api/v1/password-reset", json={"email": "a@example.com"}, headers={"Origin": "https://x.y"}
    )
    assert response.status_code == 403
    assert_security_headers(response)


async def test_an_html_500_has_the_security_headers_and_no_traceback(
    crashing_app: Quart,
) -> None:
    response = await crashing_app.test_client().get("/crash", headers=HTML)
    assert response.status_code == 500
    assert response.content_type.startswith("text/html")
    assert_security_headers(response)
    body = await response.get_data(as_text=True)
    assert "secret" not in body
    assert "Traceback" not in body


async def test_a_json_500_has_the_security_headers_and_no_traceback(crashing_app: Quart) -> None:
    response = await crashing_app.test_client().get("/api/v1/crash")
    assert response.status_code == 500
    assert_security_headers(response)
    body = await response.get_json()
    assert body["error"]["code"] == "INTERNAL_ERROR"
    assert "secret" not in str(body)


async def test_pages_carry_no_inline_script(app: Quart) -> None:
    for path in ("/", "/sign-in", "/sign-up", "/forgot-password", "/nothing-here"):
        page = await (await app.test_client().get(path, headers=HTML)).get_data(as_text=True)
        lowered = page.lower()
        scripts = lowered.split("<script")[1:]
        assert all(" src=" in tag.split(">")[0] for tag in scripts), f"inline script on {path}"
        assert " onclick=" not in lowered and " onload=" not in lowered, path


async def test_no_hsts_outside_production(app: Quart) -> None:
    response = await app.test_client().get("/healthz")
    assert "Strict-Transport-Security" not in response.headers


async def test_an_authenticated_cookie_response_is_not_stored(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.get("/api/v1/account")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") == "no-store"


async def test_an_authenticated_bearer_response_is_not_stored(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    secret = (await actions.create_token(who))["token"]
    response = await actions.new_client().get("/api/v1/tokens", headers=bearer(secret))
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") == "no-store"


async def test_a_signed_in_page_is_not_stored(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.get("/", headers=HTML)
    assert response.headers.get("Cache-Control") == "no-store"


async def test_the_response_that_sets_the_session_cookie_is_not_stored(
    actions: AccountActions,
) -> None:
    client = actions.new_client()
    await actions.sign_up(client, "ada")
    response = await actions.sign_in_with_page(client, "ada")
    assert actions.cookie_name in " ".join(response.headers.getlist("Set-Cookie"))
    assert response.headers.get("Cache-Control") == "no-store"
