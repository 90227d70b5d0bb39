"""The account's settings: profile, email, password, API tokens, sessions, deletion."""

from __future__ import annotations

from datetime import UTC, datetime

from quart import Blueprint, current_app, flash, redirect, request, url_for

from quart_app.db import get_session
from quart_app.mail import base_url, commit_and_send
from quart_app.models import TokenScope
from quart_app.rendering import render_template
from quart_app.security.auth import clear_auth_cookie, current_auth, current_user_in
from quart_app.security.rate_limits import rate_limit
from quart_app.services import accounts, api_tokens, credentials, sessions
from quart_app.services.errors import InvalidInputError, ServiceError
from quart_app.web.forms import PageResult, login_required, render_form, signed_in_user

blueprint = Blueprint("web_settings", __name__, url_prefix="/settings")


async def settings_page(errors: dict[str, str] | None = None, status: int = 200) -> PageResult:
    values = {"display_name": signed_in_user().display_name}
    page = await render_template("settings/account.html", errors=errors or {}, values=values)
    return page, status


@blueprint.get("")
@rate_limit("pages")
@login_required
async def account() -> PageResult:
    return await settings_page()


@blueprint.post("/profile")
@rate_limit("account")
@login_required
async def update_profile() -> PageResult:
    session = get_session()
    form = await request.form
    try:
        user = await current_user_in(session)
        await accounts.update_profile(session, user, display_name=form.get("display_name", ""))
    except ServiceError as error:
        return await render_form("settings/account.html", error, form)
    await session.commit()
    await flash("Your profile is saved.")
    return redirect(url_for("web_settings.account"))


@blueprint.post("/email")
@rate_limit("account")
@login_required
async def change_email() -> PageResult:
    session = get_session()
    form = await request.form
    try:
        emails = await credentials.request_email_change(
            session, await current_user_in(session), password=form.get("password", ""),
            new_email=form.get("email", ""), base_url=base_url(),
            ttl=current_app.config["VERIFY_EMAIL_TOKEN_TTL_SECONDS"],
        )  # fmt: skip
    except ServiceError as error:
        return await render_form(
            "settings/account.html", error, {"new_email": form.get("email", "")}
        )
    await commit_and_send(session, emails)
    await flash("Check the new address: it has a link to confirm the change.")
    return redirect(url_for("web_settings.account"))


@blueprint.post("/password")
@rate_limit("account")
@login_required
async def change_password() -> PageResult:
    session = get_session()
    form = await request.form
    try:
        emails = await credentials.change_password(
            session, await current_user_in(session),
            current_password=form.get("current_password", ""),
            new_password=form.get("new_password", ""), keep_session=current_auth().session_id,
            base_url=base_url(),
        )  # fmt: skip
    except ServiceError as error:
        return await render_form("settings/account.html", error, {})
    await commit_and_send(session, emails)
    await flash("Your password is changed; your other sessions are signed out.")
    return redirect(url_for("web_settings.account"))


@blueprint.get("/tokens")
@rate_limit("pages")
@login_required
async def tokens() -> PageResult:
    return await tokens_page()


async def tokens_page(
    errors: dict[str, str] | None = None, values: dict[str, str] | None = None, **extra: object
) -> PageResult:
    listed = await api_tokens.list_api_tokens(get_session(), signed_in_user())
    page = await render_template(
        "settings/tokens.html", tokens=listed, errors=errors or {}, values=values or {}, **extra
    )
    return page, 422 if errors else 200


@blueprint.post("/tokens")
@rate_limit("account")
@login_required
async def create_token() -> PageResult:
    """Shows the new token's secret on this response only, not after a redirect: it must not
    be stored anywhere, not even in a flash cookie."""
    form = await request.form
    values = {
        "name": form.get("name", ""),
        "scope": form.get("scope", ""),
        "expires_on": form.get("expires_on", ""),
    }
    session = get_session()
    try:
        token, secret = await api_tokens.create_api_token(
            session, await current_user_in(session), name=values["name"],
            scope=_scope(values["scope"]), expires_at=_end_of_day(values["expires_on"]),
        )  # fmt: skip
    except ServiceError as error:
        return await render_form("settings/tokens.html", error, values, tokens=[])
    await session.commit()
    return await tokens_page(new_token=token, new_secret=secret)


def _scope(value: str) -> TokenScope:
    try:
        return TokenScope(value or TokenScope.READ)
    except ValueError as error:
        raise InvalidInputError.field("scope", "Choose read or read and write.") from error


def _end_of_day(value: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as error:
        raise InvalidInputError.field("expires_on", "Enter a date like 2027-01-31.") from error
    return day.replace(hour=23, minute=59, second=59)


@blueprint.post("/tokens/<int:token_id>/revoke")
@rate_limit("account")
@login_required
async def revoke_token(token_id: int) -> PageResult:
    session = get_session()
    if await api_tokens.revoke_api_token(session, signed_in_user(), token_id):
        await session.commit()
        await flash("The token is revoked: it no longer works.")
    return redirect(url_for("web_settings.tokens"))


@blueprint.get("/sessions")
@rate_limit("pages")
@login_required
async def list_sessions() -> PageResult:
    records = await sessions.list_sessions(get_session(), signed_in_user())
    return await render_template(
        "settings/sessions.html", sessions=records, current=current_auth().session_id
    )


@blueprint.post("/sessions/<int:session_id>/revoke")
@rate_limit("account")
@login_required
async def revoke_session(session_id: int) -> PageResult:
    session = get_session()
    if await sessions.revoke_session(session, signed_in_user(), session_id):
        await session.commit()
        await flash("That session is signed out.")
    if session_id == current_auth().session_id:
        response = redirect(url_for("web_pages.home"))
        clear_auth_cookie(response)
        return response
    return redirect(url_for("web_settings.list_sessions"))


@blueprint.get("/delete")
@rate_limit("pages")
@login_required
async def delete_page() -> PageResult:
    return await render_template("settings/delete.html", errors={}, values={})


@blueprint.post("/delete")
@rate_limit("account")
@login_required
async def delete_account() -> PageResult:
    session = get_session()
    try:
        user = await current_user_in(session)
        await accounts.delete_account(
            session, user, password=(await request.form).get("password", "")
        )
    except ServiceError as error:
        return await render_form("settings/delete.html", error, {})
    await session.commit()
    await flash("Your account is deleted. Thank you for using quart_app.")
    response = redirect(url_for("web_pages.home"))
    clear_auth_cookie(response)
    return response
