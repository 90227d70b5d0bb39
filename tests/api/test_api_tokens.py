"""Personal access tokens: Bearer only (never in the URL), stored hashed, scoped, revocable."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import text

from quart_app.db import Database
from quart_app.models import utcnow
from tests.api.helpers import AccountActions, bearer, error_code
from tests.api.test_query_counts import recorded_statements

pytestmark = pytest.mark.integration


async def test_a_token_authenticates_as_its_owner(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    secret = (await actions.create_token(who))["token"]
    assert secret.startswith("qat_")
    response = await actions.new_client().get("/api/v1/account", headers=bearer(secret))
    assert response.status_code == 200
    assert (await response.get_json())["username"] == "ada"


async def test_a_token_in_the_query_string_is_rejected(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    secret = (await actions.create_token(who))["token"]
    response = await actions.new_client().get(f"/api/v1/account?access_token={secret}")
    assert response.status_code == 400
    assert await error_code(response) == "TOKEN_IN_QUERY"


async def test_a_token_in_the_query_string_is_rejected_even_with_a_header(
    actions: AccountActions,
) -> None:
    who = await actions.signed_in("ada")
    secret = (await actions.create_token(who))["token"]
    response = await actions.new_client().get(
        "/api/v1/account", query_string={"api_key": secret}, headers=bearer(secret)
    )
    assert response.status_code == 400
    assert await error_code(response) == "TOKEN_IN_QUERY"


async def test_a_token_is_stored_only_hashed(actions: AccountActions, database: Database) -> None:
    who = await actions.signed_in("ada")
    secret = (await actions.create_token(who))["token"]
    async with database.read_sessions() as session:
        rows = (await session.execute(text("SELECT * FROM api_tokens"))).all()
    assert len(rows) == 1
    body = secret.removeprefix("qat_")
    for row in rows:
        for value in row:
            assert secret not in str(value)
            assert body not in str(value)


async def test_a_token_is_shown_once_and_never_listed(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    created = await actions.create_token(who)
    listed = await (await who.client.get("/api/v1/tokens")).get_json()
    assert [t["id"] for t in listed["tokens"]] == [created["id"]]
    assert created["token"] not in str(listed)
    assert "token" not in listed["tokens"][0]


async def test_the_token_list_shows_when_each_was_last_used(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    created = await actions.create_token(who)
    assert created["last_used_at"] is None
    await actions.new_client().get("/api/v1/account", headers=bearer(created["token"]))
    (listed,) = (await (await who.client.get("/api/v1/tokens")).get_json())["tokens"]
    assert listed["last_used_at"] is not None


async def test_a_revoked_token_is_401(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    created = await actions.create_token(who)
    revoked = await who.client.delete(f"/api/v1/tokens/{created['id']}", headers=who.csrf)
    assert revoked.status_code == 204
    response = await actions.new_client().get("/api/v1/account", headers=bearer(created["token"]))
    assert response.status_code == 401
    assert await error_code(response) == "INVALID_TOKEN"


async def test_revoking_someone_elses_token_is_404_and_it_keeps_working(
    actions: AccountActions,
) -> None:
    ada = await actions.signed_in("ada")
    grace = await actions.signed_in("grace")
    created = await actions.create_token(grace)
    response = await ada.client.delete(f"/api/v1/tokens/{created['id']}", headers=ada.csrf)
    assert response.status_code == 404
    still = await actions.new_client().get("/api/v1/account", headers=bearer(created["token"]))
    assert still.status_code == 200


async def test_an_expired_token_is_401(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    expires_at = (utcnow() + timedelta(hours=1)).isoformat()
    response = await who.client.post(
        "/api/v1/tokens", json={"name": "short", "expires_at": expires_at}, headers=who.csrf
    )
    assert response.status_code == 201
    secret = (await response.get_json())["token"]
    with time_machine.travel(utcnow() + timedelta(hours=1, seconds=1), tick=False):
        later = await actions.new_client().get("/api/v1/account", headers=bearer(secret))
    assert later.status_code == 401


async def test_a_token_used_just_before_is_401_once_expired(actions: AccountActions) -> None:
    """A worker may remember the token's row between requests (Reader.remembered): the expiry
    is still checked on every request."""
    who = await actions.signed_in("ada")
    expires_at = (utcnow() + timedelta(hours=1)).isoformat()
    response = await who.client.post(
        "/api/v1/tokens", json={"name": "short", "expires_at": expires_at}, headers=who.csrf
    )
    secret = (await response.get_json())["token"]
    client = actions.new_client()
    for _ in range(2):  # the second writes nothing (used a moment ago): its read is kept
        assert (await client.get("/api/v1/account", headers=bearer(secret))).status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=1, seconds=1), tick=False):
        later = await client.get("/api/v1/account", headers=bearer(secret))
    assert later.status_code == 401


async def test_a_revoked_token_is_401_at_once(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    created = await actions.create_token(who)
    client = actions.new_client()
    for _ in range(2):
        assert (
            await client.get("/api/v1/account", headers=bearer(created["token"]))
        ).status_code == 200
    revoked = await who.client.delete(f"/api/v1/tokens/{created['id']}", headers=who.csrf)
    assert revoked.status_code == 204
    response = await client.get("/api/v1/account", headers=bearer(created["token"]))
    assert response.status_code == 401


async def test_a_token_cannot_be_created_already_expired(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    expires_at = (utcnow() - timedelta(minutes=1)).isoformat()
    response = await who.client.post(
        "/api/v1/tokens", json={"name": "stale", "expires_at": expires_at}, headers=who.csrf
    )
    assert response.status_code == 422
    assert (await response.get_json())["error"]["details"][0]["field"] == "expires_at"


async def test_a_read_scope_token_cannot_write(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    secret = (await actions.create_token(who, scope="read"))["token"]
    client = actions.new_client()
    assert (await client.get("/api/v1/account", headers=bearer(secret))).status_code == 200
    response = await client.patch(
        "/api/v1/account", json={"display_name": "changed"}, headers=bearer(secret)
    )
    assert response.status_code == 403
    assert await error_code(response) == "INSUFFICIENT_SCOPE"
    account = await (await who.client.get("/api/v1/account")).get_json()
    assert account["display_name"] == ""


async def test_a_read_scope_token_cannot_post(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    secret = (await actions.create_token(who, scope="read"))["token"]
    response = await actions.new_client().post(
        "/api/v1/tokens", json={"name": "escalate", "scope": "read_write"}, headers=bearer(secret)
    )
    assert response.status_code == 403
    assert await error_code(response) == "INSUFFICIENT_SCOPE"
    assert len((await (await who.client.get("/api/v1/tokens")).get_json())["tokens"]) == 1


async def test_a_bearer_write_needs_no_csrf_token(actions: AccountActions) -> None:
    who = await actions.signed_in("ada")
    secret = (await actions.create_token(who))["token"]
    response = await actions.new_client().patch(
        "/api/v1/account", json={"display_name": "From a script"}, headers=bearer(secret)
    )
    assert response.status_code == 200
    assert (await response.get_json())["display_name"] == "From a script"


async def test_a_bearer_write_from_a_client_with_cookies_needs_no_csrf_token(
    actions: AccountActions,
) -> None:
    who = await actions.signed_in("ada")
    secret = (await actions.create_token(who))["token"]
    response = await who.client.patch(
        "/api/v1/account", json={"display_name": "Bearer wins"}, headers=bearer(secret)
    )
    assert response.status_code == 200


async def test_an_unknown_bearer_token_is_401(actions: AccountActions) -> None:
    response = await actions.new_client().get(
        "/api/v1/account", headers=bearer("qat_not-a-real-token")
    )
    assert response.status_code == 401
    assert await error_code(response) == "INVALID_TOKEN"


async def test_a_non_bearer_authorization_header_is_401(actions: AccountActions) -> None:
    response = await actions.new_client().get(
        "/api/v1/account", headers={"Authorization": "Basic YWRhOnBhc3N3b3Jk"}
    )
    assert response.status_code == 401
    assert await error_code(response) == "INVALID_AUTHORIZATION"


async def test_concurrent_requests_record_a_token_use_once(
    actions: AccountActions, database: Database
) -> None:
    """Every request that reads the token before the first touch commits sees it unused: one
    of them writes its use, not each (32 writes at once under load, on the hot path). The
    requests interleave on PostgreSQL's driver; on SQLite each touch commits before the next
    request reads, so there this holds with or without the claim."""
    who = await actions.signed_in("ada")
    secret = (await actions.create_token(who))["token"]
    client = actions.new_client()
    with recorded_statements(database) as statements:
        responses = await asyncio.gather(
            *(client.get("/api/v1/account", headers=bearer(secret)) for _ in range(8))
        )
    assert [response.status_code for response in responses] == [200] * 8
    assert len([sql for sql in statements if sql.startswith("UPDATE api_tokens")]) == 1
    a_minute_later = time_machine.travel(utcnow() + timedelta(minutes=1, seconds=1), tick=False)
    with a_minute_later, recorded_statements(database) as statements:
        assert (await client.get("/api/v1/account", headers=bearer(secret))).status_code == 200
    assert len([sql for sql in statements if sql.startswith("UPDATE api_tokens")]) == 1


async def test_concurrent_page_views_record_a_sessions_use_once(
    actions: AccountActions, database: Database
) -> None:
    who = await actions.signed_in("ada")
    for minutes in (2, 4):  # a session is touched when its last use is a minute old or more
        later = time_machine.travel(utcnow() + timedelta(minutes=minutes), tick=False)
        with later, recorded_statements(database) as statements:
            responses = await asyncio.gather(*(who.client.get("/api/v1/account") for _ in range(8)))
        assert [response.status_code for response in responses] == [200] * 8
        assert len([sql for sql in statements if sql.startswith("UPDATE user_sessions")]) == 1
