"""Issue pages: open one, read it with its timeline, comment, edit, close, triage, delete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from quart import Blueprint, flash, redirect, request, url_for

from quart_app.db import get_session, run_read
from quart_app.markdown import render_markdown
from quart_app.models import CloseReason, Issue, IssueState, Role
from quart_app.rendering import render_template
from quart_app.security.rate_limits import rate_limit
from quart_app.services import (
    comments,
    issue_view,
    issues,
)
from quart_app.services.access import ProjectAccess
from quart_app.services.errors import InvalidInputError, NotFoundError
from quart_app.services.pagination import MAX_PER_PAGE, PageRequest
from quart_app.services.versions import ANY_VERSION
from quart_app.web.forms import (
    FORM_ERRORS,
    PageResult,
    field_errors,
    login_required,
    page_number,
    project_for_form,
    project_for_page,
    version_from,
    whole_number,
)

blueprint = Blueprint("web_issues", __name__, url_prefix="/projects/<string:key>/issues")
ISSUE = "/<int:number>"
Action = Callable[[ProjectAccess], Awaitable[Any]]


def wants_preview(form: Mapping[str, str]) -> bool:
    """The form's "Preview" button (the page works without JavaScript: the server renders it)."""
    return form.get("intent") == "preview"


@blueprint.get("/new")
@rate_limit("pages")
@login_required
async def new_issue(key: str) -> PageResult:
    access = await project_for_page(key)
    access.require(Role.REPORTER, "open issues")
    return await render_template("issues/new.html", access=access, errors={}, values={})


@blueprint.post("")
@rate_limit("forms")
@login_required
async def create_issue(key: str) -> PageResult:
    access = await project_for_form(key)
    form = await request.form
    values = {"title": form.get("title", ""), "body": form.get("body", "")}
    if wants_preview(form):
        access.require(Role.REPORTER, "open issues")  # as the form's own page does
        preview = render_markdown(values["body"])
        return await render_template(
            "issues/new.html", access=access, errors={}, values=values, preview=preview
        )
    session = get_session()
    try:
        issue = await issues.create_issue(
            session, access, title=values["title"], body=values["body"]
        )
    except FORM_ERRORS as error:
        page = await render_template(
            "issues/new.html", access=access, errors=field_errors(error), values=values
        )
        return page, 422
    await session.commit()
    await flash(f"Issue {access.project.key}-{issue.number} is open.")
    return redirect(url_for("web_issues.show_issue", key=access.project.key, number=issue.number))


@blueprint.get(ISSUE)
@rate_limit("pages")
async def show_issue(key: str, number: int) -> PageResult:
    return await render_issue(await project_for_page(key), number)


