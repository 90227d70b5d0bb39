"""Accounts: sign-up (without revealing who is registered), sign-in, profile, deletion."""

from __future__ import annotations

import re

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import Membership, Role, User, utcnow
from quart_app.security.passwords import (
    check_password,
    hash_password,
    password_problems,
    spend_time_like_a_verification,
)
from quart_app.services import notices
from quart_app.services.errors import ConflictError, InvalidInputError
from quart_app.services.notices import EmailMessage
from quart_app.services.one_time_tokens import VERIFY_EMAIL, issue_token

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{1,38}[a-z0-9]")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
RESERVED_USERNAMES = frozenset({"admin", "api", "me", "new", "none", "root", "settings", "system"})


class AccountExistsError(ValueError):
    """The username or email is taken (for the CLI; the sign-up form never says so)."""


def normalise_username(username: str) -> str:
    return username.strip().lower()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def username_problem(username: str) -> str | None:
    if not USERNAME_PATTERN.fullmatch(username):
        return (
            "Use 3 to 40 lowercase letters, digits, '-' or '_', "
            "starting and ending with a letter or digit."
        )
    if username in RESERVED_USERNAMES:
        return "This username is reserved."
    return None


def email_problem(email: str) -> str | None:
    if len(email) > 320 or not EMAIL_PATTERN.fullmatch(email):
        return "Enter an email address like name@example.com."
    return None


def validate_new_account(username: str, email: str, password: str) -> None:
    details = [
        {"field": name, "message": message}
        for name, message in [
            ("username", username_problem(username)),
            ("email", email_problem(email)),
            *(("password", p) for p in password_problems(password, username=username, email=email)),
        ]
        if message
    ]
    if details:
        raise InvalidInputError("Some fields need another look.", details)


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    is_admin: bool = False,
    verified: bool = False,
) -> User:
    """Create an account directly (CLI, seeding, tests); raises AccountExistsError when taken."""
    username, email = normalise_username(username), normalise_email(email)
    validate_new_account(username, email, password)
    if await find_by_username_or_email(session, username, email):
        raise AccountExistsError("that username or email is already registered")
    user = User(
        username=username,
        email=email,
        password_hash=await hash_password(password),
        is_admin=is_admin,
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    await session.flush()
    return user


async def sign_up(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    base_url: str,
    verify_ttl: int,
) -> list[EmailMessage]:
    """Register, answering the same whether or not the name or address is taken.

    The emails tell the truth to the address owner only: a verification link, or a notice that
    the address already has an account, or that the username is taken.
    """
    username, email = normalise_username(username), normalise_email(email)
    validate_new_account(username, email, password)
    password_hash = await hash_password(password)  # always, so a duplicate takes as long
    existing = await find_by_username_or_email(session, username, email)
    if existing is None:
        try:
            async with session.begin_nested():
                user = User(username=username, email=email, password_hash=password_hash)
                session.add(user)
        except IntegrityError:  # registered concurrently, between our check and the insert
            existing = await find_by_username_or_email(session, username, email)
        else:
            token = await issue_token(session, user, VERIFY_EMAIL, ttl_seconds=verify_ttl)
            url = notices.link(base_url, "/verify-email", token=token)
            return [notices.verify_email(email, username, url)]
    # Check the address on its own: the username may belong to a different account.
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        return [notices.account_exists(email, base_url)]
    return [notices.username_taken(email, username, base_url)]


async def authenticate(session: AsyncSession, *, login: str, password: str) -> User | None:
    """The user for a username or email and password, or None; the same time either way."""
    login = login.strip().lower()
    user = await session.scalar(
        select(User).where(or_(User.username == login, User.email == login))
    )
    if user is None:
        await spend_time_like_a_verification(password)
        return None
    verification = await check_password(user.password_hash, password)
    if not verification.valid or user.disabled_at is not None:
        return None
    if verification.new_hash:  # hashed with weaker parameters than today's: upgrade it
        user.password_hash = verification.new_hash
    return user


async def find_by_username_or_email(
    session: AsyncSession, username: str, email: str
) -> User | None:
    return await session.scalar(
        select(User).where(or_(User.username == username, User.email == email)).limit(1)
    )


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == normalise_username(username)))


async def update_profile(session: AsyncSession, user: User, *, display_name: str) -> User:
    display_name = display_name.strip()
    if len(display_name) > 100:
        raise InvalidInputError.field("display_name", "Use at most 100 characters.")
    user.display_name = display_name
    await session.flush()
    return user


async def delete_account(session: AsyncSession, user: User, *, password: str) -> None:
    """Delete the account; its issues and comments stay, shown as from a deleted user."""
    if not (await check_password(user.password_hash, password)).valid:
        raise InvalidInputError.field("password", "The password is not correct.")
    if await sole_owner_project_count(session, user):
        raise ConflictError(
            "You are the only owner of a project: add another owner or delete the project first."
        )
    await session.delete(user)
    await session.flush()


async def sole_owner_project_count(session: AsyncSession, user: User) -> int:
    owned = select(Membership.project_id).where(
        Membership.user_id == user.id, Membership.role == Role.OWNER
    )
    other_owners = (
        select(Membership.project_id)
        .where(Membership.role == Role.OWNER, Membership.user_id != user.id)
        .where(Membership.project_id.in_(owned))
    )
    count = await session.scalar(
        select(func.count()).select_from(
            owned.where(Membership.project_id.not_in(other_owners)).subquery()
        )
    )
    return int(count or 0)
