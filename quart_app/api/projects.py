"""Projects and their members."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, Field
from quart import Blueprint, Response
from quart_schema import validate_querystring, validate_request, validate_response

from quart_app.api.access import project_for_reading, project_for_writing
from quart_app.api.common import (
    PageOut,
    PageQuery,
    RequestModel,
    UserRef,
    errors,
    page_response,
)
from quart_app.api.openapi import paginated, public
from quart_app.db import get_session
from quart_app.models import Membership, Role, Visibility
from quart_app.security.auth import current_user, current_user_in, require_api_user
from quart_app.security.rate_limits import rate_limit
from quart_app.services import members, projects
from quart_app.services.access import ProjectAccess

blueprint = Blueprint("api_projects", __name__, url_prefix="/api/v1")


class ProjectCreate(RequestModel):
    key: str = Field(max_length=10, description="2-10 letters or digits, like WEB")
    name: str = Field(max_length=projects.NAME_MAX)
    description: str = Field("", max_length=projects.DESCRIPTION_MAX)
    visibility: Visibility = Visibility.PRIVATE


class ProjectUpdate(RequestModel):
    name: str = Field(None, max_length=projects.NAME_MAX)  # type: ignore[assignment]
    description: str = Field(None, max_length=projects.DESCRIPTION_MAX)  # type: ignore[assignment]
    visibility: Visibility = Field(None)  # type: ignore[assignment]


class ProjectOut(BaseModel):
    key: str
    name: str
    description: str
    visibility: Visibility
    role: Role | None = Field(description="your role in the project; null if not a member")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, access: ProjectAccess) -> ProjectOut:
        project = access.project
        return cls(
            key=project.key, name=project.name, description=project.description,
            visibility=project.visibility, role=access.role, created_at=project.created_at,
            updated_at=project.updated_at,
        )  # fmt: skip


class ProjectScope(enum.StrEnum):
    VISIBLE = "visible"
    MINE = "mine"


class ProjectQuery(PageQuery):
    scope: ProjectScope = Field(
        ProjectScope.VISIBLE, description="visible: public ones and yours; mine: yours only"
    )


class ProjectPage(PageOut):
    items: list[ProjectOut]


class MemberIn(RequestModel):
    username: str = Field(max_length=40)
    role: Role = Role.REPORTER


class RoleIn(RequestModel):
    role: Role


class MemberOut(BaseModel):
    user: UserRef
    role: Role
    joined_at: datetime

    @classmethod
    def of(cls, membership: Membership) -> MemberOut:
        user = UserRef.of(membership.user)
        assert user is not None
        return cls(user=user, role=membership.role, joined_at=membership.created_at)


class MemberList(BaseModel):
    members: list[MemberOut]


@blueprint.get("/projects")
@public
@paginated
@rate_limit("api")
@validate_querystring(ProjectQuery)
@validate_response(ProjectPage)
@errors(400, 401, 422, 429)
async def list_projects(query_args: ProjectQuery) -> tuple[ProjectPage, int, dict[str, str]]:
    """Projects you can see (public ones and yours), by key; `scope=mine` for yours only."""
    user = current_user()
    if query_args.scope == ProjectScope.MINE:
        user = require_api_user()
    page = await projects.list_projects(
        get_session(), user, query_args.page_request(), mine=query_args.scope == ProjectScope.MINE
    )
    items = [ProjectOut.of(access) for access in page.items]
    return page_response(ProjectPage, items, page)


@blueprint.post("/projects")
@rate_limit("api")
@validate_request(ProjectCreate)
@validate_response(ProjectOut, 201)
@errors(400, 401, 403, 409, 422, 429)
async def create_project(data: ProjectCreate) -> tuple[ProjectOut, int]:
    """Create a project; you become its owner. Needs a verified email address."""
    require_api_user()
    session = get_session()
    owner = await current_user_in(session)
    project = await projects.create_project(
        session, owner=owner, key=data.key, name=data.name, description=data.description,
        visibility=data.visibility,
    )  # fmt: skip
    await session.commit()
    return ProjectOut.of(ProjectAccess(project=project, user=owner, role=Role.OWNER)), 201


@blueprint.get("/projects/<string:key>")
@public
@rate_limit("api")
@validate_response(ProjectOut)
@errors(400, 401, 404, 429)
async def get_project(key: str) -> ProjectOut:
    """One project. Private projects answer 404 to everyone but their members."""
    return ProjectOut.of(await project_for_reading(key))


@blueprint.patch("/projects/<string:key>")
@rate_limit("api")
@validate_request(ProjectUpdate)
@validate_response(ProjectOut)
@errors(400, 401, 403, 404, 422, 429)
async def update_project(key: str, data: ProjectUpdate) -> ProjectOut:
    """Change the name, description or visibility (owners only)."""
    access = await project_for_writing(key)
    session = get_session()
    await projects.update_project(
        session, access, name=data.name, description=data.description, visibility=data.visibility
    )
    await session.commit()
    return ProjectOut.of(access)


@blueprint.delete("/projects/<string:key>")
@rate_limit("api")
@errors(400, 401, 403, 404, 429)
async def delete_project(key: str) -> Response:
    """Delete the project with all its issues, comments, labels and milestones (owners only)."""
    access = await project_for_writing(key)
    session = get_session()
    await projects.delete_project(session, access)
    await session.commit()
    return Response(status=204)


@blueprint.get("/projects/<string:key>/members")
@public
@rate_limit("api")
@validate_response(MemberList)
@errors(400, 401, 404, 429)
async def list_members(key: str) -> MemberList:
    """Everyone in the project and their role."""
    access = await project_for_reading(key)
    found = await members.list_members(get_session(), access)
    return MemberList(members=[MemberOut.of(membership) for membership in found])


@blueprint.post("/projects/<string:key>/members")
@rate_limit("api")
@validate_request(MemberIn)
@validate_response(MemberOut, 201)
@errors(400, 401, 403, 404, 409, 422, 429)
async def add_member(key: str, data: MemberIn) -> tuple[MemberOut, int]:
    """Add someone by username, with a role (owners only; they need a verified email)."""
    access = await project_for_writing(key)
    session = get_session()
    membership = await members.add_member(session, access, username=data.username, role=data.role)
    await session.commit()
    return MemberOut.of(membership), 201


@blueprint.patch("/projects/<string:key>/members/<string:username>")
@rate_limit("api")
@validate_request(RoleIn)
@validate_response(MemberOut)
@errors(400, 401, 403, 404, 409, 422, 429)
async def change_member_role(key: str, username: str, data: RoleIn) -> MemberOut:
    """Change a member's role (owners only; a project keeps at least one owner)."""
    access = await project_for_writing(key)
    session = get_session()
    membership = await members.change_role(session, access, username=username, role=data.role)
    await session.commit()
    return MemberOut.of(membership)


@blueprint.delete("/projects/<string:key>/members/<string:username>")
@rate_limit("api")
@errors(400, 401, 403, 404, 409, 429)
async def remove_member(key: str, username: str) -> Response:
    """Remove a member (owners), or leave the project (yourself)."""
    access = await project_for_writing(key)
    session = get_session()
    await members.remove_member(session, access, username=username)
    await session.commit()
    return Response(status=204)
