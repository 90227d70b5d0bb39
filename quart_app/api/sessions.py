"""Signing in and out with a cookie (browsers), and the account's active sessions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from quart import Blueprint, Response, current_app
from quart_schema import document_response, validate_request, validate_response

from quart_app.api.common import AccountOut, RequestModel, errors
from quart_app.api.openapi import public
from quart_app.db import get_session
from quart_app.errors import APIError
from quart_app.models import UserSession
from quart_app.security.auth import (
    clear_auth_cookie,
    current_auth,
    require_api_user,
    set_auth_cookie,
    sign_in,
)
from quart_app.security.csrf import csrf_token
from quart_app.security.rate_limits import rate_limit
from quart_app.services import sessions
from quart_app.services.sessions import session_expiry

blueprint = Blueprint("api_sessions", __name__, url_prefix="/api/v1")


class SignInIn(RequestModel):
    login: str  # a username or an email address
    password: str


class SessionOut(BaseModel):
    id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    ip_address: str
    current: bool

    @classmethod
    def of(cls, record: UserSession, *, idle_seconds: int, current: int | None) -> SessionOut:
        return cls(
            id=record.id, created_at=record.created_at, last_seen_at=record.last_seen_at,
            expires_at=session_expiry(record, idle_seconds), user_agent=record.user_agent,
            ip_address=record.ip_address, current=record.id == current,
        )  # fmt: skip


class CurrentSessionOut(BaseModel):
    account: AccountOut
    csrf_token: str  # send as X-CSRF-Token on this browser session's writes


class SessionList(BaseModel):
    sessions: list[SessionOut]


@blueprint.post("/session")
@public
@rate_limit("sign-in")
@validate_request(SignInIn)
@document_response(AccountOut)  # documented, not validated: the response also sets the cookie
@errors(401, 403, 422, 429)
async def create_session(data: SignInIn) -> Response:
    """Sign in: sets the session cookie. Scripts should use API tokens instead."""
    user, token = await sign_in(data.login, data.password)
    response = Response(AccountOut.of(user).model_dump_json(), content_type="application/json")
    set_auth_cookie(response, token)
    return response


@blueprint.get("/session")
@rate_limit("api")
@validate_response(CurrentSessionOut)
@errors(401)
async def get_current_session() -> CurrentSessionOut:
    """Who is signed in, and the CSRF token this browser's scripts must send with writes."""
    return CurrentSessionOut(account=AccountOut.of(require_api_user()), csrf_token=csrf_token())


@blueprint.delete("/session")
@rate_limit("account")
@errors(401, 403, 429)
async def delete_session() -> Response:
    """Sign out this browser: its session ends on the server too."""
    user = require_api_user()
    session_id = current_auth().session_id
    if session_id is not None:
        session = get_session()
        await sessions.revoke_session(session, user, session_id)
        await session.commit()
    response = Response(status=204)
    clear_auth_cookie(response)
    return response


@blueprint.get("/sessions")
@rate_limit("api")
@validate_response(SessionList)
@errors(401)
async def list_sessions() -> SessionList:
    """The account's signed-in browsers, most recently active first."""
    user, auth = require_api_user(), current_auth()
    idle = current_app.config["SESSION_IDLE_TIMEOUT_SECONDS"]
    records = await sessions.list_sessions(get_session(), user)
    return SessionList(
        sessions=[SessionOut.of(r, idle_seconds=idle, current=auth.session_id) for r in records]
    )


@blueprint.delete("/sessions/<int:session_id>")
@rate_limit("account")
@errors(401, 403, 404, 429)
async def revoke_session(session_id: int) -> Response:
    """Sign one of the account's browsers out."""
    user = require_api_user()
    session = get_session()
    if not await sessions.revoke_session(session, user, session_id):
        raise APIError(404, "NOT_FOUND", "There is no such session.")
    await session.commit()
    return Response(status=204)
