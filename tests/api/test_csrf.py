"""CSRF: cookie-authenticated writes need this session's token and must come from this site."""

from __future__ import annotations

import re

import pytest
from quart import Quart, Response, g
from quart.typing import TestClientProtocol as Client

from quart_app.security import csrf
from quart_app.security.auth import Auth
from tests.api.helpers import PASSWORD, AccountActions, SignedIn, error_code

pytestmark = pytest.mark.integration

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
INT_ARGUMENT = re.compile(r"<int:[^>]+>")
STRING_ARGUMENT = re.compile(r"<string:[^>]+>")


async def display_name(client: Client) -> str:
    return str((await (await client.get("/api/v1/account")).get_json())["display_name"])


def refused_headers(
    case: str, who: SignedIn, same_user: SignedIn, other_user: SignedIn
) -> dict[str, str]:
    """The headers of each forged (or foreign) write that must be refused."""
    cases: dict[str, dict[str, str]] = {
        "no token": {},
        "wrong token": {"X-CSRF-Token": "0" * 64},
        "empty token": {"X-CSRF-Token": ""},
        "token of another session of the same account": same_user.csrf,
        "token of another account's session": other_user.csrf,
        "Sec-Fetch-Site cross-site, valid token": {**who.csrf, "Sec-Fetch-Site": "cross-site"},
        "Sec-Fetch-Site same-site, valid token": {**who.csrf, "Sec-Fetch-Site": "same-site"},
        "Origin of another site, valid token": {**who.csrf, "Origin": "https://evil.example"},
        "Origin null, valid token": {**who.csrf, "Origin": "null"},
    }
    return cases[case]


REFUSED = [
    "no token",
    "wrong token",
    "empty token",
    "token of another session of the same account",
    "token of another account's session",
    "Sec-Fetch-Site cross-site, valid token",
    "Sec-Fetch-Site same-site, valid token",
    "Origin of another site, valid token",
    "Origin null, valid token",
]


@pytest.mark.parametrize("case", REFUSED)
async def test_a_cookie_write_is_refused_and_changes_nothing(
    actions: AccountActions, case: str
) -> None:
    who = await actions.signed_in("ada")
    same_user = await actions.another_session(who)
    other_user = await actions.signed_in("grace")
    response = await who.client.patch(
        "/api/v1/account",
        json={"display_name": "Changed by a forgery"},
        headers=refused_headers(case, who, same_user, other_user),
    )
    assert response.status_code == 403
    assert await error_code(response) == "CSRF_FAILED"
    assert await display_name(who.client) == ""


