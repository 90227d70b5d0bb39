"""Sign-up, email verification and the whole life of an account, through the JSON API."""

from __future__ import annotations

import pytest
from quart.typing import TestClientProtocol as Client

from tests.api.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    AccountActions,
    assert_same_answer,
    cookie_value,
    error_code,
    token_in,
)

pytestmark = pytest.mark.integration


async def test_an_account_lives_through_its_whole_lifecycle(actions: AccountActions) -> None:
    client = actions.new_client()
    # Sign up, and verify with the link from the outbox (once only).
    response = await actions.sign_up(client, "ada")
    assert response.status_code == 202
    verify = await actions.verify_from_outbox(client, "ada@example.com")
    assert verify.status_code == 200
    assert (await verify.get_json())["email_verified"] is True
    again = await actions.verify_from_outbox(client, "ada@example.com")
    assert again.status_code == 400
    assert await error_code(again) == "INVALID_TOKEN"
    # Sign in and read the account.
    assert (await actions.sign_in_with_page(client, "ada")).status_code == 302
    csrf = await actions.csrf_headers(client)
    account = await client.get("/api/v1/account")
    assert account.status_code == 200
    assert (await account.get_json())["username"] == "ada"
    # Change the display name.
    patched = await client.patch("/api/v1/account", json={"display_name": "Ada L."}, headers=csrf)
    assert patched.status_code == 200
    assert (await patched.get_json())["display_name"] == "Ada L."
    # Change the password.
    changed = await client.post(
        "/api/v1/account/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=csrf,
    )
    assert changed.status_code == 204
    # Change the email: the confirmation link goes to the new address.
    started = await client.post(
        "/api/v1/account/email",
        json={"password": NEW_PASSWORD, "email": "ada@new.example"},
        headers=csrf,
    )
    assert started.status_code == 202
    confirm = await actions.last_email_to("ada@new.example", "Confirm your new email address")
    confirmed = await client.post(
        "/api/v1/account/email/confirm", json={"token": token_in(confirm)}, headers=csrf
    )
    assert confirmed.status_code == 200
    assert (await confirmed.get_json())["email"] == "ada@new.example"
    # Delete the account (the password confirms it); signing in fails afterwards.
    deleted = await client.delete("/api/v1/account", json={"password": NEW_PASSWORD}, headers=csrf)
    assert deleted.status_code == 204
    after = await actions.sign_in(actions.new_client(), "ada", NEW_PASSWORD)
    assert after.status_code == 401


async def test_sign_up_answers_202_and_emails_a_verification_link(
    actions: AccountActions, client: Client
) -> None:
    response = await actions.sign_up(client, "ada")
    assert response.status_code == 202
    message = await actions.last_email_to("ada@example.com")
    assert message.subject == "Confirm your email address"
    assert token_in(message)


async def test_sign_up_does_not_sign_in(actions: AccountActions, client: Client) -> None:
    await actions.sign_up(client, "ada")
    assert cookie_value(client, actions.cookie_name) is None
    assert (await client.get("/api/v1/account")).status_code == 401


async def test_a_new_account_is_unverified_until_the_link_is_used(
    actions: AccountActions,
) -> None:
    client = actions.new_client()
    await actions.sign_up(client, "ada")
    await actions.sign_in_with_page(client, "ada")
    before = await (await client.get("/api/v1/account")).get_json()
    assert before["email_verified"] is False
    verified = await actions.verify_from_outbox(
        client, "ada@example.com", headers=await actions.csrf_headers(client)
    )
    assert verified.status_code == 200
    after = await (await client.get("/api/v1/account")).get_json()
    assert after["email_verified"] is True


async def test_a_verification_link_works_only_once(actions: AccountActions, client: Client) -> None:
    await actions.sign_up(client, "ada")
    assert (await actions.verify_from_outbox(client, "ada@example.com")).status_code == 200
    second = await actions.verify_from_outbox(client, "ada@example.com")
    assert second.status_code == 400
    assert await error_code(second) == "INVALID_TOKEN"


