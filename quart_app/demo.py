"""Demo data for a first look: three users, a public project, labels, issues, comments."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import Role, User, Visibility
from quart_app.services.access import ProjectAccess
from quart_app.services.accounts import create_user, get_user_by_username
from quart_app.services.comments import add_comment
from quart_app.services.issues import create_issue
from quart_app.services.labels import create_label
from quart_app.services.members import join_project
from quart_app.services.projects import create_project

DEMO_PASSWORD = "correct horse battery staple"  # noqa: S105 (printed for the newcomer on purpose)

DEMO_LABELS = [
    ("bug", "#d73a4a", "Something is not working"),
    ("enhancement", "#0e8a16", "A new feature or request"),
    ("priority/high", "#b60205", "Do this first"),
    ("priority/low", "#c5def5", "When there is time"),
]
DEMO_ISSUES = [
    (
        "Sign-in page forgets the email after a typo",
        "Steps:\n\n1. Mistype the password\n2. Email is gone",
    ),
    ("Add keyboard shortcut for a new issue", "Press `c` anywhere to open the new-issue form."),
    ("Dark mode contrast on labels", "Light label colours are hard to read in **dark mode**."),
]


async def seed_demo(session: AsyncSession) -> bool:
    """Create the demo data; return False (and change nothing) when it is already there."""
    if await get_user_by_username(session, "alice") is not None:
        return False
    alice, bob, carol = [await _demo_user(session, name) for name in ("alice", "bob", "carol")]
    project = await create_project(
        session, owner=alice, key="DEMO", name="Demo project",
        description="A public project to try the tracker with.", visibility=Visibility.PUBLIC,
    )  # fmt: skip
    as_alice = ProjectAccess(project=project, user=alice, role=Role.OWNER)
    await join_project(session, as_alice, bob, Role.MAINTAINER)
    await join_project(session, as_alice, carol, Role.REPORTER)
    for name, color, description in DEMO_LABELS:
        await create_label(session, as_alice, name=name, color=color, description=description)
    as_bob = ProjectAccess(project=project, user=bob, role=Role.MAINTAINER)
    as_carol = ProjectAccess(project=project, user=carol, role=Role.REPORTER)
    for title, body in DEMO_ISSUES:
        issue = await create_issue(session, as_carol, title=title, body=body)
        await add_comment(session, as_bob, issue.number, body="Thanks, I can reproduce this.")
    return True


async def _demo_user(session: AsyncSession, name: str) -> User:
    return await create_user(
        session, username=name, email=f"{name}@example.com", password=DEMO_PASSWORD,
        verified=True, is_admin=name == "alice",
    )  # fmt: skip
