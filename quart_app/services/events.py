"""The events table: every change to an issue, read back as its timeline and the project feed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, selectinload

from quart_app.models import Issue, IssueEvent, User
from quart_app.services.access import ProjectAccess
from quart_app.services.pagination import Page, PageRequest, paginate

# What each kind carries in ``data``: "before"/"after" values, stored as names (not ids), so
# the history still reads right after a label, milestone or account is renamed or deleted.
OPENED = "opened"
TITLE_CHANGED = "title_changed"  # before, after
BODY_EDITED = "body_edited"
CLOSED = "closed"  # before "open", after "closed", reason
REOPENED = "reopened"  # before "closed", after "open"
LABELED = "labeled"  # after: label name
UNLABELED = "unlabeled"  # before: label name
ASSIGNED = "assigned"  # after: username
UNASSIGNED = "unassigned"  # before: username
MILESTONED = "milestoned"  # before, after: milestone titles or null
COMMENTED = "commented"  # comment_id
# In Session.info: the projects whose events this transaction wrote (live.py wakes their streams
# on commit). Events added to the session are noted when flushed; insert_event notes its own.
CHANGED_PROJECTS = "changed_projects"
INSERT_EVENT = insert(cast(Table, IssueEvent.__table__))


def record_event(
    session: AsyncSession, issue: Issue, actor: User | None, kind: str, **data: Any
) -> IssueEvent:
    event = IssueEvent(
        project_id=issue.project_id,
        issue_id=issue.id,
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        data=data,
    )
    session.add(event)
    return event


def insert_event(
    session: Session, issue: Issue, actor: User | None, kind: str, **data: Any
) -> None:
    """``record_event`` as one prepared INSERT, at once: no ORM object, no flush.

    Synchronous, for a function the hot create path runs through ``AsyncSession.run_sync``.
    """
    values = {
        "project_id": issue.project_id, "issue_id": issue.id,
        "actor_id": actor.id if actor is not None else None, "kind": kind, "data": data,
    }  # fmt: skip
    session.connection().execute(INSERT_EVENT, values)
    session.info.setdefault(CHANGED_PROJECTS, set()).add(issue.project_id)


async def project_activity(
    session: AsyncSession, access: ProjectAccess, request: PageRequest
) -> Page[IssueEvent]:
    """The project's events, newest first, each with its issue and actor loaded."""
    statement = (
        select(IssueEvent)
        .where(IssueEvent.project_id == access.project.id)
        .options(selectinload(IssueEvent.actor), selectinload(IssueEvent.issue))
        .order_by(IssueEvent.created_at.desc(), IssueEvent.id.desc())
    )
    return await paginate(session, statement, request)


@dataclass(frozen=True)
class Change:
    """One event as a live stream sends it: which issue changed, and how."""

    id: int
    issue_number: int
    kind: str


async def latest_event_id(session: AsyncSession, project_id: int) -> int:
    """Where a live stream starts: changes after this are news to a page rendered now."""
    latest = await session.scalar(
        select(func.max(IssueEvent.id)).where(IssueEvent.project_id == project_id)
    )
    return int(latest or 0)


async def changes_since(
    session: AsyncSession, project_id: int, after_id: int, *, limit: int = 100
) -> list[Change]:
    """The project's events after ``after_id``, oldest first (one indexed query)."""
    rows = await session.execute(
        select(IssueEvent.id, Issue.number, IssueEvent.kind)
        .join(Issue, Issue.id == IssueEvent.issue_id)
        .where(IssueEvent.project_id == project_id, IssueEvent.id > after_id)
        .order_by(IssueEvent.id)
        .limit(limit)
    )
    return [Change(id=row.id, issue_number=row.number, kind=row.kind) for row in rows]
