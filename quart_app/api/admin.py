"""Site administration: list accounts, disable and enable them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from quart_app.api.common import errors
from quart_app.db import get_session
from quart_app.models import User
from quart_app.security.auth import require_api_user
from quart_app.security.rate_limits import rate_limit
from quart_app.services import admin

blueprint = Blueprint("api_admin", __name__, url_prefix="/api/v1/admin")


class PageQuery(BaseModel):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=100)


class UserOut(BaseModel):
    id: int
    username: str
    email: str
    email_verified: bool
    is_admin: bool
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id, username=user.username, email=user.email,
            email_verified=user.email_verified_at is not None, is_admin=user.is_admin,
            disabled=user.disabled_at is not None, created_at=user.created_at,
        )  # fmt: skip


class UserPage(BaseModel):
    users: list[UserOut]
    total: int
    page: int
    per_page: int


@blueprint.get("/users")
@rate_limit("api")
@validate_querystring(PageQuery)
@validate_response(UserPage)
@errors(401, 403, 422)
async def list_users(query_args: PageQuery) -> UserPage:
    """Every account, oldest first (administrators only)."""
    require_api_user(admin=True)
    offset = (query_args.page - 1) * query_args.per_page
    users, total = await admin.list_users(get_session(), offset=offset, limit=query_args.per_page)
    return UserPage(
        users=[UserOut.of(u) for u in users], total=total, page=query_args.page,
        per_page=query_args.per_page,
    )  # fmt: skip


@blueprint.post("/users/<int:user_id>/disable")
@rate_limit("account")
@validate_response(UserOut)
@errors(401, 403, 404, 429)
async def disable_user(user_id: int) -> UserOut:
    """Disable an account: its sessions end and its tokens are revoked."""
    return await _set_disabled(user_id, disabled=True)


@blueprint.post("/users/<int:user_id>/enable")
@rate_limit("account")
@validate_response(UserOut)
@errors(401, 403, 404, 429)
async def enable_user(user_id: int) -> UserOut:
    """Let a disabled account sign in again."""
    return await _set_disabled(user_id, disabled=False)


async def _set_disabled(user_id: int, *, disabled: bool) -> UserOut:
    actor = require_api_user(admin=True)
    session = get_session()
    user = await admin.set_user_disabled(session, actor, user_id, disabled=disabled)
    await session.commit()
    return UserOut.of(user)
