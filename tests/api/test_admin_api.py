"""Site administration through the API: list accounts, disable (sessions and tokens end), enable."""

from __future__ import annotations

import pytest
from quart import Response

from tests.api.helpers import (
    PASSWORD,
    AccountActions,
    SignedIn,
    assert_same_answer,
    bearer,
    error_code,
)

pytestmark = pytest.mark.integration


async def admin(actions: AccountActions) -> SignedIn:
    await actions.create_user("boss", admin=True)
    return await actions.signed_in("boss", sign_up=False)


async def user_id(who: SignedIn) -> int:
    return int((await (await who.client.get("/api/v1/account")).get_json())["id"])


async def disable(by: SignedIn, target: int) -> Response:
    return await by.client.post(f"/api/v1/admin/users/{target}/disable", headers=by.csrf)


async def test_listing_users_needs_a_signed_in_user(actions: AccountActions) -> None:
    response = await actions.new_client().get("/api/v1/admin/users")
    assert response.status_code == 401


async def test_a_non_admin_cannot_list_users(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.get("/api/v1/admin/users")
    assert response.status_code == 403
    assert await error_code(response) == "ADMIN_REQUIRED"


async def test_a_non_admin_cannot_disable_anyone(actions: AccountActions) -> None:
    ada = await actions.signed_in("ada")
    grace = await actions.signed_in("grace")
    response = await disable(ada, await user_id(grace))
    assert response.status_code == 403
    assert (await grace.client.get("/api/v1/account")).status_code == 200


async def test_an_admin_lists_every_user_oldest_first(actions: AccountActions) -> None:
    boss = await admin(actions)
    await actions.sign_up(actions.new_client(), "ada")
    response = await boss.client.get("/api/v1/admin/users")
    assert response.status_code == 200
    body = await response.get_json()
    assert body["total"] == 2
    assert [(u["username"], u["is_admin"]) for u in body["users"]] == [
        ("boss", True), ("ada", False),
    ]  # fmt: skip
    assert "password_hash" not in body["users"][0]


async def test_the_user_list_pages(actions: AccountActions) -> None:
    boss = await admin(actions)
    await actions.sign_up(actions.new_client(), "ada")
    response = await boss.client.get("/api/v1/admin/users?page=2&per_page=1")
    body = await response.get_json()
    assert (body["total"], [u["username"] for u in body["users"]]) == (2, ["ada"])


async def test_disabling_a_user_ends_their_sessions(actions: AccountActions) -> None:
    boss = await admin(actions)
    ada = await actions.signed_in("ada")
    response = await disable(boss, await user_id(ada))
    assert response.status_code == 200
    assert (await response.get_json())["disabled"] is True
    assert (await ada.client.get("/api/v1/account")).status_code == 401


async def test_disabling_a_user_revokes_their_tokens(actions: AccountActions) -> None:
    boss = await admin(actions)
    ada = await actions.signed_in("ada")
    secret = (await actions.create_token(ada))["token"]
    await disable(boss, await user_id(ada))
    response = await actions.new_client().get("/api/v1/account", headers=bearer(secret))
    assert response.status_code == 401


async def test_re_enabling_a_user_does_not_revive_their_tokens(actions: AccountActions) -> None:
    boss = await admin(actions)
    ada = await actions.signed_in("ada")
    secret = (await actions.create_token(ada))["token"]
    target = await user_id(ada)
    await disable(boss, target)
    enabled = await boss.client.post(f"/api/v1/admin/users/{target}/enable", headers=boss.csrf)
    assert enabled.status_code == 200
    assert (await enabled.get_json())["disabled"] is False
    response = await actions.new_client().get("/api/v1/account", headers=bearer(secret))
    assert response.status_code == 401


async def test_a_disabled_user_cannot_sign_in_and_is_told_nothing_more(
    actions: AccountActions,
) -> None:
    boss = await admin(actions)
    ada = await actions.signed_in("ada")
    await disable(boss, await user_id(ada))
    disabled = await actions.sign_in(actions.new_client(), "ada", PASSWORD)
    wrong = await actions.sign_in(actions.new_client(), "grace", PASSWORD)
    assert disabled.status_code == 401
    await assert_same_answer(disabled, wrong)


async def test_a_re_enabled_user_can_sign_in_again(actions: AccountActions) -> None:
    boss = await admin(actions)
    ada = await actions.signed_in("ada")
    target = await user_id(ada)
    await disable(boss, target)
    await boss.client.post(f"/api/v1/admin/users/{target}/enable", headers=boss.csrf)
    response = await actions.sign_in_with_page(actions.new_client(), "ada")
    assert response.status_code == 302


async def test_an_admin_cannot_disable_themselves(actions: AccountActions) -> None:
    boss = await admin(actions)
    response = await disable(boss, await user_id(boss))
    assert response.status_code == 403
    assert (await boss.client.get("/api/v1/account")).status_code == 200


async def test_disabling_an_unknown_user_is_404(actions: AccountActions) -> None:
    boss = await admin(actions)
    response = await disable(boss, 999_999)
    assert response.status_code == 404


async def test_a_read_scope_admin_token_cannot_disable(actions: AccountActions) -> None:
    boss = await admin(actions)
    ada = await actions.signed_in("ada")
    secret = (await actions.create_token(boss, scope="read"))["token"]
    response = await actions.new_client().post(
        f"/api/v1/admin/users/{await user_id(ada)}/disable", headers=bearer(secret)
    )
    assert response.status_code == 403
    assert await error_code(response) == "INSUFFICIENT_SCOPE"
    assert (await ada.client.get("/api/v1/account")).status_code == 200


async def test_an_admin_read_write_token_can_disable_without_csrf(actions: AccountActions) -> None:
    boss = await admin(actions)
    ada = await actions.signed_in("ada")
    secret = (await actions.create_token(boss))["token"]
    response = await actions.new_client().post(
        f"/api/v1/admin/users/{await user_id(ada)}/disable", headers=bearer(secret)
    )
    assert response.status_code == 200
    assert (await ada.client.get("/api/v1/account")).status_code == 401
