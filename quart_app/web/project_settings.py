"""A project's settings pages: details and deletion, members, labels, milestones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from quart import Blueprint, flash, redirect, request, url_for
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.db import get_session
from quart_app.models import Project, Role
from quart_app.rendering import render_template
from quart_app.security.rate_limits import rate_limit
from quart_app.services import labels, members, milestones, projects
from quart_app.services.access import ProjectAccess
from quart_app.services.errors import InvalidInputError
from quart_app.web.forms import (
    FORM_ERRORS,
    PageResult,
    field_errors,
    login_required,
    project_for_form,
    project_for_page,
)
from quart_app.web.projects import parse_visibility

blueprint = Blueprint(
    "web_project_settings", __name__, url_prefix="/projects/<string:key>/settings"
)
Action = Callable[[AsyncSession, ProjectAccess], Awaitable[Any]]
# Each tab: its template, the role that may open it, and the endpoint that shows it.
TABS = {
    "general": ("projects/settings.html", Role.OWNER, "general"),
    "members": ("projects/members.html", Role.OWNER, "members_tab"),
    "labels": ("projects/labels.html", Role.MAINTAINER, "labels_tab"),
    "milestones": ("projects/milestones.html", Role.MAINTAINER, "milestones_tab"),
}


async def render_tab(
    access: ProjectAccess,
    tab: str,
    errors: dict[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> PageResult:
    template, role, _endpoint = TABS[tab]
    access.require(role, f"change the project's {tab}")
    session = get_session()
    context: dict[str, Any] = {"access": access, "tab": tab}
    if tab == "members":
        context["members"] = await members.list_members(session, access)
    elif tab == "labels":
        context["labels"] = await labels.list_labels(session, access)
    elif tab == "milestones":
        context["milestones"] = await milestones.list_milestones(session, access)
    page = await render_template(template, errors=errors or {}, values=values or {}, **context)
    return page, status


async def apply(key: str, tab: str, action: Action, done: str) -> PageResult:
    """POST/Redirect/GET: run ``action``, then back to the tab with ``done`` flashed; a refusal
    re-renders the tab with the form's values and the message beside the field."""
    access = await project_for_form(key)
    session = get_session()
    form = await request.form
    try:
        await action(session, access)
    except FORM_ERRORS as error:
        return await render_tab(access, tab, field_errors(error), form, 422)
    await session.commit()
    await flash(done)
    endpoint = TABS[tab][2]
    return redirect(url_for(f"web_project_settings.{endpoint}", key=access.project.key))


@blueprint.get("")
@rate_limit("pages")
@login_required
async def general(key: str) -> PageResult:
    access = await project_for_page(key)
    return await render_tab(access, "general", values=details_of(access.project))


def details_of(project: Project) -> dict[str, str]:
    """The details form as the project is now."""
    return {
        "name": project.name,
        "description": project.description,
        "visibility": project.visibility,
    }


@blueprint.post("")
@rate_limit("forms")
@login_required
async def update_details(key: str) -> PageResult:
    form = await request.form

    async def update(session: AsyncSession, access: ProjectAccess) -> None:
        await projects.update_project(
            session, access, name=form.get("name", ""), description=form.get("description", ""),
            visibility=parse_visibility(form.get("visibility", "")),
        )  # fmt: skip

    return await apply(key, "general", update, "The project's details are saved.")


@blueprint.post("/delete")
@rate_limit("forms")
@login_required
async def delete_project(key: str) -> PageResult:
    """Deleting needs the key typed again: it takes every issue with it."""
    access = await project_for_form(key)
    session = get_session()
    form = await request.form
    if form.get("confirm_key", "").strip().upper() != access.project.key:
        error = InvalidInputError.field("confirm_key", f"Type {access.project.key} to confirm.")
        return await render_tab(
            access, "general", field_errors(error), details_of(access.project), 422
        )
    await projects.delete_project(session, access)
    await session.commit()
    await flash(f"Project {access.project.key} and all its issues are deleted.")
    return redirect(url_for("web_projects.list_projects"))


@blueprint.get("/members")
@rate_limit("pages")
@login_required
async def members_tab(key: str) -> PageResult:
    return await render_tab(await project_for_page(key), "members", values={"role": "reporter"})


