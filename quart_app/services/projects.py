"""Projects: creating one makes its creator the owner."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import Label, Membership, Project, Role, User, Visibility
from quart_app.services.errors import ForbiddenError


def require_verified(user: User) -> None:
    """Only people who proved their address may create or join projects (stops throwaway spam)."""
    if user.email_verified_at is None:
        raise ForbiddenError(
            "Confirm your email address first: we sent you a link when you signed up."
        )


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
    project = Project(
        key=key.strip().upper(), name=name.strip(), description=description, visibility=visibility
    )
    session.add(project)
    await session.flush()
    session.add(Membership(project_id=project.id, user_id=owner.id, role=Role.OWNER))
    await session.flush()
    return project


async def add_member(session: AsyncSession, project: Project, user: User, role: Role) -> Membership:
    require_verified(user)
    membership = Membership(project_id=project.id, user_id=user.id, role=role)
    session.add(membership)
    await session.flush()
    return membership


async def create_label(
    session: AsyncSession, project: Project, *, name: str, color: str, description: str = ""
) -> Label:
    label = Label(project_id=project.id, name=name, color=color, description=description)
    session.add(label)
    await session.flush()
    return label


async def get_project_by_key(session: AsyncSession, key: str) -> Project | None:
    return await session.scalar(select(Project).where(Project.key == key.strip().upper()))
