"""Project pages: the list, a new project, and a project's issue list with its filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from quart import Blueprint, flash, redirect, request, url_for

from quart_app.db import get_session, run_read
from quart_app.models import Visibility
from quart_app.rendering import render_template
from quart_app.security.auth import current_user, current_user_in
from quart_app.security.rate_limits import rate_limit
from quart_app.services import events, issue_lists, labels, milestones, projects
from quart_app.services.errors import InvalidInputError
from quart_app.services.issue_lists import Direction, IssueFilters, SortKey, StateFilter
from quart_app.services.pagination import PageRequest
from quart_app.web.forms import (
    FORM_ERRORS,
    PageResult,
    field_errors,
    login_required,
    page_number,
    project_for_page,
    render_form,
    signed_in_user,
)

blueprint = Blueprint("web_projects", __name__)
E = TypeVar("E", StateFilter, SortKey, Direction)
PROJECTS_PER_PAGE = 50
# The issue list's form: each field is a query parameter, so a filtered list is a shareable URL.
FILTER_FIELDS = ("state", "q", "labels", "assignee", "author", "milestone", "sort", "direction")


@blueprint.get("/projects")
@rate_limit("pages")
async def list_projects() -> PageResult:
    """Yours first (when signed in), then every public project."""
    session, user = get_session(), current_user()
    request_page = PageRequest(page=page_number(), per_page=PROJECTS_PER_PAGE)
    mine = await projects.list_projects(session, user, request_page, mine=True) if user else None
    visible = await projects.list_projects(session, user, request_page)
    return await render_template("projects/list.html", mine=mine, visible=visible)


@blueprint.get("/projects/new")
@rate_limit("pages")
@login_required
async def new_project() -> PageResult:
    return await render_template("projects/new.html", errors={}, values={"visibility": "private"})


@blueprint.post("/projects")
@rate_limit("forms")
@login_required
async def create_project() -> PageResult:
    form = await request.form
    values = {name: form.get(name, "") for name in ("key", "name", "description", "visibility")}
    session = get_session()
    try:
        project = await projects.create_project(
            session, owner=await current_user_in(session), key=values["key"],
            name=values["name"], description=values["description"],
            visibility=parse_visibility(values["visibility"]),
        )  # fmt: skip
    except FORM_ERRORS as error:
        return await render_form("projects/new.html", error, values)
    await session.commit()
    await flash(f"Project {project.key} is ready. Open its first issue.")
    return redirect(url_for("web_projects.project_issues", key=project.key))


def parse_visibility(value: str) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise InvalidInputError.field("visibility", "Choose private or public.") from None


@blueprint.get("/projects/<string:key>")
@rate_limit("pages")
async def project_issues(key: str) -> PageResult:
    """The issue list: filters, search, sorting and pages, all in the URL."""
    access = await project_for_page(key)
    session = get_session()
    values = {name: request.args.get(name, "") for name in FILTER_FIELDS}
    try:
        filters = issue_filters(values)
        page = await run_read(issue_lists.list_project_issues, access, filters)
        counts = await issue_lists.count_by_state(session, access, filters)
    except FORM_ERRORS as error:
        page, counts, filters = None, None, IssueFilters()
        errors = field_errors(error)
    else:
        errors = {}
    context = {
        "access": access, "page": page, "counts": counts, "filters": filters,
        "values": values, "errors": errors,
        "labels": await labels.list_labels(session, access),
        "milestones": await milestones.list_milestones(session, access),
        "live_after": await events.latest_event_id(session, access.project.id),
    }  # fmt: skip
    return await render_template("projects/issues.html", **context), 422 if errors else 200


def issue_filters(values: Mapping[str, str]) -> IssueFilters:
    """The filter form's values as the service's filters; a bad value names its field."""
    labels = tuple(name.strip() for name in values["labels"].split(",") if name.strip())
    return IssueFilters(
        state=choice(StateFilter, values["state"], StateFilter.OPEN, "state"),
        labels=labels,
        assignee=values["assignee"].strip() or None,
        author=values["author"].strip() or None,
        milestone=values["milestone"].strip() or None,
        query=values["q"][:200],
        sort=choice(SortKey, values["sort"], SortKey.CREATED, "sort"),
        direction=choice(Direction, values["direction"], Direction.DESC, "direction"),
        page=PageRequest(page=page_number()),
    )


def choice(kind: type[E], value: str, default: E, name: str) -> E:
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInputError.field(name, f"Choose one of: {allowed}.") from None


@blueprint.get("/dashboard")
@rate_limit("pages")
@login_required
async def dashboard() -> PageResult:
    """What needs you: open issues assigned to you, recent changes, your projects."""
    session, user = get_session(), signed_in_user()
    assigned = await issue_lists.list_my_issues(
        session, user, issue_lists.Relation.ASSIGNED, IssueFilters(sort=SortKey.UPDATED)
    )
    recent = await issue_lists.recently_updated(session, user)
    mine = await projects.list_projects(session, user, PageRequest(per_page=50), mine=True)
    return await render_template("dashboard.html", assigned=assigned, recent=recent, mine=mine)
