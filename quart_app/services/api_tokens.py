"""Personal access tokens for scripts: ``Authorization: Bearer qat_...``; stored only as hashes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import ApiToken, TokenScope, User, utcnow
from quart_app.models.rows import Columns
from quart_app.reads import Query, Reader
from quart_app.security.tokens import new_token, token_hash
from quart_app.services.errors import InvalidInputError

TOKEN_PREFIX = "qat_"  # recognisable in logs and by secret scanners  # noqa: S105
TOUCH_INTERVAL = timedelta(seconds=60)
MAXIMUM_TOKENS_PER_USER = 100


@dataclass(frozen=True)
class Bearer:
    token: ApiToken
    user: User


async def create_api_token(
    session: AsyncSession, user: User, *, name: str, scope: TokenScope, expires_at: datetime | None
) -> tuple[ApiToken, str]:
    """Create a token; returns it and the secret, which is shown once and never stored."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInputError.field("name", "Give the token a name of 1 to 100 characters.")
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInputError.field("expires_at", "The expiry must be in the future.")
    if len(await list_api_tokens(session, user)) >= MAXIMUM_TOKENS_PER_USER:
        raise InvalidInputError.field("name", "You have too many tokens; revoke some first.")
    secret = new_token(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 4],
        scope=scope,
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def list_api_tokens(session: AsyncSession, user: User) -> list[ApiToken]:
    result = await session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id.desc())
    )
    return list(result)


async def revoke_api_token(session: AsyncSession, user: User, token_id: int) -> bool:
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_all_api_tokens(session: AsyncSession, user: User) -> None:
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


TOKEN_COLUMNS = Columns(ApiToken, "token_")
USER_COLUMNS = Columns(User, "user_")
# Every API request runs this: built once, a Core statement (see db.run_read). The expiry is
# checked in Python, so that the row can be remembered until the next commit (Reader.remembered).
TOKEN_BY_HASH = Query(
    select(*TOKEN_COLUMNS.select(), *USER_COLUMNS.select())
    .select_from(ApiToken)
    .join(User, User.id == ApiToken.user_id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        User.disabled_at.is_(None),
    )
)


def find_bearer(reader: Reader, secret: str) -> Bearer | None:
    """The live token and its user: not revoked, not expired, user not disabled.

    Synchronous Core: run it with ``db.run_read(find_bearer, secret)``. Revoking a token or
    disabling its user commits, which makes the next request read the row again.
    """
    hashed = token_hash(secret)
    row = reader.remembered(
        ("token", hashed), lambda: reader.first(TOKEN_BY_HASH, token_hash=hashed)
    )
    if row is None:
        return None
    expires_at = row["token_expires_at"]
    if expires_at is not None and expires_at <= utcnow():
        return None
    return Bearer(TOKEN_COLUMNS.build(row), USER_COLUMNS.build(row))


def needs_touch(token: ApiToken) -> bool:
    return token.last_used_at is None or utcnow() - token.last_used_at >= TOUCH_INTERVAL


async def touch_api_token(session: AsyncSession, token_id: int) -> None:
    await session.execute(
        update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow())
    )