async def test_a_cookie_write_with_this_sessions_token_succeeds(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.patch(
        "/api/v1/account", json={"display_name": "Ada"}, headers=who.csrf
    )
    assert response.status_code == 200
    assert await display_name(who.client) == "Ada"


async def test_a_same_origin_write_with_a_valid_token_succeeds(
    app: Quart, actions: AccountActions
) -> None:
    who = await actions.signed_in("ada")
    headers = {**who.csrf, "Origin": app.config["BASE_URL"], "Sec-Fetch-Site": "same-origin"}
    response = await who.client.patch(
        "/api/v1/account", json={"display_name": "Ada"}, headers=headers
    )
    assert response.status_code == 200


async def test_a_forged_sign_out_does_not_sign_out(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.delete(
        "/api/v1/session", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert (await who.client.get("/api/v1/account")).status_code == 200


async def test_a_forged_token_creation_creates_nothing(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.post("/api/v1/tokens", json={"name": "stolen"})
    assert response.status_code == 403
    assert (await (await who.client.get("/api/v1/tokens")).get_json())["tokens"] == []


async def test_a_forged_account_deletion_deletes_nothing(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.delete(
        "/api/v1/account", json={"password": PASSWORD}, headers={"X-CSRF-Token": "forged"}
    )
    assert response.status_code == 403
    assert (await who.client.get("/api/v1/account")).status_code == 200


async def test_a_json_post_without_any_cookie_needs_no_token(actions: AccountActions) -> None:
    response = await actions.sign_up(actions.new_client(), "ada")
    assert response.status_code == 202


async def test_a_cross_site_post_without_cookies_is_still_refused(actions: AccountActions) -> None:
    response = await actions.new_client().post(
        "/api/v1/password-reset",
        json={"email": "ada@example.com"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert await error_code(response) == "CSRF_FAILED"


async def test_a_form_post_without_cookies_needs_a_token(actions: AccountActions) -> None:
    """A page elsewhere can post a form without a preflight: that is not an API call."""
    response = await actions.new_client().post(
        "/api/v1/password-reset", form={"email": "ada@example.com"}
    )
    assert response.status_code == 403
    assert await actions.emails_to("ada@example.com") == []


JSON_ERRORS = {"Accept": "application/json"}  # page routes then answer errors in JSON too


async def refused_as_csrf(response: Response) -> bool:
    if response.status_code != 403:
        return False
    body = await response.get_json()
    return isinstance(body, dict) and body.get("error", {}).get("code") == "CSRF_FAILED"


def unsafe_routes(app: Quart) -> list[tuple[str, str, str]]:
    """(method, path, endpoint) for every unsafe method of every rule, arguments filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted(set(rule.methods or ()) & set(UNSAFE_METHODS)):
            path = STRING_ARGUMENT.sub("ada", INT_ARGUMENT.sub("1", rule.rule))
            routes.append((method, path, rule.endpoint))
    return routes


async def test_convention_every_unsafe_route_refuses_a_cookie_request_without_token(
    app: Quart, actions: AccountActions
) -> None:
    who = await actions.signed_in("ada")
    routes = unsafe_routes(app)
    assert len(routes) >= 15, routes
    unfillable = [path for _method, path, _endpoint in routes if "<" in path]
    assert not unfillable, f"teach this test to fill these URL arguments: {unfillable}"
    unprotected = []
    for method, path, endpoint in routes:
        response = await who.client.open(path, method=method, json={}, headers=JSON_ERRORS)
        if not await refused_as_csrf(response):
            unprotected.append(f"{method} {path} ({endpoint}) -> {response.status_code}")
    assert not unprotected, "writes that a forged cookie request got through:\n" + "\n".join(
        unprotected
    )
    assert (await who.client.get("/api/v1/account")).status_code == 200


async def test_convention_every_unsafe_route_refuses_a_cross_site_request(
    app: Quart, actions: AccountActions
) -> None:
    who = await actions.signed_in("ada")
    unprotected = []
    for method, path, endpoint in unsafe_routes(app):
        headers = {**JSON_ERRORS, **who.csrf, "Sec-Fetch-Site": "cross-site"}
        response = await who.client.open(path, method=method, json={}, headers=headers)
        if not await refused_as_csrf(response):
            unprotected.append(f"{method} {path} ({endpoint}) -> {response.status_code}")
    assert not unprotected, "cross-site writes that got through:\n" + "\n".join(unprotected)


async def test_a_page_s_token_follows_the_session_it_is_signed_for(app: Quart) -> None:
    """Tokens are signed once per request, per binding: one page gets one token, and a request
    whose session changes (signing in) gets the new session's token, never the old one's."""
    seed_cookie = {"Cookie": f"{app.config['CSRF_COOKIE_NAME']}=seed-1"}
    async with app.test_request_context("/", headers=seed_cookie):
        anonymous = csrf.csrf_token()
        assert csrf.csrf_token() == anonymous
        g.auth = Auth(session_token="session-1")
        signed_in = csrf.csrf_token()
        assert signed_in != anonymous
        assert csrf.csrf_token() == signed_in
    async with app.test_request_context("/"):
        g.auth = Auth(session_token="session-1")
        assert csrf.csrf_token() == signed_in  # the same session, another request
