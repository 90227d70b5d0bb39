"""Odd but possible input gets a 4xx answer, never a 500, on both databases."""

from __future__ import annotations

import pytest

from tests.api.helpers import PASSWORD, AccountActions, error_code

pytestmark = pytest.mark.integration

TOO_BIG_ID = 2**63  # past a 64-bit integer (and far past PostgreSQL's 32-bit INTEGER)
LONG_EMAIL = "a" * 240 + "@example.com"  # 252 characters: a valid address (the limit is 320)


async def test_a_token_expiry_without_a_timezone_is_not_a_500(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.post(
        "/api/v1/tokens", json={"name": "n", "expires_at": "2099-01-01T00:00:00"}, headers=who.csrf
    )
    assert response.status_code in {201, 422}


@pytest.mark.parametrize(
    "method, path",
    [
        ("DELETE", f"/api/v1/tokens/{TOO_BIG_ID}"),
        ("DELETE", f"/api/v1/sessions/{TOO_BIG_ID}"),
        ("POST", f"/api/v1/admin/users/{TOO_BIG_ID}/disable"),
    ],
)
async def test_an_id_too_big_for_the_database_is_404(
    actions: AccountActions, method: str, path: str
) -> None:
    await actions.create_user("boss", admin=True)
    boss = await actions.signed_in("boss", sign_up=False)
    response = await boss.client.open(path, method=method, headers=boss.csrf, json={})
    assert response.status_code == 404


async def test_a_long_but_valid_email_can_sign_up(actions: AccountActions) -> None:
    response = await actions.sign_up(actions.new_client(), "ada", email=LONG_EMAIL)
    assert response.status_code == 202


async def test_a_very_long_login_is_refused_like_an_unknown_one(actions: AccountActions) -> None:
    response = await actions.sign_in(actions.new_client(), "a" * 1000, PASSWORD)
    assert response.status_code == 401
    assert await error_code(response) == "INVALID_CREDENTIALS"


async def test_a_reset_request_for_a_very_long_address_answers_as_usual(
    actions: AccountActions,
) -> None:
    response = await actions.new_client().post(
        "/api/v1/password-reset", json={"email": "b" * 300 + "@example.com"}
    )
    assert response.status_code == 202


async def test_a_nul_character_in_the_login_is_refused_naming_the_field(
    actions: AccountActions,
) -> None:
    response = await actions.sign_in(actions.new_client(), "ada\x00", PASSWORD)
    assert response.status_code == 422
    assert (await response.get_json())["error"]["details"][0]["field"] == "login"


async def test_a_nul_character_in_the_display_name_is_not_a_500(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.patch(
        "/api/v1/account", json={"display_name": "Ada\x00"}, headers=who.csrf
    )
    assert response.status_code in {200, 422}
