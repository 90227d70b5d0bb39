"""Proving an address and recovering or changing credentials, through single-use email links."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import User, utcnow
from quart_app.security.passwords import check_password, hash_password, password_problems
from quart_app.services import notices
from quart_app.services.accounts import email_problem, normalise_email
from quart_app.services.errors import InvalidInputError, InvalidTokenError
from quart_app.services.notices import EmailMessage
from quart_app.services.one_time_tokens import (
    CHANGE_EMAIL,
    RESET_PASSWORD,
    VERIFY_EMAIL,
    consume_token,
    find_token,
    issue_token,
)
from quart_app.services.sessions import revoke_sessions


async def request_verification(
    session: AsyncSession, user: User, *, base_url: str, ttl: int
) -> list[EmailMessage]:
    """A fresh verification link for an unverified account; nothing for a verified one."""
    if user.email_verified_at is not None:
        return []
    token = await issue_token(session, user, VERIFY_EMAIL, ttl_seconds=ttl)
    url = notices.link(base_url, "/verify-email", token=token)
    return [notices.verify_email(user.email, user.username, url)]


async def verify_email(session: AsyncSession, token: str) -> User:
    consumed = await consume_token(session, token, VERIFY_EMAIL)
    user = await session.get_one(User, consumed.user_id)
    user.email_verified_at = user.email_verified_at or utcnow()
    return user


async def request_password_reset(
    session: AsyncSession, *, email: str, base_url: str, ttl: int
) -> list[EmailMessage]:
    """A reset link for a known, enabled address; nothing otherwise (the answer is the same)."""
    user = await session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or user.disabled_at is not None:
        return []
    token = await issue_token(session, user, RESET_PASSWORD, ttl_seconds=ttl)
    return [
        notices.reset_password(user.email, notices.link(base_url, "/reset-password", token=token))
    ]


async def reset_password(
    session: AsyncSession, *, token: str, new_password: str, base_url: str
) -> list[EmailMessage]:
    """Set a new password from a reset link. Signs every session out and signs nobody in."""
    # Check the password before using the link up: a rejected password must leave it working.
    user = await session.get_one(User, (await find_token(session, token, RESET_PASSWORD)).user_id)
    problems = password_problems(new_password, username=user.username, email=user.email)
    if problems:
        raise InvalidInputError.field("password", problems[0])
    await consume_token(session, token, RESET_PASSWORD)
    if user.disabled_at is not None:
        raise InvalidTokenError("This link is not valid any more: it was used already or expired.")
    return await _set_password(session, user, new_password, keep_session=None, base_url=base_url)


async def change_password(
    session: AsyncSession,
    user: User,
    *,
    current_password: str,
    new_password: str,
    keep_session: int | None,
    base_url: str,
) -> list[EmailMessage]:
    """Change a password knowing the current one; other sessions are signed out."""
    if not (await check_password(user.password_hash, current_password)).valid:
        raise InvalidInputError.field("current_password", "The current password is not correct.")
    problems = password_problems(new_password, username=user.username, email=user.email)
    if problems:
        raise InvalidInputError.field("new_password", problems[0])
    return await _set_password(
        session, user, new_password, keep_session=keep_session, base_url=base_url
    )


async def _set_password(
    session: AsyncSession, user: User, password: str, *, keep_session: int | None, base_url: str
) -> list[EmailMessage]:
    user.password_hash = await hash_password(password)
    await revoke_sessions(session, user, keep=keep_session)
    await session.flush()
    return [notices.password_changed(user.email, base_url)]


async def request_email_change(
    session: AsyncSession, user: User, *, password: str, new_email: str, base_url: str, ttl: int
) -> list[EmailMessage]:
    """Send a confirmation link to the new address; the old one is told about the request."""
    if not (await check_password(user.password_hash, password)).valid:
        raise InvalidInputError.field("password", "The password is not correct.")
    new_email = normalise_email(new_email)
    problem = email_problem(new_email)
    if problem:
        raise InvalidInputError.field("email", problem)
    if new_email == user.email:
        raise InvalidInputError.field("email", "That is already your address.")
    owner = await session.scalar(select(User).where(User.email == new_email))
    if owner is not None:  # tell its owner, not the requester: no enumeration
        return [notices.account_exists(new_email, base_url)]
    token = await issue_token(
        session, user, CHANGE_EMAIL, ttl_seconds=ttl, data={"email": new_email}
    )
    url = notices.link(base_url, "/confirm-email", token=token)
    return [
        notices.confirm_new_email(new_email, url),
        notices.email_change_requested(user.email, new_email),
    ]


async def confirm_email_change(session: AsyncSession, token: str) -> User:
    consumed = await consume_token(session, token, CHANGE_EMAIL)
    new_email = str(consumed.data["email"])
    if await session.scalar(select(User.id).where(User.email == new_email)) is not None:
        raise InvalidTokenError("That address now belongs to another account.")
    user = await session.get_one(User, consumed.user_id)
    user.email, user.email_verified_at = new_email, utcnow()
    await session.flush()
    return user
