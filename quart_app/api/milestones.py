"""Milestones of a project: due dates, and progress from their issues."""

from __future__ import annotations

import enum
from datetime import date, datetime

from pydantic import BaseModel, Field
from quart import Blueprint, Response
from quart_schema import validate_querystring, validate_request, validate_response

from quart_app.api.access import project_for_reading, project_for_writing
from quart_app.api.common import RequestModel, errors
from quart_app.api.openapi import public
from quart_app.db import get_session
from quart_app.security.rate_limits import rate_limit
from quart_app.services import milestones
from quart_app.services.milestones import MilestoneProgress

blueprint = Blueprint("api_milestones", __name__, url_prefix="/api/v1/projects/<string:key>")


class MilestoneState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class MilestoneCreate(RequestModel):
    title: str = Field(max_length=milestones.TITLE_MAX)
    description: str = Field("", max_length=milestones.DESCRIPTION_MAX)
    due_on: date | None = None


class MilestoneUpdate(RequestModel):
    title: str = Field(None, max_length=milestones.TITLE_MAX)  # type: ignore[assignment]
    description: str = Field(None, max_length=milestones.DESCRIPTION_MAX)  # type: ignore[assignment]
    due_on: date | None = None
    state: MilestoneState = Field(None)  # type: ignore[assignment]


class MilestoneOut(BaseModel):
    id: int
    title: str
    description: str
    due_on: date | None
    state: MilestoneState
    open_issues: int
    closed_issues: int
    percent_done: int = Field(description="closed issues as a percentage of all its issues")
    closed_at: datetime | None

    @classmethod
    def of(cls, progress: MilestoneProgress) -> MilestoneOut:
        milestone = progress.milestone
        state = MilestoneState.OPEN if milestone.closed_at is None else MilestoneState.CLOSED
        return cls(
            id=milestone.id, title=milestone.title, description=milestone.description,
            due_on=milestone.due_on, state=state, open_issues=progress.open_issues,
            closed_issues=progress.closed_issues, percent_done=progress.percent_done,
            closed_at=milestone.closed_at,
        )  # fmt: skip


class MilestoneQuery(RequestModel):
    state: str = Field("open", pattern="^(open|closed|all)$")


class MilestoneList(BaseModel):
    milestones: list[MilestoneOut]


@blueprint.get("/milestones")
@public
@rate_limit("api")
@validate_querystring(MilestoneQuery)
@validate_response(MilestoneList)
@errors(400, 401, 404, 422, 429)
async def list_milestones(key: str, query_args: MilestoneQuery) -> MilestoneList:
    """Milestones (open by default), soonest due first, with their progress."""
    access = await project_for_reading(key)
    found = await milestones.list_milestones(get_session(), access, state=query_args.state)
    return MilestoneList(milestones=[MilestoneOut.of(progress) for progress in found])


@blueprint.get("/milestones/<int:milestone_id>")
@public
@rate_limit("api")
@validate_response(MilestoneOut)
@errors(400, 401, 404, 429)
async def get_milestone(key: str, milestone_id: int) -> MilestoneOut:
    """One milestone with its progress."""
    access = await project_for_reading(key)
    return MilestoneOut.of(await milestones.get_milestone(get_session(), access, milestone_id))


@blueprint.post("/milestones")
@rate_limit("api")
@validate_request(MilestoneCreate)
@validate_response(MilestoneOut, 201)
@errors(400, 401, 403, 404, 409, 422, 429)
async def create_milestone(key: str, data: MilestoneCreate) -> tuple[MilestoneOut, int]:
    """Create a milestone (maintainers and owners)."""
    access = await project_for_writing(key)
    session = get_session()
    progress = await milestones.create_milestone(
        session, access, title=data.title, description=data.description, due_on=data.due_on
    )
    await session.commit()
    return MilestoneOut.of(progress), 201


@blueprint.patch("/milestones/<int:milestone_id>")
@rate_limit("api")
@validate_request(MilestoneUpdate)
@validate_response(MilestoneOut)
@errors(400, 401, 403, 404, 409, 422, 429)
async def update_milestone(key: str, milestone_id: int, data: MilestoneUpdate) -> MilestoneOut:
    """Change a milestone, or close and reopen it with `state` (maintainers and owners)."""
    access = await project_for_writing(key)
    session = get_session()
    changes = data.model_dump(include=data.model_fields_set)
    progress = await milestones.update_milestone(session, access, milestone_id, changes=changes)
    await session.commit()
    return MilestoneOut.of(progress)


@blueprint.delete("/milestones/<int:milestone_id>")
@rate_limit("api")
@errors(400, 401, 403, 404, 429)
async def delete_milestone(key: str, milestone_id: int) -> Response:
    """Delete a milestone; its issues stay, without one (maintainers and owners)."""
    access = await project_for_writing(key)
    session = get_session()
    await milestones.delete_milestone(session, access, milestone_id)
    await session.commit()
    return Response(status=204)
