"""Personal access tokens: create (shown once), list, revoke."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel
from quart import Blueprint, Response
from quart_schema import validate_request, validate_response

from quart_app.api.common import RequestModel, errors
from quart_app.db import get_session
from quart_app.errors import APIError
from quart_app.models import ApiToken, TokenScope
from quart_app.security.auth import require_api_user
from quart_app.security.rate_limits import rate_limit
from quart_app.services import api_tokens

blueprint = Blueprint("api_tokens", __name__, url_prefix="/api/v1")


class TokenIn(RequestModel):
    name: str
    scope: TokenScope = TokenScope.READ
    expires_at: AwareDatetime | None = None  # with a timezone: "2027-01-31T00:00:00Z"


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id, name=token.name, prefix=token.prefix, scope=token.scope,
            created_at=token.created_at, expires_at=token.expires_at,
            last_used_at=token.last_used_at,
        )  # fmt: skip


class TokenCreatedOut(TokenOut):
    token: str  # the secret: shown this once, never again


class TokenList(BaseModel):
    tokens: list[TokenOut]


@blueprint.get("/tokens")
@rate_limit("api")
@validate_response(TokenList)
@errors(401)
async def list_tokens() -> TokenList:
    """The account's live tokens, newest first, with when each was last used."""
    tokens = await api_tokens.list_api_tokens(get_session(), require_api_user())
    return TokenList(tokens=[TokenOut.of(token) for token in tokens])


@blueprint.post("/tokens")
@rate_limit("account")
@validate_request(TokenIn)
@validate_response(TokenCreatedOut, 201)
@errors(401, 403, 422, 429)
async def create_token(data: TokenIn) -> tuple[TokenCreatedOut, int]:
    """Create a token. Its secret is in this response only: store it now."""
    session = get_session()
    token, secret = await api_tokens.create_api_token(
        session, require_api_user(), name=data.name, scope=data.scope, expires_at=data.expires_at
    )
    await session.commit()
    return TokenCreatedOut(**TokenOut.of(token).model_dump(), token=secret), 201


@blueprint.delete("/tokens/<int:token_id>")
@rate_limit("account")
@errors(401, 403, 404, 429)
async def revoke_token(token_id: int) -> Response:
    """Revoke a token: it stops working at once."""
    session = get_session()
    if not await api_tokens.revoke_api_token(session, require_api_user(), token_id):
        raise APIError(404, "NOT_FOUND", "There is no such token.")
    await session.commit()
    return Response(status=204)
