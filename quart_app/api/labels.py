"""Labels of a project: what maintainers triage issues with."""

from __future__ import annotations

from pydantic import BaseModel, Field
from quart import Blueprint, Response
from quart_schema import validate_request, validate_response

from quart_app.api.access import project_for_reading, project_for_writing
from quart_app.api.common import RequestModel, errors
from quart_app.api.openapi import public
from quart_app.db import get_session
from quart_app.models import Label
from quart_app.security.rate_limits import rate_limit
from quart_app.services import labels

blueprint = Blueprint("api_labels", __name__, url_prefix="/api/v1/projects/<string:key>")


class LabelCreate(RequestModel):
    name: str = Field(max_length=labels.NAME_MAX, description='"scope/value" is exclusive')
    color: str = Field(labels.DEFAULT_COLOR, pattern=r"^#[0-9a-fA-F]{6}$")
    description: str = Field("", max_length=labels.DESCRIPTION_MAX)


class LabelUpdate(RequestModel):
    name: str = Field(None, max_length=labels.NAME_MAX)  # type: ignore[assignment]
    color: str = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")  # type: ignore[assignment]
    description: str = Field(None, max_length=labels.DESCRIPTION_MAX)  # type: ignore[assignment]


class LabelOut(BaseModel):
    id: int
    name: str
    color: str
    description: str
    scope: str | None = Field(description="labels of one scope are exclusive on an issue")

    @classmethod
    def of(cls, label: Label) -> LabelOut:
        return cls(
            id=label.id, name=label.name, color=label.color, description=label.description,
            scope=labels.scope_of(label.name),
        )  # fmt: skip


class LabelList(BaseModel):
    labels: list[LabelOut]


@blueprint.get("/labels")
@public
@rate_limit("api")
@validate_response(LabelList)
@errors(400, 401, 404, 429)
async def list_labels(key: str) -> LabelList:
    """The project's labels, by name."""
    access = await project_for_reading(key)
    found = await labels.list_labels(get_session(), access)
    return LabelList(labels=[LabelOut.of(label) for label in found])


@blueprint.post("/labels")
@rate_limit("api")
@validate_request(LabelCreate)
@validate_response(LabelOut, 201)
@errors(400, 401, 403, 404, 409, 422, 429)
async def create_label(key: str, data: LabelCreate) -> tuple[LabelOut, int]:
    """Create a label (maintainers and owners)."""
    access = await project_for_writing(key)
    session = get_session()
    label = await labels.create_label(
        session, access, name=data.name, color=data.color, description=data.description
    )
    await session.commit()
    return LabelOut.of(label), 201


@blueprint.patch("/labels/<int:label_id>")
@rate_limit("api")
@validate_request(LabelUpdate)
@validate_response(LabelOut)
@errors(400, 401, 403, 404, 409, 422, 429)
async def update_label(key: str, label_id: int, data: LabelUpdate) -> LabelOut:
    """Rename or recolour a label (maintainers and owners)."""
    access = await project_for_writing(key)
    session = get_session()
    label = await labels.update_label(
        session, access, label_id, name=data.name, color=data.color, description=data.description
    )
    await session.commit()
    return LabelOut.of(label)


@blueprint.delete("/labels/<int:label_id>")
@rate_limit("api")
@errors(400, 401, 403, 404, 429)
async def delete_label(key: str, label_id: int) -> Response:
    """Delete a label; it comes off every issue (maintainers and owners)."""
    access = await project_for_writing(key)
    session = get_session()
    await labels.delete_label(session, access, label_id)
    await session.commit()
    return Response(status=204)
