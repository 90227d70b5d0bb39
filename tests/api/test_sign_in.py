"""Signing in and out with the session cookie, and the account's list of sessions."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
import time_machine
from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_app.models import utcnow
from tests.api.helpers import (
    PASSWORD,
    AccountActions,
    assert_same_answer,
    cookie_value,
    error_code,
)

pytestmark = pytest.mark.integration


async def test_sign_in_returns_the_account_and_sets_the_session_cookie(
    actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    response = await actions.sign_in(client, "ada")
    assert response.status_code == 200
    assert (await response.get_json())["username"] == "ada"
    assert cookie_value(client, actions.cookie_name)
    assert (await client.get("/api/v1/account")).status_code == 200


async def test_sign_in_accepts_the_email_address_in_any_case(
    actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    response = await actions.sign_in_with_page(client, "  ADA@Example.com ")
    assert response.status_code == 302
    assert (await (await client.get("/api/v1/account")).get_json())["username"] == "ada"


async def test_a_wrong_password_is_401_and_sets_no_cookie(
    actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    response = await actions.sign_in(client, "ada", "not the password at all")
    assert response.status_code == 401
    assert await error_code(response) == "INVALID_CREDENTIALS"
    assert cookie_value(client, actions.cookie_name) is None


async def test_unknown_user_and_wrong_password_get_identical_answers(
    actions: AccountActions,
) -> None:
    await actions.sign_up(actions.new_client(), "ada")
    unknown = await actions.sign_in(actions.new_client(), "nobody", PASSWORD)
    wrong = await actions.sign_in(actions.new_client(), "ada", "not the password at all")
    assert unknown.status_code == 401
    await assert_same_answer(unknown, wrong)


@pytest.mark.real_password_hashing  # the time of a real hash check, not of a cheap one
async def test_an_unknown_user_takes_about_as_long_as_a_wrong_password(
    actions: AccountActions,
) -> None:
    """The dummy hash check: without it an unknown login answers many times faster."""
    await actions.sign_up(actions.new_client(), "ada")

    async def seconds_for(login: str) -> float:
        samples = []
        for _ in range(3):
            start = time.perf_counter()
            await actions.sign_in(actions.new_client(), login, "not the password at all")
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    wrong, unknown = await seconds_for("ada"), await seconds_for("nobody")
    assert unknown > 0.3 * wrong, f"unknown user {unknown:.4f}s vs wrong password {wrong:.4f}s"


async def test_anonymous_account_request_is_401_with_a_bearer_challenge(client: Client) -> None:
    response = await client.get("/api/v1/account")
    assert response.status_code == 401
    assert await error_code(response) == "AUTHENTICATION_REQUIRED"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_sign_out_clears_the_cookie(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    response = await who.client.delete("/api/v1/session", headers=who.csrf)
    assert response.status_code == 204
    assert cookie_value(who.client, actions.cookie_name) is None
    assert (await who.client.get("/api/v1/account")).status_code == 401


async def test_the_old_cookie_is_rejected_after_sign_out(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    saved = cookie_value(who.client, actions.cookie_name)
    assert saved
    assert (await who.client.delete("/api/v1/session", headers=who.csrf)).status_code == 204
    replay = actions.new_client()
    replay.set_cookie("localhost", actions.cookie_name, saved)
    response = await replay.get("/api/v1/account")
    assert response.status_code == 401
    assert await error_code(response) == "AUTHENTICATION_REQUIRED"


async def test_a_rejected_cookie_is_cleared_from_the_browser(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    saved = cookie_value(who.client, actions.cookie_name)
    assert saved
    await who.client.delete("/api/v1/session", headers=who.csrf)
    replay = actions.new_client()
    replay.set_cookie("localhost", actions.cookie_name, saved)
    response = await replay.get("/api/v1/account")
    set_cookie = response.headers.get("Set-Cookie", "")
    assert set_cookie.startswith(f"{actions.cookie_name}=;")
    assert cookie_value(replay, actions.cookie_name) is None


async def test_sessions_lists_each_signed_in_browser_and_marks_this_one(
    actions: AccountActions,
) -> None:
    who = await actions.signed_in("ada")
    await actions.another_session(who)
    response = await who.client.get("/api/v1/sessions")
    assert response.status_code == 200
    sessions = (await response.get_json())["sessions"]
    assert len(sessions) == 2
    assert sorted(s["current"] for s in sessions) == [False, True]


async def test_revoking_another_of_my_sessions_signs_that_browser_out(
    actions: AccountActions,
) -> None:
    who = await actions.signed_in("ada")
    other = await actions.another_session(who)
    sessions = (await (await who.client.get("/api/v1/sessions")).get_json())["sessions"]
    other_id = next(s["id"] for s in sessions if not s["current"])
    response = await who.client.delete(f"/api/v1/sessions/{other_id}", headers=who.csrf)
    assert response.status_code == 204
    assert (await other.client.get("/api/v1/account")).status_code == 401
    assert (await who.client.get("/api/v1/account")).status_code == 200


async def test_revoking_someone_elses_session_is_404_and_leaves_it_alive(
    actions: AccountActions,
) -> None:
    ada = await actions.signed_in("ada")
    grace = await actions.signed_in("grace")
    sessions = (await (await grace.client.get("/api/v1/sessions")).get_json())["sessions"]
    response = await ada.client.delete(f"/api/v1/sessions/{sessions[0]['id']}", headers=ada.csrf)
    assert response.status_code == 404
    assert (await grace.client.get("/api/v1/account")).status_code == 200


async def test_a_session_records_the_peer_address_not_x_forwarded_for(
    actions: AccountActions, client: Client
) -> None:
    await actions.sign_up(client, "ada")
    await actions.sign_in_with_page(
        client, "ada", headers={"X-Forwarded-For": "203.0.113.9"},
        scope_base={"client": ("192.0.2.7", 4321)},
    )  # fmt: skip
    sessions = (await (await client.get("/api/v1/sessions")).get_json())["sessions"]
    assert [s["ip_address"] for s in sessions] == ["192.0.2.7"]


def later(seconds: int) -> time_machine.travel:
    return time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=False)


async def test_a_session_ends_after_the_idle_limit(app: Quart, actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    with later(app.config["SESSION_IDLE_TIMEOUT_SECONDS"] + 1):
        response = await who.client.get("/api/v1/account")
    assert response.status_code == 401


async def test_a_session_read_just_before_ends_at_the_idle_limit(
    app: Quart, actions: AccountActions
) -> None:
    """A worker may remember the session's row between requests (Reader.remembered): the
    limits are still checked on every request."""
    who = await actions.signed_in("ada")
    for _ in range(2):  # the second writes nothing (touched a moment ago): its read is kept
        assert (await who.client.get("/api/v1/account")).status_code == 200
    with later(app.config["SESSION_IDLE_TIMEOUT_SECONDS"] + 1):
        response = await who.client.get("/api/v1/account")
    assert response.status_code == 401


async def test_activity_keeps_a_session_alive_past_the_idle_limit(
    app: Quart, actions: AccountActions
) -> None:
    who = await actions.signed_in("ada")
    almost_idle = app.config["SESSION_IDLE_TIMEOUT_SECONDS"] - 60
    with later(almost_idle):
        assert (await who.client.get("/api/v1/account")).status_code == 200
    with later(2 * almost_idle):
        assert (await who.client.get("/api/v1/account")).status_code == 200


async def test_a_session_ends_after_the_absolute_limit_despite_activity(
    app: Quart, actions: AccountActions
) -> None:
    who = await actions.signed_in("ada")
    step = app.config["SESSION_IDLE_TIMEOUT_SECONDS"] // 2
    absolute = app.config["SESSION_ABSOLUTE_TIMEOUT_SECONDS"]
    for seconds in range(step, absolute, step):
        with later(seconds):
            assert (await who.client.get("/api/v1/account")).status_code == 200, seconds
    with later(absolute + 1):
        response = await who.client.get("/api/v1/account")
    assert response.status_code == 401
