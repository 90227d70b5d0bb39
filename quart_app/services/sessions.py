"""Browser sessions: a random token in the cookie, its hash here, so any session can be revoked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import User, UserSession, utcnow
from quart_app.models.rows import Columns
from quart_app.reads import Query, Reader
from quart_app.security.tokens import new_token, token_hash

# Writing last_seen_at on every request would make every read a write; once a minute is plenty.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class ActiveSession:
    record: UserSession
    user: User


async def start_session(
    session: AsyncSession,
    user: User,
    *,
    absolute_ttl_seconds: int,
    user_agent: str = "",
    ip_address: str = "",
) -> tuple[UserSession, str]:
    """Create a session; returns it and the token for the cookie (never stored)."""
    token = new_token()
    record = UserSession(
        user_id=user.id,
        token_hash=token_hash(token),
        expires_at=utcnow() + timedelta(seconds=absolute_ttl_seconds),
        user_agent=user_agent[:200],
        ip_address=ip_address[:45],
    )
    session.add(record)
    await session.flush()
    return record, token


SESSION_COLUMNS = Columns(UserSession, "session_")
USER_COLUMNS = Columns(User, "user_")
# Every signed-in page runs this: built once, a Core statement (see db.run_read). The times are
# checked in Python, so that the row can be remembered until the next commit (Reader.remembered).
SESSION_BY_TOKEN = Query(
    select(*SESSION_COLUMNS.select(), *USER_COLUMNS.select())
    .select_from(UserSession)
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"), User.disabled_at.is_(None))
)


def find_active_session(
    reader: Reader, token: str, *, idle_ttl_seconds: int
) -> ActiveSession | None:
    """The live session for a cookie token: not expired (idle or absolute), user not disabled.

    Synchronous Core: run it with ``db.run_read(find_active_session, ...)``. Signing out,
    revoking or disabling commits, which makes the next request read the row again.
    """
    hashed = token_hash(token)
    row = reader.remembered(
        ("session", hashed), lambda: reader.first(SESSION_BY_TOKEN, token_hash=hashed)
    )
    now = utcnow()
    idle_since = now - timedelta(seconds=idle_ttl_seconds)
    if row is None or row["session_expires_at"] <= now or row["session_last_seen_at"] <= idle_since:
        return None
    return ActiveSession(SESSION_COLUMNS.build(row), USER_COLUMNS.build(row))


def needs_touch(record: UserSession) -> bool:
    return utcnow() - record.last_seen_at >= TOUCH_INTERVAL


async def touch_session(session: AsyncSession, session_id: int) -> None:
    await session.execute(
        update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow())
    )


async def list_sessions(session: AsyncSession, user: User) -> list[UserSession]:
    result = await session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc())
    )
    return list(result)


async def revoke_session(session: AsyncSession, user: User, session_id: int) -> bool:
    """End one of ``user``'s sessions; False when there is no such session of theirs."""
    result = await session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_sessions(session: AsyncSession, user: User, *, keep: int | None) -> None:
    """Sign ``user`` out everywhere, except the session ``keep`` when one is given."""
    condition = UserSession.user_id == user.id
    if keep is not None:
        condition = condition & (UserSession.id != keep)
    await session.execute(delete(UserSession).where(condition))


def session_expiry(record: UserSession, idle_ttl_seconds: int) -> datetime:
    return min(record.expires_at, record.last_seen_at + timedelta(seconds=idle_ttl_seconds))
