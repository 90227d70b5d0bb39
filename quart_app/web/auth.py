"""Signing up, in and out; verifying an address; recovering a forgotten password."""

from __future__ import annotations

from quart import Blueprint, current_app, flash, redirect, request, url_for

from quart_app.db import get_session
from quart_app.errors import APIError
from quart_app.mail import base_url, commit_and_send
from quart_app.rendering import render_template
from quart_app.security.auth import (
    clear_auth_cookie,
    current_auth,
    current_user,
    current_user_in,
    set_auth_cookie,
    sign_in,
)
from quart_app.security.rate_limits import limit_account, rate_limit
from quart_app.services import accounts, credentials, sessions
from quart_app.services.errors import ServiceError
from quart_app.web.forms import PageResult, login_required, render_form, safe_next

blueprint = Blueprint("web_auth", __name__)


VERIFY_TITLE = "Confirm your email address"
NEW_EMAIL_TITLE = "Confirm your new email address"


async def token_page(endpoint: str, title: str, token: str, error: str | None = None) -> PageResult:
    """The page an email link opens: a button that posts the token to ``endpoint``."""
    page = await render_template(
        "auth/confirm_token.html", token=token, action=url_for(endpoint), title=title, error=error
    )
    return (page, 400) if error else page


@blueprint.get("/sign-up")
@rate_limit("pages")
async def sign_up_page() -> str:
    return await render_template("auth/sign_up.html", errors={}, values={})


@blueprint.post("/sign-up")
@rate_limit("sign-up")
async def sign_up() -> PageResult:
    form = await request.form
    values = {name: form.get(name, "") for name in ("username", "email")}
    await limit_account("sign-up", values["email"])
    session = get_session()
    try:
        emails = await accounts.sign_up(
            session, username=values["username"], email=values["email"],
            password=form.get("password", ""), base_url=base_url(),
            verify_ttl=current_app.config["VERIFY_EMAIL_TOKEN_TTL_SECONDS"],
        )  # fmt: skip
    except ServiceError as error:
        return await render_form("auth/sign_up.html", error, values)
    await commit_and_send(session, emails)
    await flash(f"Almost there: we sent a link to {values['email']}. Open it to confirm.")
    return redirect(url_for("web_auth.sign_in_page"))


@blueprint.get("/sign-in")
@rate_limit("pages")
async def sign_in_page() -> PageResult:
    next_page = safe_next(request.args.get("next"))
    if current_user() is not None:
        return redirect(next_page)
    return await render_template("auth/sign_in.html", errors={}, values={"next": next_page})


@blueprint.post("/sign-in")
@rate_limit("sign-in")
async def sign_in_submit() -> PageResult:
    form = await request.form
    values = {"login": form.get("login", ""), "next": safe_next(form.get("next"))}
    try:
        _user, token = await sign_in(values["login"], form.get("password", ""))
    except APIError as error:
        if error.status != 401:
            raise
        page = await render_template(
            "auth/sign_in.html", errors={"form": error.message}, values=values
        )
        return page, 401
    response = redirect(values["next"])
    set_auth_cookie(response, token)
    return response


@blueprint.post("/sign-out")
@rate_limit("account")
async def sign_out() -> PageResult:
    auth = current_auth()
    if auth.user is not None and auth.session_id is not None:
        session = get_session()
        await sessions.revoke_session(session, auth.user, auth.session_id)
        await session.commit()
    response = redirect(url_for("web_pages.home"))
    clear_auth_cookie(response)
    return response


@blueprint.get("/verify-email")
@rate_limit("pages")
async def verify_email_page() -> PageResult:
    """A button, not an action: mail scanners open links, and would use the token up."""
    return await token_page("web_auth.verify_email", VERIFY_TITLE, request.args.get("token", ""))


@blueprint.post("/verify-email")
@rate_limit("verification")
async def verify_email() -> PageResult:
    token = (await request.form).get("token", "")
    session = get_session()
    try:
        await credentials.verify_email(session, token)
    except ServiceError as error:
        return await token_page("web_auth.verify_email", VERIFY_TITLE, token, error.message)
    await session.commit()
    await flash("Your email address is confirmed.")
    return redirect(url_for("web_pages.home"))


@blueprint.post("/verify-email/resend")
@rate_limit("verification")
@login_required
async def resend_verification() -> PageResult:
    user = current_user()
    assert user is not None
    await limit_account("verification", str(user.id))
    session = get_session()
    emails = await credentials.request_verification(
        session, await current_user_in(session), base_url=base_url(),
        ttl=current_app.config["VERIFY_EMAIL_TOKEN_TTL_SECONDS"],
    )  # fmt: skip
    await commit_and_send(session, emails)
    await flash(f"We sent a new confirmation link to {user.email}.")
    return redirect(safe_next(request.args.get("next")))


@blueprint.get("/forgot-password")
@rate_limit("pages")
async def forgot_password_page() -> str:
    return await render_template("auth/forgot_password.html", errors={}, values={})


@blueprint.post("/forgot-password")
@rate_limit("password-reset")
async def forgot_password() -> PageResult:
    email = (await request.form).get("email", "")
    await limit_account("password-reset", email)
    session = get_session()
    emails = await credentials.request_password_reset(
        session, email=email, base_url=base_url(),
        ttl=current_app.config["RESET_PASSWORD_TOKEN_TTL_SECONDS"],
    )  # fmt: skip
    await commit_and_send(session, emails)
    await flash("If that address has an account, a reset link is on its way. It works for an hour.")
    return redirect(url_for("web_auth.sign_in_page"))


@blueprint.get("/reset-password")
@rate_limit("pages")
async def reset_password_page() -> str:
    values = {"token": request.args.get("token", "")}
    return await render_template("auth/reset_password.html", errors={}, values=values)


@blueprint.post("/reset-password")
@rate_limit("password-reset")
async def reset_password() -> PageResult:
    form = await request.form
    values = {"token": form.get("token", "")}
    session = get_session()
    try:
        emails = await credentials.reset_password(
            session,
            token=values["token"],
            new_password=form.get("password", ""),
            base_url=base_url(),
        )
    except ServiceError as error:
        return await render_form("auth/reset_password.html", error, values, status=400)
    await commit_and_send(session, emails)
    await flash("Your password is changed and every session is signed out. Sign in with it now.")
    response = redirect(url_for("web_auth.sign_in_page"))
    clear_auth_cookie(response)
    return response


@blueprint.get("/confirm-email")
@rate_limit("pages")
async def confirm_email_page() -> PageResult:
    return await token_page(
        "web_auth.confirm_email", NEW_EMAIL_TITLE, request.args.get("token", "")
    )


@blueprint.post("/confirm-email")
@rate_limit("verification")
async def confirm_email() -> PageResult:
    token = (await request.form).get("token", "")
    session = get_session()
    try:
        await credentials.confirm_email_change(session, token)
    except ServiceError as error:
        return await token_page("web_auth.confirm_email", NEW_EMAIL_TITLE, token, error.message)
    await session.commit()
    await flash("Your new email address is confirmed.")
    return redirect(url_for("web_pages.home"))
