"""Password reset by email: no enumeration, single use, an hour, everyone signed out, nobody in."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import time_machine
from quart import Quart, Response
from quart.typing import TestClientProtocol as Client

from quart_app.models import utcnow
from tests.api.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    AccountActions,
    assert_same_answer,
    cookie_value,
    error_code,
    link_in,
    token_in,
)

pytestmark = pytest.mark.integration

RESET_SUBJECT = "Reset your password"


async def request_reset(client: Client, email: str, **kwargs: object) -> Response:
    return await client.post("/api/v1/password-reset", json={"email": email}, **kwargs)


async def reset_token(actions: AccountActions, client: Client, email: str) -> str:
    assert (await request_reset(client, email)).status_code == 202
    return token_in(await actions.last_email_to(email, RESET_SUBJECT))


async def confirm(
    client: Client, token: str, password: str = NEW_PASSWORD, **kwargs: object
) -> Response:
    return await client.post(
        "/api/v1/password-reset/confirm", json={"token": token, "password": password}, **kwargs
    )


async def test_a_reset_sets_the_new_password(actions: AccountActions, client: Client) -> None:
    await actions.sign_up(client, "ada")
    token = await reset_token(actions, client, "ada@example.com")
    assert (await confirm(client, token)).status_code == 204
    old = await actions.sign_in(actions.new_client(), "ada", PASSWORD)
    assert old.status_code == 401
    new = await actions.sign_in_with_page(actions.new_client(), "ada", NEW_PASSWORD)
    assert new.status_code == 302


async def test_reset_requests_for_known_and_unknown_addresses_get_identical_answers(
    actions: AccountActions,
) -> None:
    await actions.sign_up(actions.new_client(), "ada")
    known = await request_reset(actions.new_client(), "ada@example.com")
    unknown = await request_reset(actions.new_client(), "nobody@example.com")
    assert known.status_code == 202
    await assert_same_answer(known, unknown)
    assert await actions.emails_to("nobody@example.com") == []


async def test_a_reset_link_works_only_once(actions: AccountActions, client: Client) -> None:
    await actions.sign_up(client, "ada")
    token = await reset_token(actions, client, "ada@example.com")
    assert (await confirm(client, token)).status_code == 204
    again = await confirm(client, token, "yet another passphrase 3")
    assert again.status_code == 400
    assert await error_code(again) == "INVALID_TOKEN"


async def test_a_reset_link_used_twice_at_once_works_once(
    actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    token = await reset_token(actions, client, "ada@example.com")
    first, second = await asyncio.gather(
        confirm(actions.new_client(), token),
        confirm(actions.new_client(), token, "yet another passphrase 3"),
    )
    assert sorted([first.status_code, second.status_code]) == [204, 400]


async def test_a_reset_link_expires_after_an_hour(actions: AccountActions, client: Client) -> None:
    await actions.sign_up(client, "ada")
    token = await reset_token(actions, client, "ada@example.com")
    with time_machine.travel(utcnow() + timedelta(seconds=3601), tick=False):
        response = await confirm(client, token)
    assert response.status_code == 400
    assert await error_code(response) == "INVALID_TOKEN"


async def test_a_reset_link_still_works_just_before_the_hour_is_up(
    actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    token = await reset_token(actions, client, "ada@example.com")
    with time_machine.travel(utcnow() + timedelta(seconds=3540), tick=False):
        response = await confirm(client, token)
    assert response.status_code == 204


async def test_a_reset_signs_out_every_session(actions: AccountActions) -> None:
    first = await actions.signed_in("ada")
    second = await actions.another_session(first)
    token = await reset_token(actions, actions.new_client(), "ada@example.com")
    assert (await confirm(actions.new_client(), token)).status_code == 204
    assert (await first.client.get("/api/v1/account")).status_code == 401
    assert (await second.client.get("/api/v1/account")).status_code == 401


async def test_a_reset_signs_nobody_in(actions: AccountActions, client: Client) -> None:
    await actions.sign_up(client, "ada")
    token = await reset_token(actions, client, "ada@example.com")
    response = await confirm(client, token)
    assert response.status_code == 204
    assert actions.cookie_name not in " ".join(response.headers.getlist("Set-Cookie"))
    assert cookie_value(client, actions.cookie_name) is None
    assert (await client.get("/api/v1/account")).status_code == 401


async def test_a_reset_works_for_a_client_that_just_signed_out(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    assert (await who.client.delete("/api/v1/session", headers=who.csrf)).status_code == 204
    # Signed out, this browser still has the page's CSRF seed cookie: it sends the page's token.
    csrf = await actions.csrf_headers(who.client)
    requested = await request_reset(who.client, who.email, headers=csrf)
    assert requested.status_code == 202
    token = token_in(await actions.last_email_to(who.email, RESET_SUBJECT))
    response = await confirm(who.client, token, headers=csrf)
    assert response.status_code == 204


async def test_a_reset_sends_a_password_changed_email(
    actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    token = await reset_token(actions, client, "ada@example.com")
    await confirm(client, token)
    assert (await actions.last_email_to("ada@example.com")).subject == "Your password was changed"


async def test_a_rejected_new_password_does_not_use_up_the_link(
    actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    token = await reset_token(actions, client, "ada@example.com")
    weak = await confirm(client, token, "short")
    assert weak.status_code == 422
    assert (await confirm(client, token)).status_code == 204


async def test_a_reset_refuses_a_password_equal_to_the_email(
    actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    token = await reset_token(actions, client, "ada@example.com")
    response = await confirm(client, token, "ada@example.com")
    assert response.status_code == 422


async def test_a_spoofed_host_does_not_change_the_reset_link(
    app: Quart, actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    response = await request_reset(client, "ada@example.com", headers={"Host": "evil.example"})
    assert response.status_code == 202
    link = link_in(await actions.last_email_to("ada@example.com", RESET_SUBJECT))
    assert link.startswith(app.config["BASE_URL"] + "/")
    assert "evil.example" not in link


async def test_a_spoofed_forwarded_host_does_not_change_the_reset_link(
    app: Quart, actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    await request_reset(
        client, "ada@example.com",
        headers={"X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"},
    )  # fmt: skip
    link = link_in(await actions.last_email_to("ada@example.com", RESET_SUBJECT))
    assert link.startswith(app.config["BASE_URL"] + "/")
    assert "evil.example" not in link


async def test_a_spoofed_host_does_not_change_the_verification_link(
    app: Quart, actions: AccountActions, client: Client
) -> None:
    await client.post(
        "/api/v1/account",
        json={"username": "ada", "email": "ada@example.com", "password": PASSWORD},
        headers={"Host": "evil.example"},
    )
    link = link_in(await actions.last_email_to("ada@example.com"))
    assert link.startswith(app.config["BASE_URL"] + "/")
    assert "evil.example" not in link
