"""Bulk writes: the planned rows go in with Core ``insert(Table)`` executemany, a batch at a time.

Ids come from the database (autoincrement on SQLite, sequences on PostgreSQL), so the app's own
inserts carry on after ours; where a later table needs them, they are read back by natural key
(username, project key, issue number, comment time), one query per table or project.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from quart_app.loadseed.cast import Cast, ProjectPlan
from quart_app.loadseed.history import IssuePlan
from quart_app.markdown import render_markdown
from quart_app.models import (
    ApiToken,
    Comment,
    Issue,
    IssueAssignee,
    IssueEvent,
    IssueLabel,
    IssueSearchDocument,
    Label,
    Membership,
    Milestone,
    Project,
    Role,
    TokenScope,
    User,
)
from quart_app.security.tokens import token_hash
from quart_app.services import events
from quart_app.services.api_tokens import TOKEN_PREFIX
from quart_app.services.search import search_document

BATCH_ROWS = 5_000
TOKEN_NAME = "load test"  # noqa: S105 (its name, not a secret)


@dataclass
class Ids:
    """Database ids of what was written, by the plan's names for it."""

    users: dict[str, int] = field(default_factory=dict)  # username -> id
    projects: dict[str, int] = field(default_factory=dict)  # key -> id
    labels: dict[tuple[int, str], int] = field(default_factory=dict)  # (project id, name) -> id
    milestones: dict[tuple[int, str], int] = field(default_factory=dict)  # (project id, title)


async def insert_rows(
    connection: AsyncConnection, table: Any, rows: Sequence[dict[str, Any]]
) -> None:
    for start in range(0, len(rows), BATCH_ROWS):
        await connection.execute(insert(table), list(rows[start : start + BATCH_ROWS]))


async def write_users(
    connection: AsyncConnection, cast: Cast, password_hash: str, tokens: list[str]
) -> dict[str, int]:
    """Verified, not admin, one shared password hash; one read-write API token each."""
    await insert_rows(connection, User, [
        dict(
            username=user.username, display_name="", email=user.email, password_hash=password_hash,
            email_verified_at=user.created_at, is_admin=False, disabled_at=None,
            created_at=user.created_at, updated_at=user.created_at,
        )
        for user in cast.users
    ])  # fmt: skip
    ids = {name: id_ for name, id_ in await connection.execute(select(User.username, User.id))}
    await insert_rows(connection, ApiToken, [
        dict(
            user_id=ids[user.username], name=TOKEN_NAME, token_hash=token_hash(secret),
            prefix=secret[: len(TOKEN_PREFIX) + 4],  # as services/api_tokens.py stores it
            scope=TokenScope.READ_WRITE, created_at=cast.now, expires_at=None, last_used_at=None,
            revoked_at=None,
        )
        for user, secret in zip(cast.users, tokens, strict=True)
    ])  # fmt: skip
    return ids


async def write_projects(connection: AsyncConnection, cast: Cast, ids: Ids) -> None:
    """Projects (issue counters set as their issues are written), members, labels, milestones."""
    await insert_rows(connection, Project, [
        dict(
            key=p.key, name=p.name, description=p.description, visibility=p.visibility,
            last_issue_number=0, created_at=p.created_at, updated_at=p.created_at,
        )
        for p in cast.projects
    ])  # fmt: skip
    keys = await connection.execute(select(Project.key, Project.id))
    ids.projects = {key: id_ for key, id_ in keys}
    await insert_rows(connection, Membership, membership_rows(cast, ids))
    await insert_rows(connection, Label, [
        dict(
            project_id=ids.projects[p.key], name=label.name, color=label.color,
            description=label.description, created_at=p.created_at + timedelta(minutes=5),
        )
        for p in cast.projects
        for label in p.labels
    ])  # fmt: skip
    await insert_rows(connection, Milestone, [
        dict(
            project_id=ids.projects[p.key], title=m.title, description=m.description,
            due_on=m.due_on, closed_at=m.closed_at, created_at=m.created_at,
            updated_at=m.closed_at or m.created_at,
        )
        for p in cast.projects
        for m in p.milestones
    ])  # fmt: skip
    labels = await connection.execute(select(Label.project_id, Label.name, Label.id))
    ids.labels = {(project_id, name): id_ for project_id, name, id_ in labels}
    milestones = await connection.execute(
        select(Milestone.project_id, Milestone.title, Milestone.id)
    )
    ids.milestones = {(project_id, title): id_ for project_id, title, id_ in milestones}


def membership_rows(cast: Cast, ids: Ids) -> list[dict[str, Any]]:
    """The owner joins as the project is created; the others over the next days, in turn."""
    rows = []
    for project in cast.projects:
        owners_first = sorted(project.members.items(), key=lambda item: item[1] != Role.OWNER)
        for position, (user, role) in enumerate(owners_first):
            rows.append(dict(
                project_id=ids.projects[project.key], user_id=ids.users[cast.users[user].username],
                role=role, created_at=project.created_at + timedelta(minutes=7 * position),
            ))  # fmt: skip
    return rows


