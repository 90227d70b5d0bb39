"""Milestones per project: an optional due date, open or closed, and progress from its issues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import Issue, IssueState, Milestone, Role, utcnow
from quart_app.services.access import ProjectAccess
from quart_app.services.errors import NotFoundError
from quart_app.services.validation import clean_text, unique_name

TITLE_MAX = 100
DESCRIPTION_MAX = 2000


@dataclass(frozen=True)
class MilestoneProgress:
    milestone: Milestone
    open_issues: int
    closed_issues: int

    @property
    def percent_done(self) -> int:
        total = self.open_issues + self.closed_issues
        return round(100 * self.closed_issues / total) if total else 0


async def list_milestones(
    session: AsyncSession, access: ProjectAccess, *, state: str = "all", with_counts: bool = True
) -> list[MilestoneProgress]:
    """Milestones (open, closed or all), soonest due first, with issue counts: two queries.

    ``with_counts=False`` leaves the counts at 0 and saves the second query, which reads every
    issue of the milestones (a pick list needs only the titles)."""
    statement = select(Milestone).where(Milestone.project_id == access.project.id)
    if state == "open":
        statement = statement.where(Milestone.closed_at.is_(None))
    elif state == "closed":
        statement = statement.where(Milestone.closed_at.is_not(None))
    milestones = list(
        await session.scalars(
            statement.order_by(Milestone.due_on.is_(None), Milestone.due_on, Milestone.title)
        )
    )
    ids = [milestone.id for milestone in milestones]
    counts = await _issue_counts(session, ids) if with_counts else {}
    return [MilestoneProgress(m, *counts.get(m.id, (0, 0))) for m in milestones]


async def get_milestone(
    session: AsyncSession, access: ProjectAccess, milestone_id: int
) -> MilestoneProgress:
    milestone = await _get(session, access, milestone_id)
    counts = await _issue_counts(session, [milestone.id])
    return MilestoneProgress(milestone, *counts.get(milestone.id, (0, 0)))


async def create_milestone(
    session: AsyncSession,
    access: ProjectAccess,
    *,
    title: str,
    description: str = "",
    due_on: date | None = None,
) -> MilestoneProgress:
    access.require(Role.MAINTAINER, "manage milestones")
    milestone = Milestone(
        project_id=access.project.id,
        title=clean_text("title", title, maximum=TITLE_MAX),
        description=clean_text("description", description, maximum=DESCRIPTION_MAX, required=False),
        due_on=due_on,
    )
    async with unique_name(session, field="title", value=milestone.title, what="milestone"):
        session.add(milestone)
    return MilestoneProgress(milestone, 0, 0)


async def update_milestone(
    session: AsyncSession,
    access: ProjectAccess,
    milestone_id: int,
    *,
    changes: dict[str, object],
) -> MilestoneProgress:
    """Apply ``changes`` (title, description, due_on, state): only the keys given change."""
    access.require(Role.MAINTAINER, "manage milestones")
    milestone = await _get(session, access, milestone_id)
    title = milestone.title
    if isinstance(changes.get("title"), str):
        title = clean_text("title", str(changes["title"]), maximum=TITLE_MAX)
    description = milestone.description
    if isinstance(changes.get("description"), str):
        description = clean_text(
            "description", str(changes["description"]), maximum=DESCRIPTION_MAX, required=False
        )
    async with unique_name(session, field="title", value=title, what="milestone"):
        milestone.title, milestone.description = title, description
        if "due_on" in changes:
            due_on = changes["due_on"]
            milestone.due_on = due_on if isinstance(due_on, date) else None
        if changes.get("state") == "closed" and milestone.closed_at is None:
            milestone.closed_at = utcnow()
        elif changes.get("state") == "open":
            milestone.closed_at = None
    return await get_milestone(session, access, milestone.id)


async def delete_milestone(session: AsyncSession, access: ProjectAccess, milestone_id: int) -> None:
    """Delete a milestone; its issues stay, without a milestone (the database sets NULL)."""
    access.require(Role.MAINTAINER, "manage milestones")
    milestone = await _get(session, access, milestone_id)
    await session.execute(delete(Milestone).where(Milestone.id == milestone.id))


async def find_milestone_by_title(
    session: AsyncSession, access: ProjectAccess, title: str
) -> Milestone | None:
    return await session.scalar(
        select(Milestone).where(
            Milestone.project_id == access.project.id, Milestone.title == title.strip()
        )
    )


async def _get(session: AsyncSession, access: ProjectAccess, milestone_id: int) -> Milestone:
    milestone = await session.scalar(
        select(Milestone).where(
            Milestone.id == milestone_id, Milestone.project_id == access.project.id
        )
    )
    if milestone is None:
        raise NotFoundError(f"{access.project.key} has no milestone {milestone_id}.")
    return milestone


async def _issue_counts(session: AsyncSession, ids: list[int]) -> dict[int, tuple[int, int]]:
    """Open and closed issue counts per milestone id, in one grouped query."""
    if not ids:
        return {}
    closed = func.sum(case((Issue.state == IssueState.CLOSED, 1), else_=0))
    rows = await session.execute(
        select(Issue.milestone_id, func.count() - closed, closed)
        .where(Issue.milestone_id.in_(ids))
        .group_by(Issue.milestone_id)
    )
    return {milestone_id: (int(opened), int(done)) for milestone_id, opened, done in rows}