async def test_an_unknown_verification_token_is_refused(client: Client) -> None:
    response = await client.post(
        "/api/v1/account/verification/confirm", json={"token": "not-a-real-token"}
    )
    assert response.status_code == 400
    assert await error_code(response) == "INVALID_TOKEN"


async def test_an_unverified_account_can_sign_in(actions: AccountActions, client: Client) -> None:
    await actions.sign_up(client, "ada")
    assert (await actions.sign_in_with_page(client, "ada")).status_code == 302
    account = await client.get("/api/v1/account")
    assert account.status_code == 200
    assert (await account.get_json())["email_verified"] is False


async def test_a_resent_verification_link_replaces_the_first(
    actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    first = token_in(await actions.last_email_to("ada@example.com"))
    await actions.sign_in_with_page(client, "ada")
    resent = await client.post(
        "/api/v1/account/verification", headers=await actions.csrf_headers(client)
    )
    assert resent.status_code == 202
    second = token_in(await actions.last_email_to("ada@example.com"))
    assert second != first
    old = await client.post(
        "/api/v1/account/verification/confirm",
        json={"token": first},
        headers=await actions.csrf_headers(client),
    )
    assert old.status_code == 400
    new = await client.post(
        "/api/v1/account/verification/confirm",
        json={"token": second},
        headers=await actions.csrf_headers(client),
    )
    assert new.status_code == 200


async def test_sign_up_with_a_taken_email_answers_exactly_like_a_fresh_one(
    actions: AccountActions,
) -> None:
    await actions.sign_up(actions.new_client(), "ada")
    taken = await actions.sign_up(actions.new_client(), "somebody", email="ada@example.com")
    fresh = await actions.sign_up(actions.new_client(), "grace")
    assert fresh.status_code == 202
    await assert_same_answer(taken, fresh)


async def test_sign_up_with_a_taken_username_answers_exactly_like_a_fresh_one(
    actions: AccountActions,
) -> None:
    await actions.sign_up(actions.new_client(), "ada")
    taken = await actions.sign_up(actions.new_client(), "ada", email="other@example.com")
    fresh = await actions.sign_up(actions.new_client(), "grace")
    assert fresh.status_code == 202
    await assert_same_answer(taken, fresh)


async def test_the_owner_of_a_taken_email_gets_a_notice_not_a_link(
    actions: AccountActions,
) -> None:
    await actions.sign_up(actions.new_client(), "ada")
    await actions.sign_up(actions.new_client(), "somebody", email="ada@example.com")
    notice = (await actions.emails_to("ada@example.com"))[-1]
    assert notice.subject == "You already have an account"
    assert "token=" not in notice.body


async def test_sign_up_reports_every_invalid_field(client: Client) -> None:
    response = await client.post(
        "/api/v1/account", json={"username": "A!", "email": "nope", "password": "short"}
    )
    assert response.status_code == 422
    fields = {detail["field"] for detail in (await response.get_json())["error"]["details"]}
    assert fields == {"username", "email", "password"}


async def test_sign_up_refuses_a_common_password(client: Client) -> None:
    response = await client.post(
        "/api/v1/account",
        json={"username": "ada", "email": "ada@example.com", "password": "password123"},
    )
    assert response.status_code == 422
    assert [d["field"] for d in (await response.get_json())["error"]["details"]] == ["password"]


async def test_sign_up_refuses_unknown_fields(client: Client) -> None:
    response = await client.post(
        "/api/v1/account",
        json={
            "username": "ada",
            "email": "ada@example.com",
            "password": PASSWORD,
            "is_admin": True,
        },
    )
    assert response.status_code == 422
    assert await error_code(response) == "VALIDATION_ERROR"


async def test_a_long_unicode_passphrase_is_accepted_and_not_truncated(
    actions: AccountActions, client: Client
) -> None:
    passphrase = "ünïcödé pässphräse 🐍 " * 10
    assert (await actions.sign_up(client, "ada", password=passphrase)).status_code == 202
    truncated = await actions.sign_in(actions.new_client(), "ada", passphrase[:72])
    assert truncated.status_code == 401
    assert (await actions.sign_in_with_page(client, "ada", passphrase)).status_code == 302
