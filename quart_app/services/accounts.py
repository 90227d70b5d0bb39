"""Accounts: creating users."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import User, utcnow
from quart_app.security.passwords import hash_password


class AccountExistsError(ValueError):
    """The username or email is taken."""


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    is_admin: bool = False,
    verified: bool = False,
) -> User:
    username, email = username.strip().lower(), email.strip().lower()
    taken = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(or_(User.username == username, User.email == email))
    )
    if taken:
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


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username.strip().lower()))
