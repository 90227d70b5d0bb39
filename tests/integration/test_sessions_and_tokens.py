"""Browser sessions, API tokens, disabling accounts: expiry, revocation, only hashes stored."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import ApiToken, TokenScope, User, UserSession, utcnow
from quart_app.services.accounts import authenticate, create_user
from quart_app.services.admin import set_user_disabled
from quart_app.services.api_tokens import (
    create_api_token,
    find_bearer,
    list_api_tokens,
    revoke_api_token,
)
from quart_app.services.errors import ForbiddenError, InvalidInputError, NotFoundError
from quart_app.services.sessions import (
    find_active_session,
    list_sessions,
    revoke_session,
    start_session,
    touch_session,
)
from tests.factories import run_sync_read

pytestmark = pytest.mark.integration

PASSWORD = "a fine passphrase"
IDLE_TTL = 3 * 24 * 3600
ABSOLUTE_TTL = 30 * 24 * 3600


async def make_user(session: AsyncSession, name: str, *, is_admin: bool = False) -> User:
    return await create_user(
        session, username=name, email=f"{name}@example.com", password=PASSWORD, is_admin=is_admin
    )


def later(seconds: int) -> time_machine.travel:
    return time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=False)


async def sign_in(session: AsyncSession, user: User, ttl: int = ABSOLUTE_TTL) -> str:
    return (await start_session(session, user, absolute_ttl_seconds=ttl))[1]


async def signed_in_as(session: AsyncSession, cookie: str) -> int | None:
    """The id of the user the cookie signs in, if any."""
    active = await run_sync_read(session, find_active_session, cookie, idle_ttl_seconds=IDLE_TTL)
    return active.user.id if active else None


async def new_token(
    session: AsyncSession, user: User, *, expires_in: int | None = None
) -> tuple[ApiToken, str]:
    expires_at = utcnow() + timedelta(seconds=expires_in) if expires_in is not None else None
    return await create_api_token(
        session, user, name="deploy script", scope=TokenScope.READ, expires_at=expires_at
    )


async def bearer_of(session: AsyncSession, secret: str) -> int | None:
    """The id of the user the token belongs to, if it is live."""
    bearer = await run_sync_read(session, find_bearer, secret)
    return bearer.user.id if bearer else None


async def row_values(session: AsyncSession, table: type[ApiToken | UserSession]) -> list[str]:
    rows = (await session.execute(select(table.__table__))).all()
    return [str(value) for row in rows for value in row]


# Browser sessions


async def test_a_new_session_is_found_by_its_cookie_token(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    record, cookie = await start_session(
        session, ada, absolute_ttl_seconds=ABSOLUTE_TTL, user_agent="Firefox", ip_address="::1"
    )

    active = await run_sync_read(session, find_active_session, cookie, idle_ttl_seconds=IDLE_TTL)

    assert active is not None
    assert (active.record.id, active.user.id) == (record.id, ada.id)
    assert (active.record.user_agent, active.record.ip_address) == ("Firefox", "::1")


async def test_the_session_cookie_token_is_stored_only_as_its_hash(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    record, cookie = await start_session(session, ada, absolute_ttl_seconds=ABSOLUTE_TTL)

    assert record.token_hash == hashlib.sha256(cookie.encode()).hexdigest()
    assert not any(cookie in value for value in await row_values(session, UserSession))


async def test_an_unknown_cookie_token_finds_no_session(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    await sign_in(session, ada)
    assert await signed_in_as(session, "not-a-session-token") is None


async def test_a_session_survives_until_just_before_the_idle_timeout(
    session: AsyncSession,
) -> None:
    ada = await make_user(session, "ada")
    cookie = await sign_in(session, ada)
    with later(IDLE_TTL - 60):
        assert await signed_in_as(session, cookie) == ada.id


async def test_a_session_idle_for_longer_than_the_idle_timeout_ends(
    session: AsyncSession,
) -> None:
    ada = await make_user(session, "ada")
    cookie = await sign_in(session, ada)
    with later(IDLE_TTL + 1):
        assert await signed_in_as(session, cookie) is None


async def test_activity_keeps_a_session_alive_past_the_idle_timeout(
    session: AsyncSession,
) -> None:
    ada = await make_user(session, "ada")
    record, cookie = await start_session(session, ada, absolute_ttl_seconds=ABSOLUTE_TTL)
    with later(IDLE_TTL - 60):
        await touch_session(session, record.id)
    with later(IDLE_TTL + 60):
        assert await signed_in_as(session, cookie) == ada.id
    with later(2 * IDLE_TTL):
        assert await signed_in_as(session, cookie) is None


async def test_a_session_ends_at_its_absolute_expiry_however_active(
    session: AsyncSession,
) -> None:
    ada = await make_user(session, "ada")
    absolute_ttl = 2 * 3600
    record, cookie = await start_session(session, ada, absolute_ttl_seconds=absolute_ttl)
    with later(absolute_ttl - 60):
        await touch_session(session, record.id)
        assert await signed_in_as(session, cookie) == ada.id
    with later(absolute_ttl + 1):
        assert await signed_in_as(session, cookie) is None


async def test_a_disabled_users_session_is_not_found(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    cookie = await sign_in(session, ada)
    ada.disabled_at = utcnow()
    await session.flush()
    assert await signed_in_as(session, cookie) is None


async def test_a_user_can_revoke_their_own_session(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    record, cookie = await start_session(session, ada, absolute_ttl_seconds=ABSOLUTE_TTL)
    kept = await sign_in(session, ada)

    assert await revoke_session(session, ada, record.id) is True

    assert await signed_in_as(session, cookie) is None
    assert await signed_in_as(session, kept) == ada.id
    assert await revoke_session(session, ada, record.id) is False


async def test_a_user_cannot_revoke_another_users_session(session: AsyncSession) -> None:
    ada, bob = await make_user(session, "ada"), await make_user(session, "bob")
    bobs_record, bobs_cookie = await start_session(session, bob, absolute_ttl_seconds=ABSOLUTE_TTL)

    assert await revoke_session(session, ada, bobs_record.id) is False

    assert await signed_in_as(session, bobs_cookie) == bob.id
    assert await session.scalar(select(func.count()).select_from(UserSession)) == 1


async def test_list_sessions_shows_only_the_users_unexpired_sessions(
    session: AsyncSession,
) -> None:
    ada, bob = await make_user(session, "ada"), await make_user(session, "bob")
    short, _ = await start_session(session, ada, absolute_ttl_seconds=3600)
    long, _ = await start_session(session, ada, absolute_ttl_seconds=ABSOLUTE_TTL)
    await sign_in(session, bob)

    assert {record.id for record in await list_sessions(session, ada)} == {short.id, long.id}
    with later(3600 + 1):
        assert [record.id for record in await list_sessions(session, ada)] == [long.id]


# API tokens


async def test_an_api_token_secret_starts_with_qat(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    token, secret = await new_token(session, ada)

    assert secret.startswith("qat_")
    assert len(secret) > 40
    assert token.prefix == secret[:8]


async def test_only_the_sha256_of_an_api_token_is_stored(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    token, secret = await new_token(session, ada)
    await session.flush()

    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    values = await row_values(session, ApiToken)
    assert token.token_hash in values
    assert not any(secret in value for value in values)


async def test_each_api_token_secret_is_different(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    secrets = {(await new_token(session, ada))[1] for _ in range(3)}
    assert len(secrets) == 3


async def test_find_bearer_finds_the_owner_of_a_live_token(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    token, secret = await new_token(session, ada)

    bearer = await run_sync_read(session, find_bearer, secret)

    assert bearer is not None
    assert (bearer.token.id, bearer.user.id) == (token.id, ada.id)
    assert await bearer_of(session, secret + "x") is None
    assert await bearer_of(session, "qat_not-a-token") is None


async def test_find_bearer_rejects_a_revoked_token(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    token, secret = await new_token(session, ada)
    assert await revoke_api_token(session, ada, token.id) is True
    assert await bearer_of(session, secret) is None


async def test_find_bearer_rejects_an_expired_token(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    _, secret = await new_token(session, ada, expires_in=3600)
    with later(3600 - 60):
        assert await bearer_of(session, secret) == ada.id
    with later(3600 + 1):
        assert await bearer_of(session, secret) is None


async def test_a_token_without_expiry_keeps_working(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    _, secret = await new_token(session, ada)
    with later(10 * 365 * 24 * 3600):
        assert await bearer_of(session, secret) == ada.id


async def test_find_bearer_rejects_a_disabled_users_token(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    _, secret = await new_token(session, ada)
    ada.disabled_at = utcnow()
    await session.flush()
    assert await bearer_of(session, secret) is None


@pytest.mark.parametrize("expires_in", [-3600, 0])
async def test_an_api_token_cannot_expire_in_the_past(
    session: AsyncSession, expires_in: int
) -> None:
    ada = await make_user(session, "ada")
    with time_machine.travel(utcnow(), tick=False), pytest.raises(InvalidInputError) as raised:
        await new_token(session, ada, expires_in=expires_in)
    assert [detail["field"] for detail in raised.value.details] == ["expires_at"]
    assert await list_api_tokens(session, ada) == []


@pytest.mark.parametrize("name", ["", "   ", "n" * 101])
async def test_an_api_token_needs_a_name_of_1_to_100_characters(
    session: AsyncSession, name: str
) -> None:
    ada = await make_user(session, "ada")
    with pytest.raises(InvalidInputError) as raised:
        await create_api_token(session, ada, name=name, scope=TokenScope.READ, expires_at=None)
    assert [detail["field"] for detail in raised.value.details] == ["name"]


async def test_only_the_owner_can_revoke_an_api_token(session: AsyncSession) -> None:
    ada, bob = await make_user(session, "ada"), await make_user(session, "bob")
    token, secret = await new_token(session, ada)

    assert await revoke_api_token(session, bob, token.id) is False
    assert await bearer_of(session, secret) == ada.id

    assert await revoke_api_token(session, ada, token.id) is True
    assert await bearer_of(session, secret) is None
    assert await revoke_api_token(session, ada, token.id) is False


async def test_list_api_tokens_shows_only_the_users_live_tokens(session: AsyncSession) -> None:
    ada, bob = await make_user(session, "ada"), await make_user(session, "bob")
    revoked, _ = await new_token(session, ada)
    kept, _ = await new_token(session, ada)
    await new_token(session, bob)
    await revoke_api_token(session, ada, revoked.id)

    assert [token.id for token in await list_api_tokens(session, ada)] == [kept.id]


# Disabling accounts


async def test_disabling_a_user_revokes_their_sessions_and_tokens(session: AsyncSession) -> None:
    admin, ada = await make_user(session, "root1", is_admin=True), await make_user(session, "ada")
    cookie = await sign_in(session, ada)
    _, secret = await new_token(session, ada)

    user = await set_user_disabled(session, admin, ada.id, disabled=True)

    assert user is ada
    assert ada.disabled_at is not None
    assert await authenticate(session, login="ada", password=PASSWORD) is None
    assert await list_sessions(session, ada) == []
    assert await list_api_tokens(session, ada) == []

    await set_user_disabled(session, admin, ada.id, disabled=False)

    assert ada.disabled_at is None
    assert await authenticate(session, login="ada", password=PASSWORD) is ada
    assert await signed_in_as(session, cookie) is None
    assert await bearer_of(session, secret) is None


async def test_disabling_a_user_leaves_other_users_signed_in(session: AsyncSession) -> None:
    admin, ada = await make_user(session, "root1", is_admin=True), await make_user(session, "ada")
    bob = await make_user(session, "bob")
    cookie = await sign_in(session, bob)
    _, secret = await new_token(session, bob)

    await set_user_disabled(session, admin, ada.id, disabled=True)

    assert await signed_in_as(session, cookie) == bob.id
    assert await bearer_of(session, secret) == bob.id


async def test_an_admin_cannot_disable_themselves(session: AsyncSession) -> None:
    admin = await make_user(session, "root1", is_admin=True)
    cookie = await sign_in(session, admin)

    with pytest.raises(ForbiddenError):
        await set_user_disabled(session, admin, admin.id, disabled=True)

    assert admin.disabled_at is None
    assert await signed_in_as(session, cookie) == admin.id


async def test_a_non_admin_cannot_disable_anyone(session: AsyncSession) -> None:
    ada, bob = await make_user(session, "ada"), await make_user(session, "bob")
    cookie = await sign_in(session, bob)

    with pytest.raises(ForbiddenError):
        await set_user_disabled(session, ada, bob.id, disabled=True)

    assert bob.disabled_at is None
    assert await signed_in_as(session, cookie) == bob.id


async def test_disabling_an_unknown_user_is_not_found(session: AsyncSession) -> None:
    admin, gone = await make_user(session, "root1", is_admin=True), await make_user(session, "gone")
    gone_id = gone.id
    await session.delete(gone)
    await session.flush()

    with pytest.raises(NotFoundError):
        await set_user_disabled(session, admin, gone_id, disabled=True)
