"""Small async factories over the services, for arranging test data (no magic ids)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import Issue, Membership, Project, Role, User
from quart_app.reads import Reader
from quart_app.services.access import ProjectAccess
from quart_app.services.issues import create_issue
from quart_app.services.members import join_project

T = TypeVar("T")


def acting_as(project: Project, user: User | None, role: Role | None = Role.OWNER) -> ProjectAccess:
    """The project as ``user`` with ``role`` sees it (default: with every right)."""
    return ProjectAccess(project=project, user=user, role=role)


async def add_member(session: AsyncSession, project: Project, user: User, role: Role) -> Membership:
    return await join_project(session, acting_as(project, None, None), user, role)


async def open_issue(
    session: AsyncSession, project: Project, author: User, title: str = "t", body: str = ""
) -> Issue:
    return await create_issue(session, acting_as(project, author), title=title, body=body)


async def run_sync_read(
    session: AsyncSession, function: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """A synchronous read (``db.run_read``'s kind) in the test's own session and transaction."""
    connection = await session.connection()
    return await connection.run_sync(
        lambda sync_connection: function(Reader.over(sync_connection), *args, **kwargs)
    )
