"""Site administration: list accounts, disable and enable them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import User, utcnow
from quart_app.services.api_tokens import revoke_all_api_tokens
from quart_app.services.errors import ForbiddenError, NotFoundError
from quart_app.services.sessions import revoke_sessions


async def list_users(session: AsyncSession, *, offset: int, limit: int) -> tuple[list[User], int]:
    total = await session.scalar(select(func.count()).select_from(User))
    users = await session.scalars(select(User).order_by(User.id).offset(offset).limit(limit))
    return list(users), int(total or 0)


async def set_user_disabled(
    session: AsyncSession, admin: User, user_id: int, *, disabled: bool
) -> User:
    """Disable (signing out every session and revoking every token) or re-enable an account."""
    if not admin.is_admin:
        raise ForbiddenError("Only administrators can do this.")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFoundError("There is no such user.")
    if user.id == admin.id:
        raise ForbiddenError("You cannot disable your own account.")
    if disabled and user.disabled_at is None:
        user.disabled_at = utcnow()
        await revoke_sessions(session, user, keep=None)
        await revoke_all_api_tokens(session, user)
    elif not disabled:
        user.disabled_at = None
    await session.flush()
    return user