@blueprint.post("/members")
@rate_limit("forms")
@login_required
async def add_member(key: str) -> PageResult:
    form = await request.form
    username = form.get("username", "")

    async def add(session: AsyncSession, access: ProjectAccess) -> None:
        await members.add_member(session, access, username=username, role=parse_role(form))

    return await apply(key, "members", add, f"{username} joined the project.")


@blueprint.post("/members/<string:username>/role")
@rate_limit("forms")
@login_required
async def change_role(key: str, username: str) -> PageResult:
    form = await request.form

    async def change(session: AsyncSession, access: ProjectAccess) -> None:
        await members.change_role(session, access, username=username, role=parse_role(form))

    return await apply(key, "members", change, f"{username}'s role is changed.")


@blueprint.post("/members/<string:username>/remove")
@rate_limit("forms")
@login_required
async def remove_member(key: str, username: str) -> PageResult:
    async def remove(session: AsyncSession, access: ProjectAccess) -> None:
        await members.remove_member(session, access, username=username)

    return await apply(key, "members", remove, f"{username} is no longer a member.")


def parse_role(form: Mapping[str, str]) -> Role:
    try:
        return Role(form.get("role", ""))
    except ValueError:
        raise InvalidInputError.field("role", "Choose owner, maintainer or reporter.") from None


@blueprint.get("/labels")
@rate_limit("pages")
@login_required
async def labels_tab(key: str) -> PageResult:
    values = {"color": labels.DEFAULT_COLOR}
    return await render_tab(await project_for_page(key), "labels", values=values)


@blueprint.post("/labels")
@rate_limit("forms")
@login_required
async def create_label(key: str) -> PageResult:
    form = await request.form

    async def create(session: AsyncSession, access: ProjectAccess) -> None:
        await labels.create_label(
            session, access, name=form.get("name", ""),
            color=form.get("color", labels.DEFAULT_COLOR), description=form.get("description", ""),
        )  # fmt: skip

    return await apply(key, "labels", create, f"Label {form.get('name', '').strip()} created.")


@blueprint.post("/labels/<int:label_id>/delete")
@rate_limit("forms")
@login_required
async def delete_label(key: str, label_id: int) -> PageResult:
    async def delete(session: AsyncSession, access: ProjectAccess) -> None:
        await labels.delete_label(session, access, label_id)

    return await apply(key, "labels", delete, "The label is deleted and taken off its issues.")


@blueprint.get("/milestones")
@rate_limit("pages")
@login_required
async def milestones_tab(key: str) -> PageResult:
    return await render_tab(await project_for_page(key), "milestones")


@blueprint.post("/milestones")
@rate_limit("forms")
@login_required
async def create_milestone(key: str) -> PageResult:
    form = await request.form

    async def create(session: AsyncSession, access: ProjectAccess) -> None:
        await milestones.create_milestone(
            session, access, title=form.get("title", ""),
            description=form.get("description", ""), due_on=parse_date(form.get("due_on", "")),
        )  # fmt: skip

    return await apply(key, "milestones", create, f"Milestone {form.get('title', '')} created.")


@blueprint.post("/milestones/<int:milestone_id>/state")
@rate_limit("forms")
@login_required
async def set_milestone_state(key: str, milestone_id: int) -> PageResult:
    state = "closed" if (await request.form).get("state") == "closed" else "open"

    async def change(session: AsyncSession, access: ProjectAccess) -> None:
        changes: dict[str, object] = {"state": state}
        await milestones.update_milestone(session, access, milestone_id, changes=changes)

    return await apply(key, "milestones", change, f"The milestone is {state}.")


@blueprint.post("/milestones/<int:milestone_id>/delete")
@rate_limit("forms")
@login_required
async def delete_milestone(key: str, milestone_id: int) -> PageResult:
    async def delete(session: AsyncSession, access: ProjectAccess) -> None:
        await milestones.delete_milestone(session, access, milestone_id)

    return await apply(key, "milestones", delete, "The milestone is deleted; its issues stay.")


def parse_date(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError.field("due_on", "Use a date like 2026-12-31.") from None