async def render_issue(
    access: ProjectAccess,
    number: int,
    errors: dict[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
    preview: str | None = None,
) -> PageResult:
    """The issue page; after a refused form, with the user's input and the message kept."""
    timeline_page = PageRequest(page=page_number(), per_page=MAX_PER_PAGE)
    view = await run_read(issue_view.issue_view, access, number, timeline_page)
    context: dict[str, Any] = {
        "access": access, "issue": view.issue, "timeline": view.timeline,
        "comments": view.comments, "live_after": view.live_after, "members": view.members,
        "deletable_comments": {
            comment_id for comment_id, comment in view.comments.items()
            if access.can_delete_comment(comment)
        },
        "labels": view.labels, "milestones": view.milestones, "errors": errors or {},
        "values": values or {}, "preview": preview, "close_reasons": list(CloseReason),
    }  # fmt: skip
    return await render_template("issues/show.html", **context), status


async def apply(key: str, number: int, action: Action, done: str | None) -> PageResult:
    """POST/Redirect/GET for the issue page's forms; a refusal re-renders the page with the
    form's input kept and the message beside its field."""
    access = await project_for_form(key)
    form = await request.form
    try:
        await action(access)
    except FORM_ERRORS as error:
        return await render_issue(access, number, field_errors(error), form, 422)
    await get_session().commit()
    if done:
        await flash(done)
    return redirect(url_for("web_issues.show_issue", key=access.project.key, number=number))


@blueprint.post(f"{ISSUE}/comments")
@rate_limit("forms")
@login_required
async def add_comment(key: str, number: int) -> PageResult:
    form = await request.form
    if wants_preview(form):
        access = await project_for_form(key)
        access.require(Role.REPORTER, "comment")
        preview = render_markdown(form.get("body", ""))
        return await render_issue(access, number, values=form, preview=preview)

    async def comment(access: ProjectAccess) -> None:
        await comments.add_comment(get_session(), access, number, body=form.get("body", ""))

    return await apply(key, number, comment, "Your comment is posted.")


@blueprint.post(f"{ISSUE}/comments/delete")
@rate_limit("forms")
@login_required
async def delete_comment(key: str, number: int) -> PageResult:
    """The page's one delete form: each comment's Delete button sends its ``comment_id``.

    One form, not one per comment: a long timeline built a form action and a CSRF field for
    every comment, a sixth of its page's time (docs/performance.md).
    """
    form = await request.form

    async def delete(access: ProjectAccess) -> None:
        typed = form.get("comment_id", "")
        comment_id = whole_number(typed)
        if comment_id is None:
            raise NotFoundError(f"#{number} has no comment {typed[:40]!r}.")
        await comments.delete_comment(
            get_session(), access, number, comment_id, if_match=ANY_VERSION
        )

    return await apply(key, number, delete, "The comment is deleted.")


@blueprint.post(f"{ISSUE}/edit")
@rate_limit("forms")
@login_required
async def edit_issue(key: str, number: int) -> PageResult:
    """Title and body, against the version the form was loaded from (no silent overwrite)."""
    form = await request.form

    def changes() -> issues.IssueChanges:
        return issues.IssueChanges(title=form.get("title", ""), body=form.get("body", ""))

    return await apply(key, number, updater(number, changes, form), "The issue is saved.")


@blueprint.post(f"{ISSUE}/state")
@rate_limit("forms")
@login_required
async def change_state(key: str, number: int) -> PageResult:
    form = await request.form
    closing = form.get("state") == IssueState.CLOSED

    def changes() -> issues.IssueChanges:  # inside apply(): a bad reason shows on the form
        return issues.IssueChanges(
            state=IssueState.CLOSED if closing else IssueState.OPEN,
            close_reason=parse_reason(form.get("close_reason", "")) if closing else None,
        )

    done = "The issue is closed." if closing else "The issue is open again."
    return await apply(key, number, updater(number, changes, form), done)


def updater(
    number: int, changes: Callable[[], issues.IssueChanges], form: Mapping[str, str]
) -> Action:
    """Apply ``changes()`` (built inside apply(), so a bad value is refused on the form)
    against the version the form was loaded from."""

    async def update(access: ProjectAccess) -> Issue:
        session, if_match = get_session(), version_from(form)
        return await issues.update_issue(session, access, number, changes(), if_match=if_match)

    return update


def parse_reason(value: str) -> CloseReason:
    try:
        return CloseReason(value or CloseReason.COMPLETED)
    except ValueError:
        raise InvalidInputError.field("close_reason", "Choose why the issue is closed.") from None


@blueprint.post(f"{ISSUE}/labels")
@rate_limit("forms")
@login_required
async def add_label(key: str, number: int) -> PageResult:
    name = (await request.form).get("label", "")

    async def add(access: ProjectAccess) -> None:
        await issues.add_labels(get_session(), access, number, [name])

    return await apply(key, number, add, None)


@blueprint.post(f"{ISSUE}/labels/<int:label_id>/remove")
@rate_limit("forms")
@login_required
async def remove_label(key: str, number: int, label_id: int) -> PageResult:
    async def remove(access: ProjectAccess) -> None:
        await issues.remove_label(get_session(), access, number, label_id)

    return await apply(key, number, remove, None)


@blueprint.post(f"{ISSUE}/assignees")
@rate_limit("forms")
@login_required
async def add_assignee(key: str, number: int) -> PageResult:
    username = (await request.form).get("assignee", "")

    async def add(access: ProjectAccess) -> None:
        if not username.strip():
            raise InvalidInputError.field("assignee", "Choose someone to assign.")
        await issues.add_assignees(get_session(), access, number, [username])

    return await apply(key, number, add, None)


@blueprint.post(f"{ISSUE}/assignees/<string:username>/remove")
@rate_limit("forms")
@login_required
async def remove_assignee(key: str, number: int, username: str) -> PageResult:
    async def remove(access: ProjectAccess) -> None:
        await issues.remove_assignee(get_session(), access, number, username)

    return await apply(key, number, remove, None)


@blueprint.post(f"{ISSUE}/milestone")
@rate_limit("forms")
@login_required
async def set_milestone(key: str, number: int) -> PageResult:
    title = (await request.form).get("milestone", "").strip()
    changes = issues.IssueChanges(milestone=title or None)

    async def update(access: ProjectAccess) -> None:
        await issues.update_issue(get_session(), access, number, changes, if_match=ANY_VERSION)

    return await apply(key, number, update, None)


@blueprint.post(f"{ISSUE}/delete")
@rate_limit("forms")
@login_required
async def delete_issue(key: str, number: int) -> PageResult:
    access = await project_for_form(key)
    session = get_session()
    await issues.delete_issue(session, access, number, if_match=ANY_VERSION)
    await session.commit()
    await flash(f"Issue {access.project.key}-{number} is deleted.")
    return redirect(url_for("web_projects.project_issues", key=access.project.key))
