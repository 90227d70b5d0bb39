"""Comments on an issue: list, add (retry-safe with Idempotency-Key), read, edit, delete."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from quart import Blueprint, Response
from quart_schema import validate_querystring, validate_request, validate_response

from quart_app.api import idempotency
from quart_app.api.access import project_for_reading, project_for_writing
from quart_app.api.common import (
    PageOut,
    PageQuery,
    RequestModel,
    UserRef,
    errors,
    page_response,
)
from quart_app.api.openapi import (
    needs_if_match,
    paginated,
    public,
    sends_etag,
    takes_idempotency_key,
)
from quart_app.api.preconditions import etag_header, if_match
from quart_app.db import get_session
from quart_app.models import Comment
from quart_app.security.auth import current_user_in
from quart_app.security.rate_limits import rate_limit
from quart_app.services import comments
from quart_app.services.issues import BODY_MAX

blueprint = Blueprint("api_comments", __name__, url_prefix="/api/v1")
COMMENTS = "/projects/<string:key>/issues/<int:number>/comments"
COMMENT = f"{COMMENTS}/<int:comment_id>"


class CommentIn(RequestModel):
    body: str = Field(min_length=1, max_length=BODY_MAX, description="Markdown")


class CommentOut(BaseModel):
    id: int
    author: UserRef | None = Field(description="null when the account was deleted")
    body: str = Field(description="Markdown, as written")
    body_html: str = Field(description="the body rendered and sanitised")
    version: int = Field(description="also the ETag; send it back in If-Match to edit")
    edited: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, comment: Comment) -> CommentOut:
        return cls(
            id=comment.id, author=UserRef.of(comment.author), body=comment.body,
            body_html=comment.body_html, version=comment.version,
            edited=comment.version > 1, created_at=comment.created_at,
            updated_at=comment.updated_at,
        )  # fmt: skip


class CommentPage(PageOut):
    items: list[CommentOut]


CommentResponse = tuple[CommentOut, int, dict[str, str]]  # the comment, its status, its ETag


def comment_response(comment: Comment, status: int = 200) -> CommentResponse:
    return CommentOut.of(comment), status, etag_header(comment.version)


@blueprint.get(COMMENTS)
@public
@paginated
@rate_limit("api")
@validate_querystring(PageQuery)
@validate_response(CommentPage)
@errors(400, 401, 404, 422, 429)
async def list_comments(
    key: str, number: int, query_args: PageQuery
) -> tuple[CommentPage, int, dict[str, str]]:
    """The issue's comments, oldest first."""
    access = await project_for_reading(key)
    page = await comments.list_comments(get_session(), access, number, query_args.page_request())
    items = [CommentOut.of(comment) for comment in page.items]
    return page_response(CommentPage, items, page)


@blueprint.post(COMMENTS)
@takes_idempotency_key
@rate_limit("api")
@validate_request(CommentIn)
@validate_response(CommentOut, 201)
@errors(400, 401, 403, 404, 409, 422, 429)
async def create_comment(key: str, number: int, data: CommentIn) -> CommentResponse:
    """Comment on an issue (members). Send an `Idempotency-Key` header to retry safely."""
    access = await project_for_writing(key)
    session = get_session()
    request_key = await idempotency.idempotency_key(await current_user_in(session))
    if (replayed := await idempotency.replay(session, request_key)) is not None:
        return replayed  # type: ignore[return-value]  # the stored CommentOut, as JSON
    comment = await comments.add_comment(session, access, number, body=data.body)
    out, status, headers = comment_response(comment, 201)
    await idempotency.remember(session, request_key, out, status, headers)
    await session.commit()
    return out, status, headers


@blueprint.get(COMMENT)
@public
@sends_etag
@rate_limit("api")
@validate_response(CommentOut)
@errors(400, 401, 404, 429)
async def get_comment(key: str, number: int, comment_id: int) -> CommentResponse:
    """One comment; the ETag header is its version."""
    access = await project_for_reading(key)
    return comment_response(await comments.get_comment(get_session(), access, number, comment_id))


@blueprint.patch(COMMENT)
@needs_if_match
@rate_limit("api")
@validate_request(CommentIn)
@validate_response(CommentOut)
@errors(400, 401, 403, 404, 412, 422, 428, 429)
async def update_comment(
    key: str, number: int, comment_id: int, data: CommentIn
) -> CommentResponse:
    """Edit your comment. Needs `If-Match: "<version>"` (428 without, 412 when stale)."""
    access = await project_for_writing(key)
    session = get_session()
    comment = await comments.edit_comment(
        session, access, number, comment_id, body=data.body,
        if_match=if_match(),
    )  # fmt: skip
    await session.commit()
    return comment_response(comment)


@blueprint.delete(COMMENT)
@needs_if_match
@rate_limit("api")
@errors(400, 401, 403, 404, 412, 428, 429)
async def delete_comment(key: str, number: int, comment_id: int) -> Response:
    """Delete your comment, or any as a maintainer. Needs If-Match, like PATCH."""
    access = await project_for_writing(key)
    session = get_session()
    await comments.delete_comment(session, access, number, comment_id, if_match=if_match())
    await session.commit()
    return Response(status=204)
