"""The signed-in account: profile, password, email address, deletion."""

from __future__ import annotations

import pytest
from quart import Response

from tests.api.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    AccountActions,
    SignedIn,
    assert_same_answer,
    cookie_value,
    error_code,
    token_in,
)

pytestmark = pytest.mark.integration


async def change_password(
    who: SignedIn, current: str = PASSWORD, new: str = NEW_PASSWORD
) -> Response:
    return await who.client.post(
        "/api/v1/account/password",
        json={"current_password": current, "new_password": new},
        headers=who.csrf,
    )


async def change_email(who: SignedIn, email: str, password: str = PASSWORD) -> Response:
    return await who.client.post(
        "/api/v1/account/email", json={"password": password, "email": email}, headers=who.csrf
    )


async def test_get_account_returns_the_signed_in_account(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.get("/api/v1/account")
    assert response.status_code == 200
    body = await response.get_json()
    assert (body["username"], body["email"], body["email_verified"], body["is_admin"]) == (
        "ada", "ada@example.com", True, False,
    )  # fmt: skip
    assert "password_hash" not in body


async def test_patch_changes_the_display_name(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.patch(
        "/api/v1/account", json={"display_name": "  Ada Lovelace "}, headers=who.csrf
    )
    assert response.status_code == 200
    account = await (await who.client.get("/api/v1/account")).get_json()
    assert account["display_name"] == "Ada Lovelace"


async def test_a_too_long_display_name_is_422_on_its_field(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.patch(
        "/api/v1/account", json={"display_name": "x" * 101}, headers=who.csrf
    )
    assert response.status_code == 422
    assert (await response.get_json())["error"]["details"][0]["field"] == "display_name"


async def test_change_password_needs_the_current_one(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await change_password(who, current="not the current one")
    assert response.status_code == 422
    assert (await response.get_json())["error"]["details"][0]["field"] == "current_password"
    assert (await actions.sign_in_with_page(actions.new_client(), "ada")).status_code == 302


async def test_change_password_enforces_the_policy(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await change_password(who, new="ada")
    assert response.status_code == 422
    assert (await response.get_json())["error"]["details"][0]["field"] == "new_password"


async def test_after_a_password_change_only_the_new_password_signs_in(
    actions: AccountActions,
) -> None:
    who = await actions.signed_in("ada")
    assert (await change_password(who)).status_code == 204
    assert (await actions.sign_in(actions.new_client(), "ada", PASSWORD)).status_code == 401
    new = await actions.sign_in_with_page(actions.new_client(), "ada", NEW_PASSWORD)
    assert new.status_code == 302


async def test_a_password_change_signs_out_the_other_sessions(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    other = await actions.another_session(who)
    assert (await change_password(who)).status_code == 204
    response = await other.client.get("/api/v1/account")
    assert response.status_code == 401


async def test_a_password_change_keeps_the_changing_session(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    await actions.another_session(who)
    assert (await change_password(who)).status_code == 204
    assert (await who.client.get("/api/v1/account")).status_code == 200
    sessions = (await (await who.client.get("/api/v1/sessions")).get_json())["sessions"]
    assert [s["current"] for s in sessions] == [True]


async def test_a_password_change_sends_a_password_changed_email(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    await change_password(who)
    assert (await actions.last_email_to(who.email)).subject == "Your password was changed"


async def test_an_email_change_sends_the_confirmation_link_to_the_new_address(
    actions: AccountActions,
) -> None:
    who = await actions.signed_in("ada")
    response = await change_email(who, "ada@new.example")
    assert response.status_code == 202
    confirm = await actions.last_email_to("ada@new.example")
    assert confirm.subject == "Confirm your new email address"
    assert token_in(confirm)
    told = await actions.last_email_to(who.email)
    assert told.subject == "Your email address is being changed"
    assert "token=" not in told.body


async def test_the_address_changes_only_once_the_new_one_confirms(
    actions: AccountActions,
) -> None:
    who = await actions.signed_in("ada")
    await change_email(who, "ada@new.example")
    before = await (await who.client.get("/api/v1/account")).get_json()
    assert before["email"] == "ada@example.com"
    token = token_in(await actions.last_email_to("ada@new.example"))
    confirmed = await who.client.post(
        "/api/v1/account/email/confirm", json={"token": token}, headers=who.csrf
    )
    assert confirmed.status_code == 200
    after = await (await who.client.get("/api/v1/account")).get_json()
    assert (after["email"], after["email_verified"]) == ("ada@new.example", True)


async def test_an_email_change_needs_the_password(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await change_email(who, "ada@new.example", password="not the password")
    assert response.status_code == 422
    assert await actions.emails_to("ada@new.example") == []


async def test_an_email_change_to_a_taken_address_answers_like_a_free_one(
    actions: AccountActions,
) -> None:
    who = await actions.signed_in("ada")
    await actions.sign_up(actions.new_client(), "grace")
    taken = await change_email(who, "grace@example.com")
    free = await change_email(who, "ada@new.example")
    assert free.status_code == 202
    await assert_same_answer(taken, free)
    assert "token=" not in (await actions.last_email_to("grace@example.com")).body


async def test_deleting_the_account_needs_the_password(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.delete(
        "/api/v1/account", json={"password": "not the password"}, headers=who.csrf
    )
    assert response.status_code == 422
    assert (await who.client.get("/api/v1/account")).status_code == 200


async def test_a_deleted_account_cannot_sign_in(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.delete(
        "/api/v1/account", json={"password": PASSWORD}, headers=who.csrf
    )
    assert response.status_code == 204
    after = await actions.sign_in(actions.new_client(), "ada", PASSWORD)
    assert after.status_code == 401
    assert await error_code(after) == "INVALID_CREDENTIALS"


async def test_deleting_the_account_ends_its_sessions(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    other = await actions.another_session(who)
    saved = cookie_value(who.client, actions.cookie_name)
    assert saved
    await who.client.delete("/api/v1/account", json={"password": PASSWORD}, headers=who.csrf)
    assert cookie_value(who.client, actions.cookie_name) is None
    assert (await other.client.get("/api/v1/account")).status_code == 401
    replay = actions.new_client()
    replay.set_cookie("localhost", actions.cookie_name, saved)
    assert (await replay.get("/api/v1/account")).status_code == 401


async def test_the_username_of_a_deleted_account_can_be_registered_again(
    actions: AccountActions,
) -> None:
    who = await actions.signed_in("ada")
    await who.client.delete("/api/v1/account", json={"password": PASSWORD}, headers=who.csrf)
    sent_before = len(await actions.emails_to(who.email))
    assert (await actions.sign_up(actions.new_client(), "ada")).status_code == 202
    emails = await actions.emails_to(who.email)
    assert len(emails) == sent_before + 1
    assert emails[-1].subject == "Confirm your email address"
