"""Labels per project. A label named "scope/value" is exclusive within its scope on an issue."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import Label, Role
from quart_app.services.access import ProjectAccess
from quart_app.services.errors import InvalidInputError, NotFoundError
from quart_app.services.validation import clean_text, unique_name

NAME_MAX = 50
DESCRIPTION_MAX = 200
COLOR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOR = "#6b7280"


def scope_of(name: str) -> str | None:
    """ "priority/high" is in scope "priority"; "a/b/c" in "a/b"; "bug" in none."""
    scope, slash, _value = name.rpartition("/")
    return scope if slash and scope else None


def clean_label_name(name: str) -> str:
    cleaned = clean_text("name", name, maximum=NAME_MAX)
    # Filters take labels as a comma-separated list; a comma in a name could not be asked for.
    if "," in cleaned:
        raise InvalidInputError.field("name", "A label name cannot contain a comma.")
    return cleaned


def clean_color(color: str) -> str:
    if not COLOR_PATTERN.fullmatch(color.strip()):
        raise InvalidInputError.field("color", "A colour is # and six hex digits, like #d73a4a.")
    return color.strip().lower()


async def list_labels(session: AsyncSession, access: ProjectAccess) -> list[Label]:
    rows = await session.scalars(
        select(Label).where(Label.project_id == access.project.id).order_by(Label.name)
    )
    return list(rows)


async def get_label(session: AsyncSession, access: ProjectAccess, label_id: int) -> Label:
    label = await session.scalar(
        select(Label).where(Label.id == label_id, Label.project_id == access.project.id)
    )
    if label is None:
        raise NotFoundError(f"{access.project.key} has no label {label_id}.")
    return label


async def create_label(
    session: AsyncSession,
    access: ProjectAccess,
    *,
    name: str,
    color: str = DEFAULT_COLOR,
    description: str = "",
) -> Label:
    access.require(Role.MAINTAINER, "manage labels")
    label = Label(
        project_id=access.project.id,
        name=clean_label_name(name),
        color=clean_color(color),
        description=clean_text("description", description, maximum=DESCRIPTION_MAX, required=False),
    )
    async with unique_name(session, field="name", value=label.name, what="label"):
        session.add(label)
    return label


async def update_label(
    session: AsyncSession,
    access: ProjectAccess,
    label_id: int,
    *,
    name: str | None = None,
    color: str | None = None,
    description: str | None = None,
) -> Label:
    """Change a label; issues keep it (their history shows the old name where it was used)."""
    access.require(Role.MAINTAINER, "manage labels")
    label = await get_label(session, access, label_id)
    new_name = clean_label_name(name) if name is not None else label.name
    new_color = clean_color(color) if color is not None else label.color
    new_description = (
        clean_text("description", description, maximum=DESCRIPTION_MAX, required=False)
        if description is not None
        else label.description
    )
    async with unique_name(session, field="name", value=new_name, what="label"):
        label.name, label.color, label.description = new_name, new_color, new_description
    return label


async def delete_label(session: AsyncSession, access: ProjectAccess, label_id: int) -> None:
    """Delete a label and take it off every issue (the database cascades)."""
    access.require(Role.MAINTAINER, "manage labels")
    label = await get_label(session, access, label_id)
    await session.execute(delete(Label).where(Label.id == label.id))
