"""Site administration pages: accounts, disable and enable."""

from __future__ import annotations

from quart import Blueprint, abort, flash, redirect, request, url_for

from quart_app.db import get_session
from quart_app.rendering import render_template
from quart_app.security.rate_limits import rate_limit
from quart_app.services import admin
from quart_app.services.errors import ServiceError
from quart_app.web.forms import PageResult, login_required, signed_in_user

blueprint = Blueprint("web_admin", __name__, url_prefix="/admin")
PER_PAGE = 50


def require_admin() -> None:
    if not signed_in_user().is_admin:
        abort(403, description="Only administrators can see this page.")


@blueprint.get("/users")
@rate_limit("pages")
@login_required
async def users() -> PageResult:
    require_admin()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    listed, total = await admin.list_users(
        get_session(), offset=(page - 1) * PER_PAGE, limit=PER_PAGE
    )
    pages = max(1, -(-total // PER_PAGE))
    return await render_template(
        "admin/users.html", users=listed, page=page, pages=pages, total=total
    )


@blueprint.post("/users/<int:user_id>/disable")
@rate_limit("account")
@login_required
async def disable_user(user_id: int) -> PageResult:
    return await _set_disabled(user_id, disabled=True)


@blueprint.post("/users/<int:user_id>/enable")
@rate_limit("account")
@login_required
async def enable_user(user_id: int) -> PageResult:
    return await _set_disabled(user_id, disabled=False)


async def _set_disabled(user_id: int, *, disabled: bool) -> PageResult:
    require_admin()
    session = get_session()
    try:
        user = await admin.set_user_disabled(session, signed_in_user(), user_id, disabled=disabled)
    except ServiceError as error:
        await flash(error.message, "error")
        return redirect(url_for("web_admin.users"))
    await session.commit()
    await flash(
        f"{user.username} is {'disabled: signed out everywhere' if disabled else 'enabled'}."
    )
    return redirect(url_for("web_admin.users"))