async def write_issues(
    connection: AsyncConnection, cast: Cast, ids: Ids, project: ProjectPlan, issues: list[IssuePlan]
) -> int:
    """The project's issues with their labels, assignees, comments, events and search documents;
    returns how many events were written."""
    html = rendered_bodies(issues)
    project_id = ids.projects[project.key]
    user_ids = [ids.users[user.username] for user in cast.users]
    await insert_rows(
        connection, Issue, [issue_row(project_id, issue, ids, user_ids, html) for issue in issues]
    )
    numbers = select(Issue.number, Issue.id).where(Issue.project_id == project_id)
    issue_ids = {number: id_ for number, id_ in await connection.execute(numbers)}
    await write_triage(connection, project_id, issues, issue_ids, ids, user_ids)
    await insert_rows(connection, Comment, comment_rows(issues, issue_ids, user_ids, html))
    comment_ids = await read_comment_ids(connection, project_id)
    event_rows = issue_event_rows(project_id, issues, issue_ids, comment_ids, user_ids)
    await insert_rows(connection, IssueEvent, event_rows)
    await insert_rows(connection, IssueSearchDocument, [
        dict(
            issue_id=issue_ids[issue.number],
            document=search_document(issue.title, issue.body, *(c.body for c in issue.comments)),
        )
        for issue in issues
    ])  # fmt: skip
    await finish_project(connection, project_id, project, issues)
    return len(event_rows)


async def write_triage(
    connection: AsyncConnection,
    project_id: int,
    issues: list[IssuePlan],
    issue_ids: dict[int, int],
    ids: Ids,
    user_ids: list[int],
) -> None:
    await insert_rows(connection, IssueLabel, [
        dict(issue_id=issue_ids[issue.number], label_id=ids.labels[project_id, name])
        for issue in issues
        for name in issue.labels
    ])  # fmt: skip
    await insert_rows(connection, IssueAssignee, [
        dict(issue_id=issue_ids[issue.number], user_id=user_ids[user])
        for issue in issues
        for user in issue.assignees
    ])  # fmt: skip


def rendered_bodies(issues: list[IssuePlan]) -> dict[str, str]:
    """Each distinct issue and comment body's HTML, as the models store it (``body_html``).

    Nearly every planned body is different, so for the default dataset this is ~40 s of CPU,
    as much as the rest of seeding. A worker process could render while this one writes, but on
    a shared two-core machine that gained nothing, so it stays simple.
    """
    bodies = {issue.body for issue in issues}
    bodies.update(comment.body for issue in issues for comment in issue.comments)
    return {body: render_markdown(body) for body in bodies}


def comment_rows(
    issues: list[IssuePlan], issue_ids: dict[int, int], user_ids: list[int], html: dict[str, str]
) -> list[dict[str, Any]]:
    return [
        dict(
            issue_id=issue_ids[issue.number], author_id=user_ids[comment.author], body=comment.body,
            body_html=html[comment.body], version=1, created_at=comment.created_at,
            updated_at=comment.created_at,
        )
        for issue in issues
        for comment in issue.comments
    ]  # fmt: skip


def issue_row(
    project_id: int, issue: IssuePlan, ids: Ids, user_ids: list[int], html: dict[str, str]
) -> dict[str, Any]:
    milestone = ids.milestones[project_id, issue.milestone] if issue.milestone else None
    return dict(
        project_id=project_id, number=issue.number, title=issue.title, body=issue.body,
        body_html=html[issue.body],
        state=issue.state, close_reason=issue.close_reason, author_id=user_ids[issue.author],
        milestone_id=milestone, comment_count=len(issue.comments), version=issue.version,
        closed_at=issue.closed_at, created_at=issue.created_at, updated_at=issue.updated_at,
    )  # fmt: skip


async def read_comment_ids(
    connection: AsyncConnection, project_id: int
) -> dict[tuple[int, datetime], int]:
    """Comment ids by (issue id, created_at): unique, since an issue's comments are planned
    at least a microsecond apart."""
    rows = await connection.execute(
        select(Comment.issue_id, Comment.created_at, Comment.id)
        .join(Issue, Issue.id == Comment.issue_id)
        .where(Issue.project_id == project_id)
    )
    return {(issue_id, created_at): id_ for issue_id, created_at, id_ in rows}


def issue_event_rows(
    project_id: int,
    issues: list[IssuePlan],
    issue_ids: dict[int, int],
    comment_ids: dict[tuple[int, datetime], int],
    user_ids: list[int],
) -> list[dict[str, Any]]:
    """Every event of the project, oldest first, so ids grow with time as the app's would
    (the timeline orders by id, the live streams read ids after the last one they sent)."""
    ordered = sorted(
        ((event.created_at, issue.number, position, issue, event)
         for issue in issues for position, event in enumerate(issue.events)),
        key=lambda item: item[:3],
    )  # fmt: skip
    rows = []
    for _moment, _number, _position, issue, event in ordered:
        issue_id = issue_ids[issue.number]
        data = event.data
        if event.kind == events.COMMENTED and event.comment is not None:
            moment = issue.comments[event.comment].created_at
            data = {"comment_id": comment_ids[issue_id, moment]}
        rows.append(dict(
            project_id=project_id, issue_id=issue_id, actor_id=user_ids[event.actor],
            kind=event.kind, data=data, created_at=event.created_at,
        ))  # fmt: skip
    return rows


async def finish_project(
    connection: AsyncConnection, project_id: int, project: ProjectPlan, issues: list[IssuePlan]
) -> None:
    """The issue counter, as allocate_issue_number leaves it (which also moves updated_at)."""
    last_opened = issues[-1].created_at if issues else project.created_at
    await connection.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(last_issue_number=len(issues), updated_at=last_opened)
    )
