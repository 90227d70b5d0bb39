"""Demo data for a first look: three users, a public project, labels, issues, comments."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import Role, User, Visibility
from quart_app.services.accounts import create_user, get_user_by_username
from quart_app.services.issues import add_comment, create_issue
from quart_app.services.projects import add_member, create_label, create_project

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
    await add_member(session, project, bob, Role.MAINTAINER)
    await add_member(session, project, carol, Role.REPORTER)
    for name, color, description in DEMO_LABELS:
        await create_label(session, project, name=name, color=color, description=description)
    for title, body in DEMO_ISSUES:
        issue = await create_issue(
            session, project_id=project.id, author=carol, title=title, body=body
        )
        await add_comment(session, issue=issue, author=bob, body="Thanks, I can reproduce this.")
    return True


async def _demo_user(session: AsyncSession, name: str) -> User:
    return await create_user(
        session, username=name, email=f"{name}@example.com", password=DEMO_PASSWORD,
        verified=True, is_admin=name == "alice",
    )  # fmt: skip
