"""Triage on one issue: labels (scoped ones exclusive), assignees (members only), milestone.

Each change records its event. The issue must be loaded with labels, assignees and milestone
(services.issues.get_issue does); the functions return whether anything changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import Issue, Label, Membership, Milestone, User
from quart_app.services import events
from quart_app.services.access import ProjectAccess
from quart_app.services.errors import InvalidInputError
from quart_app.services.labels import scope_of
from quart_app.services.milestones import find_milestone_by_title


async def resolve_labels(
    session: AsyncSession, access: ProjectAccess, names: Sequence[str], *, field: str = "labels"
) -> list[Label]:
    """The project's labels with these names; refuses unknown names and two of one scope."""
    wanted = list(dict.fromkeys(name.strip() for name in names))
    if not wanted:
        return []
    found = await session.scalars(
        select(Label).where(Label.project_id == access.project.id, Label.name.in_(wanted))
    )
    by_name = {label.name: label for label in found}
    missing = [name for name in wanted if name not in by_name]
    if missing:
        raise InvalidInputError.field(field, f"{access.project.key} has no label {missing[0]!r}.")
    scopes = [scope_of(name) for name in wanted if scope_of(name) is not None]
    if len(scopes) != len(set(scopes)):
        raise InvalidInputError.field(
            field, "Pick one label per scope: scoped labels like priority/high are exclusive."
        )
    return [by_name[name] for name in wanted]


def set_labels(session: AsyncSession, issue: Issue, actor: User, labels: list[Label]) -> bool:
    """Make the issue's labels exactly ``labels`` (already checked by resolve_labels)."""
    wanted = {label.id for label in labels}
    removed = [label for label in issue.labels if label.id not in wanted]
    current = {label.id for label in issue.labels}
    added = [label for label in labels if label.id not in current]
    for label in removed:
        issue.labels.remove(label)
        events.record_event(session, issue, actor, events.UNLABELED, before=label.name)
    for label in added:
        issue.labels.append(label)
        events.record_event(session, issue, actor, events.LABELED, after=label.name)
    return bool(removed or added)


def add_labels(session: AsyncSession, issue: Issue, actor: User, labels: list[Label]) -> bool:
    """Add ``labels``; each scoped one replaces the issue's label of the same scope."""
    new_scopes = {scope_of(label.name) for label in labels} - {None}
    current = {label.id for label in labels}
    kept = [
        label
        for label in issue.labels
        if label.id not in current and scope_of(label.name) not in new_scopes
    ]
    return set_labels(session, issue, actor, sorted([*kept, *labels], key=lambda x: x.name))


async def resolve_assignees(
    session: AsyncSession, access: ProjectAccess, usernames: Sequence[str], *, field: str
) -> list[User]:
    """The members with these usernames; anyone else cannot be assigned."""
    wanted = list(dict.fromkeys(name.strip().lower() for name in usernames))
    if not wanted:
        return []
    found = await session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == access.project.id, User.username.in_(wanted))
    )
    by_name = {user.username: user for user in found}
    missing = [name for name in wanted if name not in by_name]
    if missing:
        raise InvalidInputError.field(
            field, f"{missing[0]!r} is not a member of {access.project.key}: only members can be "
            "assigned.",
        )  # fmt: skip
    return [by_name[name] for name in wanted]


def set_assignees(session: AsyncSession, issue: Issue, actor: User, users: list[User]) -> bool:
    wanted = {user.id for user in users}
    current = {user.id for user in issue.assignees}
    removed = [user for user in issue.assignees if user.id not in wanted]
    added = [user for user in users if user.id not in current]
    for user in removed:
        issue.assignees.remove(user)
        events.record_event(session, issue, actor, events.UNASSIGNED, before=user.username)
    for user in added:
        issue.assignees.append(user)
        events.record_event(session, issue, actor, events.ASSIGNED, after=user.username)
    return bool(removed or added)


async def resolve_milestone(
    session: AsyncSession, access: ProjectAccess, title: str | None, *, field: str = "milestone"
) -> Milestone | None:
    if title is None:
        return None
    milestone = await find_milestone_by_title(session, access, title)
    if milestone is None:
        raise InvalidInputError.field(field, f"{access.project.key} has no milestone {title!r}.")
    return milestone


def set_milestone(
    session: AsyncSession, issue: Issue, actor: User, milestone: Milestone | None
) -> bool:
    before = issue.milestone
    if (before.id if before else None) == (milestone.id if milestone else None):
        return False
    issue.milestone = milestone
    events.record_event(
        session, issue, actor, events.MILESTONED,
        before=before.title if before else None, after=milestone.title if milestone else None,
    )  # fmt: skip
    return True
