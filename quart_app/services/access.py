"""Who may do what in a project: the one place the role rules live.

Private projects do not exist for non-members: every lookup answers NotFoundError, never
ForbiddenError, so a 404 tells an outsider nothing. Members who may see a project but not do
something in it get ForbiddenError with what they would need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import CompoundSelect, Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import instance_state

from quart_app.models import Comment, Issue, Membership, Project, Role, User, Visibility
from quart_app.models.rows import Columns
from quart_app.reads import Query, Reader
from quart_app.services.errors import ForbiddenError, NotFoundError

SelectT = TypeVar("SelectT", bound=Select[Any, Any])
ROLE_RANK = {Role.REPORTER: 1, Role.MAINTAINER: 2, Role.OWNER: 3}


@dataclass
class ProjectAccess:
    """A project as seen by one user (or by nobody signed in), with that user's role in it."""

    project: Project
    user: User | None
    role: Role | None

    def has_role(self, role: Role) -> bool:
        return self.role is not None and ROLE_RANK[self.role] >= ROLE_RANK[role]

    def require(self, role: Role, action: str) -> User:
        """The user, if their role allows ``action``; otherwise a ForbiddenError saying why."""
        if self.user is None or not self.has_role(role):
            needed = "a member" if role == Role.REPORTER else f"a {role.value} or above"
            raise ForbiddenError(f"Only {needed} of {self.project.key} can {action}.")
        return self.user

    def is_author(self, author_id: int | None) -> bool:
        return self.user is not None and author_id == self.user.id

    def can_edit_issue(self, issue: Issue) -> bool:
        """Maintainers edit and close any issue; reporters only the ones they opened."""
        own = self.is_author(issue.author_id) and self.has_role(Role.REPORTER)
        return own or self.has_role(Role.MAINTAINER)

    def require_issue_editor(self, issue: Issue) -> User:
        if not self.can_edit_issue(issue):
            self.require(Role.MAINTAINER, "change issues opened by someone else")
        assert self.user is not None
        return self.user

    def can_edit_comment(self, comment: Comment) -> bool:
        return self.is_author(comment.author_id) and self.has_role(Role.REPORTER)

    def can_delete_comment(self, comment: Comment) -> bool:
        return self.can_edit_comment(comment) or self.has_role(Role.MAINTAINER)


def not_found(key: str) -> NotFoundError:
    return NotFoundError(f"There is no project {key.strip().upper()!r}, or you cannot see it.")


def _project_and_role(statement: SelectT) -> SelectT:
    membership = and_(Membership.project_id == Project.id, Membership.user_id == bindparam("user"))
    return statement.outerjoin(Membership, membership).where(Project.key == bindparam("key"))


PROJECT_COLUMNS = Columns(Project, "project_")
PROJECT_AND_ROLE = Query(
    _project_and_role(select(*PROJECT_COLUMNS.select(), Membership.role).select_from(Project))
)


def _access(
    key: str, user: User | None, project: Project | None, role: Role | None
) -> ProjectAccess:
    if project is None or (role is None and project.visibility != Visibility.PUBLIC):
        raise not_found(key)
    return ProjectAccess(project=project, user=user, role=role)


def _parameters(key: str, user: User | None) -> dict[str, object]:
    return {"key": key.strip().upper(), "user": user.id if user is not None else None}


def find_project(reader: Reader, key: str, user: User | None) -> ProjectAccess:
    """The project with this key as ``user`` sees it, to read; NotFoundError if hidden.

    Synchronous Core (``db.run_read(find_project, key, user)``): the project is detached, so
    writes use ``load_project`` instead, which attaches it to their session.
    """
    row = reader.first(PROJECT_AND_ROLE, **_parameters(key, user))
    if row is None:
        raise not_found(key)
    return _access(key, user, PROJECT_COLUMNS.build(row), row["role"])


async def load_project(session: AsyncSession, key: str, user: User | None) -> ProjectAccess:
    """The project with this key as ``user`` sees it, in one query; NotFoundError if hidden.

    Read as ``find_project`` reads it, in the session's transaction, and added to the session
    as if the ORM had loaded it: the ORM's own query cost twice as much, with SQLite's write
    lock held (a POST's session begins with BEGIN IMMEDIATE).
    """
    return await session.run_sync(_load_project, key, user)


def _load_project(session: Session, key: str, user: User | None) -> ProjectAccess:
    access = find_project(Reader.over(session.connection()), key, user)
    identity = instance_state(access.project).key  # set by Columns.build
    loaded = session.identity_map.get(identity) if identity is not None else None
    if isinstance(loaded, Project):  # the session has it already: that one, as a query gives
        return ProjectAccess(project=loaded, user=access.user, role=access.role)
    session.add(access.project)
    return access


def visible_project_ids(user: User | None) -> CompoundSelect[int] | Select[int]:
    """The ids of the projects ``user`` may read: public ones and those they are a member of."""
    public = select(Project.id).where(Project.visibility == Visibility.PUBLIC)
    if user is None:
        return public
    return public.union(select(Membership.project_id).where(Membership.user_id == user.id))
