"""Projects: create one (its creator becomes owner), list, change settings, delete."""

from __future__ import annotations

import re

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import Membership, Project, Role, User, Visibility
from quart_app.services.access import ProjectAccess
from quart_app.services.errors import ConflictError, ForbiddenError, InvalidInputError
from quart_app.services.pagination import Page, PageRequest, count_rows
from quart_app.services.validation import clean_text

KEY_PATTERN = re.compile(r"[A-Z][A-Z0-9]{1,9}")
NAME_MAX = 100
DESCRIPTION_MAX = 2000


def require_verified(user: User) -> None:
    """Only people who proved their address may create or join projects (stops throwaway spam)."""
    if user.email_verified_at is None:
        raise ForbiddenError(
            "Confirm your email address first: we sent you a link when you signed up."
        )


def clean_key(key: str) -> str:
    cleaned = key.strip().upper()
    if not KEY_PATTERN.fullmatch(cleaned):
        raise InvalidInputError.field(
            "key", "A key is 2 to 10 letters or digits, starting with a letter (like WEB)."
        )
    return cleaned


async def create_project(
    session: AsyncSession,
    *,
    owner: User,
    key: str,
    name: str,
    description: str = "",
    visibility: Visibility = Visibility.PRIVATE,
) -> Project:
    require_verified(owner)
    key = clean_key(key)
    if await session.scalar(select(Project.id).where(Project.key == key)) is not None:
        raise ConflictError(
            f"The key {key} is taken: choose another.",
            [{"field": "key", "message": "This key is taken."}],
        )
    project = Project(
        key=key,
        name=clean_text("name", name, maximum=NAME_MAX),
        description=clean_text("description", description, maximum=DESCRIPTION_MAX, required=False),
        visibility=visibility,
    )
    session.add(project)
    await session.flush()
    session.add(Membership(project_id=project.id, user_id=owner.id, role=Role.OWNER))
    await session.flush()
    return project


async def list_projects(
    session: AsyncSession, user: User | None, request: PageRequest, *, mine: bool = False
) -> Page[ProjectAccess]:
    """The projects ``user`` can see (only theirs when ``mine``), by key, with their role."""
    user_id = user.id if user is not None else None
    joined = and_(Membership.project_id == Project.id, Membership.user_id == user_id)
    visible = (
        Membership.id.is_not(None)
        if mine
        else or_(Project.visibility == Visibility.PUBLIC, Membership.id.is_not(None))
    )
    statement = (
        select(Project, Membership.role).outerjoin(Membership, joined).where(visible)
    ).order_by(Project.key)
    total = await count_rows(session, statement)
    rows = await session.execute(statement.limit(request.per_page).offset(request.offset))
    items = [ProjectAccess(project=project, user=user, role=role) for project, role in rows]
    return Page(items=items, total=total, request=request)


async def update_project(
    session: AsyncSession,
    access: ProjectAccess,
    *,
    name: str | None = None,
    description: str | None = None,
    visibility: Visibility | None = None,
) -> Project:
    access.require(Role.OWNER, "change the project's settings")
    project = access.project
    if name is not None:
        project.name = clean_text("name", name, maximum=NAME_MAX)
    if description is not None:
        project.description = clean_text(
            "description", description, maximum=DESCRIPTION_MAX, required=False
        )
    if visibility is not None:
        project.visibility = visibility
    await session.flush()
    return project


async def delete_project(session: AsyncSession, access: ProjectAccess) -> None:
    """Delete the project with its issues, comments, labels and milestones (the database
    cascades), in one statement."""
    access.require(Role.OWNER, "delete the project")
    await session.execute(delete(Project).where(Project.id == access.project.id))
