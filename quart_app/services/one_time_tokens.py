"""Single-use, expiring tokens for email links (verify an address, reset a password)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import OneTimeToken, User, utcnow
from quart_app.security.tokens import new_token, token_hash
from quart_app.services.errors import InvalidTokenError

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose name, not a password)
CHANGE_EMAIL = "change_email"
INVALID_LINK = "This link is not valid any more: it was used already or expired."


async def issue_token(
    session: AsyncSession,
    user: User,
    purpose: str,
    *,
    ttl_seconds: int,
    data: dict[str, Any] | None = None,
) -> str:
    """A new token for ``purpose``; earlier unused ones for the same purpose stop working."""
    await session.execute(
        delete(OneTimeToken).where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
    )
    token = new_token()
    session.add(
        OneTimeToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(token),
            data=data or {},
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    await session.flush()
    return token


async def find_token(session: AsyncSession, token: str, purpose: str) -> OneTimeToken:
    """The live token, without using it up (``consume_token`` does that, atomically)."""
    found = await session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == token_hash(token),
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > utcnow(),
        )
    )
    if found is None:
        raise InvalidTokenError(INVALID_LINK)
    return found


async def consume_token(session: AsyncSession, token: str, purpose: str) -> OneTimeToken:
    """Mark the token used and return it; fails when unknown, used, expired or for another purpose.

    One conditional UPDATE, so two concurrent uses cannot both succeed.
    """
    now = utcnow()
    consumed: OneTimeToken | None = await session.scalar(
        update(OneTimeToken)
        .where(
            OneTimeToken.token_hash == token_hash(token),
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(OneTimeToken)
    )
    if consumed is None:
        raise InvalidTokenError(INVALID_LINK)
    return consumed
