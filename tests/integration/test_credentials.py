"""Email links: verifying an address, resetting a password, changing a password or an address."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import OneTimeToken, User, utcnow
from quart_app.security.passwords import verify_password
from quart_app.services.accounts import authenticate, create_user
from quart_app.services.credentials import (
    change_password,
    confirm_email_change,
    request_email_change,
    request_password_reset,
    request_verification,
    reset_password,
    verify_email,
)
from quart_app.services.errors import InvalidInputError, InvalidTokenError
from quart_app.services.notices import EmailMessage
from quart_app.services.one_time_tokens import CHANGE_EMAIL
from quart_app.services.sessions import find_active_session, start_session
from tests.factories import run_sync_read

pytestmark = pytest.mark.integration

PASSWORD = "a fine passphrase"
NEW_PASSWORD = "an even finer passphrase"
BASE_URL = "https://tracker.example"
VERIFY_TTL = 48 * 3600
RESET_TTL = 3600
CHANGE_TTL = 48 * 3600
SESSION_TTL = 30 * 24 * 3600
IDLE_TTL = 3 * 24 * 3600


async def make_user(session: AsyncSession, name: str = "ada", *, verified: bool = False) -> User:
    return await create_user(
        session, username=name, email=f"{name}@example.com", password=PASSWORD, verified=verified
    )


def token_in(message: EmailMessage) -> str:
    urls: list[str] = re.findall(r"https?://\S+token=\S+", message.body)
    assert len(urls) == 1, urls
    return parse_qs(urlsplit(urls[0]).query)["token"][0]


def later(seconds: int) -> time_machine.travel:
    return time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=False)


async def reset_link(session: AsyncSession, email: str = "ada@example.com") -> str:
    [message] = await request_password_reset(session, email=email, base_url=BASE_URL, ttl=RESET_TTL)
    return token_in(message)


async def reset(session: AsyncSession, token: str, new_password: str = NEW_PASSWORD) -> None:
    await reset_password(session, token=token, new_password=new_password, base_url=BASE_URL)


async def signed_in(session: AsyncSession, cookie: str) -> bool:
    return (
        await run_sync_read(session, find_active_session, cookie, idle_ttl_seconds=IDLE_TTL)
        is not None
    )


# Verifying an address


async def test_an_unverified_account_gets_a_verification_link(session: AsyncSession) -> None:
    ada = await make_user(session)

    [message] = await request_verification(session, ada, base_url=BASE_URL, ttl=VERIFY_TTL)

    assert (message.to, message.subject) == ("ada@example.com", "Confirm your email address")
    assert f"{BASE_URL}/verify-email?token=" in message.body


async def test_a_verified_account_gets_no_verification_email(session: AsyncSession) -> None:
    ada = await make_user(session, verified=True)
    assert await request_verification(session, ada, base_url=BASE_URL, ttl=VERIFY_TTL) == []


async def test_verify_link_works_once(session: AsyncSession) -> None:
    ada = await make_user(session)
    [message] = await request_verification(session, ada, base_url=BASE_URL, ttl=VERIFY_TTL)

    assert (await verify_email(session, token_in(message))) is ada
    assert ada.email_verified_at is not None
    with pytest.raises(InvalidTokenError):
        await verify_email(session, token_in(message))


async def test_verify_link_works_until_just_before_its_ttl(session: AsyncSession) -> None:
    ada = await make_user(session)
    [message] = await request_verification(session, ada, base_url=BASE_URL, ttl=VERIFY_TTL)

    with later(VERIFY_TTL - 60):
        await verify_email(session, token_in(message))
    assert ada.email_verified_at is not None


async def test_verify_link_expires_after_its_ttl(session: AsyncSession) -> None:
    ada = await make_user(session)
    [message] = await request_verification(session, ada, base_url=BASE_URL, ttl=VERIFY_TTL)

    with later(VERIFY_TTL + 1), pytest.raises(InvalidTokenError):
        await verify_email(session, token_in(message))
    assert ada.email_verified_at is None


async def test_a_new_verification_link_replaces_the_previous_one(session: AsyncSession) -> None:
    ada = await make_user(session)
    [first] = await request_verification(session, ada, base_url=BASE_URL, ttl=VERIFY_TTL)
    [second] = await request_verification(session, ada, base_url=BASE_URL, ttl=VERIFY_TTL)

    with pytest.raises(InvalidTokenError):
        await verify_email(session, token_in(first))
    await verify_email(session, token_in(second))
    assert ada.email_verified_at is not None


async def test_an_unknown_verification_token_is_refused(session: AsyncSession) -> None:
    await make_user(session)
    with pytest.raises(InvalidTokenError):
        await verify_email(session, "no-such-token")


async def test_a_reset_token_does_not_verify_an_address(session: AsyncSession) -> None:
    ada = await make_user(session)
    with pytest.raises(InvalidTokenError):
        await verify_email(session, await reset_link(session))
    assert ada.email_verified_at is None


# Requesting a password reset


async def test_a_reset_request_sends_a_link_to_the_account_address(session: AsyncSession) -> None:
    await make_user(session)

    [message] = await request_password_reset(
        session, email=" ADA@Example.com ", base_url=BASE_URL, ttl=RESET_TTL
    )

    assert (message.to, message.subject) == ("ada@example.com", "Reset your password")
    assert f"{BASE_URL}/reset-password?token=" in message.body


async def test_a_reset_request_for_an_unknown_address_sends_nothing(session: AsyncSession) -> None:
    await make_user(session)
    emails = await request_password_reset(
        session, email="nobody@example.com", base_url=BASE_URL, ttl=RESET_TTL
    )
    assert emails == []


async def test_a_reset_request_for_a_disabled_account_sends_nothing(session: AsyncSession) -> None:
    ada = await make_user(session)
    ada.disabled_at = utcnow()
    await session.flush()
    emails = await request_password_reset(
        session, email="ada@example.com", base_url=BASE_URL, ttl=RESET_TTL
    )
    assert emails == []


# Resetting a password


async def test_reset_link_sets_the_new_password(session: AsyncSession) -> None:
    ada = await make_user(session)
    await reset(session, await reset_link(session))

    assert await authenticate(session, login="ada", password=NEW_PASSWORD) is ada
    assert await authenticate(session, login="ada", password=PASSWORD) is None


async def test_reset_link_works_once(session: AsyncSession) -> None:
    ada = await make_user(session)
    token = await reset_link(session)
    await reset(session, token)

    with pytest.raises(InvalidTokenError):
        await reset(session, token, "a third fine passphrase")
    assert await verify_password(ada.password_hash, NEW_PASSWORD)


async def test_reset_link_works_until_just_before_the_hour_is_up(session: AsyncSession) -> None:
    ada = await make_user(session)
    token = await reset_link(session)

    with later(RESET_TTL - 60):
        await reset(session, token)
    assert await verify_password(ada.password_hash, NEW_PASSWORD)


async def test_reset_link_expires_after_an_hour(session: AsyncSession) -> None:
    ada = await make_user(session)
    token = await reset_link(session)

    with later(RESET_TTL + 1), pytest.raises(InvalidTokenError):
        await reset(session, token)
    assert await verify_password(ada.password_hash, PASSWORD)


async def test_a_rejected_new_password_does_not_use_up_the_reset_link(
    session: AsyncSession,
) -> None:
    ada = await make_user(session)
    token = await reset_link(session)

    for rejected in ["short", "password123"]:
        with pytest.raises(InvalidInputError) as raised:
            await reset(session, token, rejected)
        assert [detail["field"] for detail in raised.value.details] == ["password"]

    await reset(session, token)
    assert await verify_password(ada.password_hash, NEW_PASSWORD)


async def test_reset_signs_out_every_session(session: AsyncSession) -> None:
    ada = await make_user(session)
    cookies = [
        (await start_session(session, ada, absolute_ttl_seconds=SESSION_TTL))[1] for _ in range(2)
    ]
    assert all([await signed_in(session, cookie) for cookie in cookies])

    await reset(session, await reset_link(session))

    assert not any([await signed_in(session, cookie) for cookie in cookies])


async def test_reset_returns_a_password_changed_email(session: AsyncSession) -> None:
    await make_user(session)
    token = await reset_link(session)

    [message] = await reset_password(
        session, token=token, new_password=NEW_PASSWORD, base_url=BASE_URL
    )

    assert (message.to, message.subject) == ("ada@example.com", "Your password was changed")
    assert f"{BASE_URL}/forgot-password" in message.body


async def test_a_newer_reset_request_invalidates_the_older_link(session: AsyncSession) -> None:
    ada = await make_user(session)
    older, newer = await reset_link(session), await reset_link(session)

    with pytest.raises(InvalidTokenError):
        await reset(session, older)
    await reset(session, newer)
    assert await verify_password(ada.password_hash, NEW_PASSWORD)


async def test_a_reset_link_stops_working_once_the_account_is_disabled(
    session: AsyncSession,
) -> None:
    ada = await make_user(session)
    token = await reset_link(session)
    ada.disabled_at = utcnow()
    await session.flush()

    with pytest.raises(InvalidTokenError):
        await reset(session, token)
    assert await verify_password(ada.password_hash, PASSWORD)


async def test_a_verification_token_cannot_reset_a_password(session: AsyncSession) -> None:
    ada = await make_user(session)
    [message] = await request_verification(session, ada, base_url=BASE_URL, ttl=VERIFY_TTL)
    with pytest.raises(InvalidTokenError):
        await reset(session, token_in(message))
    assert await verify_password(ada.password_hash, PASSWORD)


@pytest.mark.parametrize("new_password", ["adalovelace", "adalovelace@example.com"])
async def test_reset_refuses_a_password_equal_to_the_username_or_email(
    session: AsyncSession, new_password: str
) -> None:
    ada = await make_user(session, "adalovelace")
    token = await reset_link(session, "adalovelace@example.com")

    with pytest.raises(InvalidInputError):
        await reset(session, token, new_password)
    assert await verify_password(ada.password_hash, PASSWORD)


# Changing a password


async def change(
    session: AsyncSession, user: User, current: str, new: str, keep: int | None = None
) -> list[EmailMessage]:
    return await change_password(
        session,
        user,
        current_password=current,
        new_password=new,
        keep_session=keep,
        base_url=BASE_URL,
    )


async def test_change_password_refuses_a_wrong_current_password(session: AsyncSession) -> None:
    ada = await make_user(session)

    with pytest.raises(InvalidInputError) as raised:
        await change(session, ada, "not the passphrase", NEW_PASSWORD)

    assert [detail["field"] for detail in raised.value.details] == ["current_password"]
    assert await verify_password(ada.password_hash, PASSWORD)


async def test_change_password_signs_out_other_sessions_but_keeps_this_one(
    session: AsyncSession,
) -> None:
    ada, bob = await make_user(session, "ada"), await make_user(session, "bob")
    this, this_cookie = await start_session(session, ada, absolute_ttl_seconds=SESSION_TTL)
    _, other_cookie = await start_session(session, ada, absolute_ttl_seconds=SESSION_TTL)
    _, bobs_cookie = await start_session(session, bob, absolute_ttl_seconds=SESSION_TTL)

    [message] = await change(session, ada, PASSWORD, NEW_PASSWORD, keep=this.id)

    assert await signed_in(session, this_cookie)
    assert not await signed_in(session, other_cookie)
    assert await signed_in(session, bobs_cookie)
    assert await verify_password(ada.password_hash, NEW_PASSWORD)
    assert (message.to, message.subject) == ("ada@example.com", "Your password was changed")


@pytest.mark.parametrize(
    "new_password", ["short", "password", "adalovelace", "adalovelace@example.com"]
)
async def test_change_password_enforces_the_policy(
    session: AsyncSession, new_password: str
) -> None:
    ada = await make_user(session, "adalovelace")

    with pytest.raises(InvalidInputError) as raised:
        await change(session, ada, PASSWORD, new_password)

    assert [detail["field"] for detail in raised.value.details] == ["new_password"]
    assert await verify_password(ada.password_hash, PASSWORD)


# Changing the email address


async def request_change(
    session: AsyncSession, user: User, new_email: str, password: str = PASSWORD
) -> list[EmailMessage]:
    return await request_email_change(
        session, user, password=password, new_email=new_email, base_url=BASE_URL, ttl=CHANGE_TTL
    )


async def change_tokens(session: AsyncSession) -> int:
    count = select(func.count()).where(OneTimeToken.purpose == CHANGE_EMAIL)
    return int(await session.scalar(count) or 0)


async def test_an_email_change_needs_the_password(session: AsyncSession) -> None:
    ada = await make_user(session)

    with pytest.raises(InvalidInputError) as raised:
        await request_change(session, ada, "new@example.com", password="not the passphrase")

    assert [detail["field"] for detail in raised.value.details] == ["password"]
    assert await change_tokens(session) == 0


async def test_an_email_change_asks_the_new_address_and_tells_the_old_one(
    session: AsyncSession,
) -> None:
    ada = await make_user(session)

    confirm, notice = await request_change(session, ada, " New@Example.com ")

    assert (confirm.to, confirm.subject) == ("new@example.com", "Confirm your new email address")
    assert f"{BASE_URL}/confirm-email?token=" in confirm.body
    assert (notice.to, notice.subject) == ("ada@example.com", "Your email address is being changed")
    assert "new@example.com" in notice.body
    assert "token=" not in notice.body
    assert ada.email == "ada@example.com"


async def test_an_email_change_to_a_taken_address_only_tells_its_owner(
    session: AsyncSession,
) -> None:
    ada = await make_user(session, "ada")
    await make_user(session, "bob")

    [message] = await request_change(session, ada, "BOB@example.com")

    assert (message.to, message.subject) == ("bob@example.com", "You already have an account")
    assert "token=" not in message.body
    assert await change_tokens(session) == 0
    assert ada.email == "ada@example.com"


@pytest.mark.parametrize("new_email", ["not-an-address", "ada@example.com", "ADA@example.com"])
async def test_an_email_change_refuses_a_bad_or_unchanged_address(
    session: AsyncSession, new_email: str
) -> None:
    ada = await make_user(session)

    with pytest.raises(InvalidInputError) as raised:
        await request_change(session, ada, new_email)

    assert [detail["field"] for detail in raised.value.details] == ["email"]
    assert await change_tokens(session) == 0


async def test_confirming_an_email_change_sets_the_address_as_verified(
    session: AsyncSession,
) -> None:
    ada = await make_user(session)
    confirm, _ = await request_change(session, ada, "new@example.com")

    user = await confirm_email_change(session, token_in(confirm))

    assert user is ada
    assert ada.email == "new@example.com"
    assert ada.email_verified_at is not None
    assert await authenticate(session, login="new@example.com", password=PASSWORD) is ada
    assert await authenticate(session, login="ada@example.com", password=PASSWORD) is None


async def test_email_change_link_works_once(session: AsyncSession) -> None:
    ada = await make_user(session)
    first, _ = await request_change(session, ada, "first@example.com")
    await confirm_email_change(session, token_in(first))
    second, _ = await request_change(session, ada, "second@example.com")
    await confirm_email_change(session, token_in(second))

    with pytest.raises(InvalidTokenError):
        await confirm_email_change(session, token_in(first))
    assert ada.email == "second@example.com"


async def test_email_change_link_expires_after_its_ttl(session: AsyncSession) -> None:
    ada = await make_user(session)
    confirm, _ = await request_change(session, ada, "new@example.com")

    with later(CHANGE_TTL + 1), pytest.raises(InvalidTokenError):
        await confirm_email_change(session, token_in(confirm))
    assert ada.email == "ada@example.com"


async def test_a_newer_email_change_request_invalidates_the_older_link(
    session: AsyncSession,
) -> None:
    ada = await make_user(session)
    first, _ = await request_change(session, ada, "first@example.com")
    second, _ = await request_change(session, ada, "second@example.com")

    with pytest.raises(InvalidTokenError):
        await confirm_email_change(session, token_in(first))
    await confirm_email_change(session, token_in(second))
    assert ada.email == "second@example.com"


async def test_an_email_change_is_refused_if_the_address_was_taken_meanwhile(
    session: AsyncSession,
) -> None:
    ada = await make_user(session, "ada")
    confirm, _ = await request_change(session, ada, "shared@example.com")
    await create_user(session, username="bob", email="shared@example.com", password=PASSWORD)

    with pytest.raises(InvalidTokenError):
        await confirm_email_change(session, token_in(confirm))
    assert ada.email == "ada@example.com"
