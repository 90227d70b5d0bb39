"""Project members and their roles; a project always keeps at least one owner."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from quart_app.models import Membership, Role, User
from quart_app.services.access import ProjectAccess
from quart_app.services.errors import ConflictError, InvalidInputError, NotFoundError
from quart_app.services.projects import require_verified


async def list_members(session: AsyncSession, access: ProjectAccess) -> list[Membership]:
    """Everyone in the project, owners first, with their accounts loaded."""
    rows = await session.scalars(
        select(Membership)
        .join(Membership.user)
        .where(Membership.project_id == access.project.id)
        .options(selectinload(Membership.user))
        .order_by(Membership.role, User.username)
    )
    return list(rows)


async def find_user(session: AsyncSession, username: str, *, field: str = "username") -> User:
    user = await session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or user.disabled_at is not None:
        raise InvalidInputError.field(field, f"There is no user {username!r}.")
    return user


async def join_project(
    session: AsyncSession, access: ProjectAccess, user: User, role: Role
) -> Membership:
    """Make ``user`` a member (no permission check: for the owner's own calls and seeding)."""
    require_verified(user)
    membership = Membership(project_id=access.project.id, user_id=user.id, role=role)
    session.add(membership)
    await session.flush()
    membership.user = user
    return membership


async def add_member(
    session: AsyncSession, access: ProjectAccess, *, username: str, role: Role
) -> Membership:
    access.require(Role.OWNER, "add members")
    user = await find_user(session, username)
    if await _membership(session, access, user.id) is not None:
        raise ConflictError(f"{user.username} is already a member of {access.project.key}.")
    return await join_project(session, access, user, role)


async def change_role(
    session: AsyncSession, access: ProjectAccess, *, username: str, role: Role
) -> Membership:
    access.require(Role.OWNER, "change members' roles")
    membership = await _existing_member(session, access, username)
    if membership.role == Role.OWNER and role != Role.OWNER:
        await _keep_an_owner(session, access)
    membership.role = role
    await session.flush()
    return membership


async def remove_member(session: AsyncSession, access: ProjectAccess, *, username: str) -> None:
    """Owners remove anyone; any member may leave. Their past issues and comments stay."""
    membership = await _existing_member(session, access, username)
    if not access.is_author(membership.user_id):
        access.require(Role.OWNER, "remove members")
    if membership.role == Role.OWNER:
        await _keep_an_owner(session, access)
    await session.execute(delete(Membership).where(Membership.id == membership.id))


async def _membership(
    session: AsyncSession, access: ProjectAccess, user_id: int
) -> Membership | None:
    return await session.scalar(
        select(Membership)
        .where(Membership.project_id == access.project.id, Membership.user_id == user_id)
        .options(selectinload(Membership.user))
    )


async def _existing_member(
    session: AsyncSession, access: ProjectAccess, username: str
) -> Membership:
    user_id = await session.scalar(select(User.id).where(User.username == username.strip().lower()))
    membership = await _membership(session, access, user_id) if user_id is not None else None
    if membership is None:
        raise NotFoundError(f"{username!r} is not a member of {access.project.key}.")
    return membership


async def _keep_an_owner(session: AsyncSession, access: ProjectAccess) -> None:
    owners = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.project_id == access.project.id, Membership.role == Role.OWNER)
    )
    if (owners or 0) <= 1:
        raise ConflictError(
            f"{access.project.key} needs at least one owner: make someone else owner first."
        )
