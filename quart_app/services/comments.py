"""Comments on issues: any member adds one; authors edit theirs; authors and maintainers delete."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from quart_app.models import Comment, Issue, Role
from quart_app.services import events
from quart_app.services.access import ProjectAccess
from quart_app.services.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from quart_app.services.issues import BODY_MAX, get_issue
from quart_app.services.pagination import Page, PageRequest, paginate
from quart_app.services.search import refresh_search_document
from quart_app.services.versions import IfMatch


def clean_comment(body: str) -> str:
    if not body.strip():
        raise InvalidInputError.field("body", "A comment cannot be empty.")
    if len(body) > BODY_MAX:
        raise InvalidInputError.field("body", f"Use at most {BODY_MAX} characters.")
    return body


async def list_comments(
    session: AsyncSession, access: ProjectAccess, number: int, request: PageRequest
) -> Page[Comment]:
    issue = await get_issue(session, access, number, with_relations=False)
    statement = (
        select(Comment)
        .where(Comment.issue_id == issue.id)
        .options(selectinload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    )
    return await paginate(session, statement, request)


async def get_comment(
    session: AsyncSession,
    access: ProjectAccess,
    number: int,
    comment_id: int,
    *,
    for_update: bool = False,
) -> Comment:
    """The comment with its author; locked for ``for_update`` (PostgreSQL: concurrent edits
    and deletes then take turns, and the second sees the first's version)."""
    _issue, comment = await _issue_and_comment(session, access, number, comment_id, for_update)
    return comment


async def _issue_and_comment(
    session: AsyncSession, access: ProjectAccess, number: int, comment_id: int, for_update: bool
) -> tuple[Issue, Comment]:
    issue = await get_issue(session, access, number, with_relations=False)
    statement = (
        select(Comment)
        .where(Comment.id == comment_id, Comment.issue_id == issue.id)
        .options(selectinload(Comment.author))
    )
    if for_update:
        statement = statement.with_for_update(of=Comment)
    comment = await session.scalar(statement)
    if comment is None:
        raise NotFoundError(f"#{number} has no comment {comment_id}.")
    return issue, comment


async def add_comment(
    session: AsyncSession, access: ProjectAccess, number: int, *, body: str
) -> Comment:
    author = access.require(Role.REPORTER, "comment")
    # Locked, so a concurrent delete of the issue waits for this comment (or this one sees 404).
    issue = await get_issue(session, access, number, for_update=True, with_relations=False)
    comment = Comment(issue_id=issue.id, author=author, body=clean_comment(body))
    session.add(comment)
    await session.flush()
    await _count_comments(session, issue, +1)
    events.record_event(session, issue, author, events.COMMENTED, comment_id=comment.id)
    await refresh_search_document(session, issue)
    return comment


async def edit_comment(
    session: AsyncSession,
    access: ProjectAccess,
    number: int,
    comment_id: int,
    *,
    body: str,
    if_match: IfMatch,
) -> Comment:
    issue, comment = await _issue_and_comment(session, access, number, comment_id, True)
    if not access.can_edit_comment(comment):
        raise ForbiddenError("Only its author can edit a comment.")
    if_match.check(comment.version, f"Comment {comment.id}")
    body = clean_comment(body)
    if body != comment.body:
        comment.body, comment.version = body, comment.version + 1
        await session.flush()
        await refresh_search_document(session, issue)
    return comment


async def delete_comment(
    session: AsyncSession,
    access: ProjectAccess,
    number: int,
    comment_id: int,
    *,
    if_match: IfMatch,
) -> None:
    issue, comment = await _issue_and_comment(session, access, number, comment_id, True)
    if not access.can_delete_comment(comment):
        raise ForbiddenError("Only its author or a maintainer can delete a comment.")
    if_match.check(comment.version, f"Comment {comment.id}")
    await session.execute(delete(Comment).where(Comment.id == comment.id))
    await _count_comments(session, issue, -1)
    await refresh_search_document(session, issue)


async def _count_comments(session: AsyncSession, issue: Issue, change: int) -> None:
    # In SQL, not in Python: two concurrent comments must both count.
    count = await session.scalar(
        update(Issue)
        .where(Issue.id == issue.id)
        .values(comment_count=Issue.comment_count + change)
        .returning(Issue.comment_count)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(issue, "comment_count", count)
