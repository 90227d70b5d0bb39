"""The signed-in account, sign-up, email verification and password reset."""

from __future__ import annotations

from quart import Blueprint, Response, current_app
from quart_schema import validate_request, validate_response

from quart_app.api.common import (
    AccountOut,
    MessageOut,
    RequestModel,
    errors,
)
from quart_app.api.openapi import public
from quart_app.db import get_session
from quart_app.mail import base_url, commit_and_send
from quart_app.security.auth import (
    clear_auth_cookie,
    current_auth,
    current_user_in,
    require_api_user,
)
from quart_app.security.rate_limits import limit_account, rate_limit
from quart_app.services import accounts, credentials

blueprint = Blueprint("api_account", __name__, url_prefix="/api/v1")

CHECK_YOUR_EMAIL = "Check your email: we sent a link to finish."


class SignUpIn(RequestModel):
    username: str
    email: str
    password: str


class ProfileIn(RequestModel):
    display_name: str


class PasswordIn(RequestModel):
    password: str


class PasswordChangeIn(RequestModel):
    current_password: str
    new_password: str


class EmailChangeIn(RequestModel):
    password: str
    email: str


class TokenIn(RequestModel):
    token: str


class PasswordResetIn(RequestModel):
    email: str


class PasswordResetConfirmIn(RequestModel):
    token: str
    password: str


@blueprint.post("/account")
@public
@rate_limit("sign-up")
@validate_request(SignUpIn)
@validate_response(MessageOut, 202)
@errors(403, 422, 429)
async def create_account(data: SignUpIn) -> tuple[MessageOut, int]:
    """Sign up. The answer is the same whether or not the name or address is taken."""
    await limit_account("sign-up", data.email)
    session = get_session()
    emails = await accounts.sign_up(
        session, username=data.username, email=data.email, password=data.password,
        base_url=base_url(), verify_ttl=current_app.config["VERIFY_EMAIL_TOKEN_TTL_SECONDS"],
    )  # fmt: skip
    await commit_and_send(session, emails)
    return MessageOut(message=CHECK_YOUR_EMAIL), 202


@blueprint.get("/account")
@rate_limit("api")
@validate_response(AccountOut)
@errors(401)
async def get_account() -> AccountOut:
    """The signed-in account."""
    return AccountOut.of(require_api_user())


@blueprint.patch("/account")
@rate_limit("account")
@validate_request(ProfileIn)
@validate_response(AccountOut)
@errors(401, 403, 422, 429)
async def update_account(data: ProfileIn) -> AccountOut:
    """Change the display name."""
    session = get_session()
    require_api_user()
    user = await current_user_in(session)
    await accounts.update_profile(session, user, display_name=data.display_name)
    await session.commit()
    return AccountOut.of(user)


@blueprint.delete("/account")
@rate_limit("account")
@validate_request(PasswordIn)
@errors(401, 403, 409, 422, 429)
async def delete_account(data: PasswordIn) -> Response:
    """Delete the account (the password confirms it). Issues and comments stay, unattributed."""
    session = get_session()
    require_api_user()
    user = await current_user_in(session)
    await accounts.delete_account(session, user, password=data.password)
    await session.commit()
    response = Response(status=204)
    clear_auth_cookie(response)
    return response


@blueprint.post("/account/password")
@rate_limit("account")
@validate_request(PasswordChangeIn)
@errors(401, 403, 422, 429)
async def change_password(data: PasswordChangeIn) -> Response:
    """Change the password; every other session is signed out."""
    session = get_session()
    require_api_user()
    user = await current_user_in(session)
    emails = await credentials.change_password(
        session, user, current_password=data.current_password, new_password=data.new_password,
        keep_session=current_auth().session_id, base_url=base_url(),
    )  # fmt: skip
    await commit_and_send(session, emails)
    return Response(status=204)


@blueprint.post("/account/email")
@rate_limit("account")
@validate_request(EmailChangeIn)
@validate_response(MessageOut, 202)
@errors(401, 403, 422, 429)
async def change_email(data: EmailChangeIn) -> tuple[MessageOut, int]:
    """Start changing the email address: the new one must confirm it."""
    session = get_session()
    require_api_user()
    user = await current_user_in(session)
    emails = await credentials.request_email_change(
        session, user, password=data.password, new_email=data.email, base_url=base_url(),
        ttl=current_app.config["VERIFY_EMAIL_TOKEN_TTL_SECONDS"],
    )  # fmt: skip
    await commit_and_send(session, emails)
    return MessageOut(message=CHECK_YOUR_EMAIL), 202


@blueprint.post("/account/email/confirm")
@public
@rate_limit("verification")
@validate_request(TokenIn)
@validate_response(AccountOut)
@errors(400, 403, 422, 429)
async def confirm_email(data: TokenIn) -> AccountOut:
    """Confirm a new email address with the token from its email."""
    session = get_session()
    user = await credentials.confirm_email_change(session, data.token)
    await session.commit()
    return AccountOut.of(user)


@blueprint.post("/account/verification")
@rate_limit("verification")
@validate_response(MessageOut, 202)
@errors(401, 403, 429)
async def resend_verification() -> tuple[MessageOut, int]:
    """Send a new verification link (nothing is sent when the address is verified already)."""
    user = require_api_user()
    await limit_account("verification", str(user.id))
    session = get_session()
    user = await current_user_in(session)
    emails = await credentials.request_verification(
        session, user, base_url=base_url(), ttl=current_app.config["VERIFY_EMAIL_TOKEN_TTL_SECONDS"]
    )
    await commit_and_send(session, emails)
    return MessageOut(message=CHECK_YOUR_EMAIL), 202


@blueprint.post("/account/verification/confirm")
@public
@rate_limit("verification")
@validate_request(TokenIn)
@validate_response(AccountOut)
@errors(400, 403, 422, 429)
async def confirm_verification(data: TokenIn) -> AccountOut:
    """Verify the email address with the token from the verification email."""
    session = get_session()
    user = await credentials.verify_email(session, data.token)
    await session.commit()
    return AccountOut.of(user)


@blueprint.post("/password-reset")
@public
@rate_limit("password-reset")
@validate_request(PasswordResetIn)
@validate_response(MessageOut, 202)
@errors(403, 422, 429)
async def request_password_reset(data: PasswordResetIn) -> tuple[MessageOut, int]:
    """Email a reset link. The answer is the same for unknown addresses."""
    await limit_account("password-reset", data.email)
    session = get_session()
    emails = await credentials.request_password_reset(
        session, email=data.email, base_url=base_url(),
        ttl=current_app.config["RESET_PASSWORD_TOKEN_TTL_SECONDS"],
    )  # fmt: skip
    await commit_and_send(session, emails)
    return MessageOut(message="If that address has an account, a reset link is on its way."), 202


@blueprint.post("/password-reset/confirm")
@public
@rate_limit("password-reset")
@validate_request(PasswordResetConfirmIn)
@errors(400, 403, 422, 429)
async def confirm_password_reset(data: PasswordResetConfirmIn) -> Response:
    """Set a new password with a reset token. Signs every session out; signs nobody in."""
    session = get_session()
    emails = await credentials.reset_password(
        session, token=data.token, new_password=data.password, base_url=base_url()
    )
    await commit_and_send(session, emails)
    return Response(status=204)
