"""Fixtures for the page tests: a browser-like client (the app fixtures are in tests/)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from quart import Quart

from quart_app.db import Database
from quart_app.models import Project, Role, User, Visibility
from quart_app.services.accounts import create_user, update_profile
from quart_app.services.comments import add_comment
from quart_app.services.issues import IssueChanges, create_issue, update_issue
from quart_app.services.labels import create_label
from quart_app.services.milestones import create_milestone
from quart_app.services.projects import create_project
from quart_app.services.versions import ANY_VERSION
from tests.factories import acting_as, add_member, open_issue
from tests.web.helpers import PASSWORD, Browser, Visitor, tracker_rows, visitor


@pytest.fixture
def browser(app: Quart) -> Browser:
    return Browser(app, app.test_client())


# Who is who on the tracker site: each project has the same three members.
MEMBERS = {"olivia": Role.OWNER, "max": Role.MAINTAINER, "rita": Role.REPORTER}
OUTSIDER = "nora"  # signed in, verified, a member of neither project
PROJECTS = {"PRIV": Visibility.PRIVATE, "PUB": Visibility.PUBLIC}


@dataclass
class TrackerSite:
    """Two projects, PRIV (private) and PUB (public), each with olivia (owner), max (maintainer)
    and rita (reporter); labels "bug" and "docs", a milestone "v1"; issue #1 "Crash on save"
    opened by rita with her comment "Me too"; issue #2 "Owner's plan" opened by olivia, labelled
    bug, assigned to max, in v1, with olivia's comment "Noted". nora is a member of neither."""

    app: Quart
    users: dict[str, User] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    label_ids: dict[str, dict[str, int]] = field(default_factory=dict)  # key -> name -> id
    milestone_ids: dict[str, int] = field(default_factory=dict)  # key -> v1's id
    comment_ids: dict[str, dict[str, int]] = field(default_factory=dict)  # key -> author -> id

    async def visitor(self, who: str | None) -> Visitor:
        """A browser for ``who`` (a username), or an anonymous one for None."""
        return await visitor(self.app, self.users[who] if who else None)

    async def rows(self) -> dict[str, list[tuple[object, ...]]]:
        return await tracker_rows(self.app)


async def build_site(app: Quart) -> TrackerSite:
    site = TrackerSite(app)
    database: Database = app.extensions["db"]
    async with database.write_sessions() as session:
        for username in [*MEMBERS, OUTSIDER]:
            site.users[username] = await create_user(
                session, username=username, email=f"{username}@example.com", password=PASSWORD,
                verified=True,
            )  # fmt: skip
        for key, visibility in PROJECTS.items():
            project = await create_project(
                session, owner=site.users["olivia"], key=key, name=f"{key} project",
                description=f"The {key} project", visibility=visibility,
            )  # fmt: skip
            site.projects[key] = project
            for username, role in MEMBERS.items():
                if role != Role.OWNER:
                    await add_member(session, project, site.users[username], role)
            owner = acting_as(project, site.users["olivia"])
            site.label_ids[key] = {
                name: (await create_label(session, owner, name=name, color=color)).id
                for name, color in [("bug", "#d73a4a"), ("docs", "#0075ca")]
            }
            progress = await create_milestone(session, owner, title="v1")
            site.milestone_ids[key] = progress.milestone.id
            await open_issue(session, project, site.users["rita"], "Crash on save", "Steps")
            await create_issue(
                session, owner, title="Owner's plan", body="Plan", labels=["bug"],
                assignees=["max"], milestone="v1",
            )  # fmt: skip
            reporter = acting_as(project, site.users["rita"], Role.REPORTER)
            site.comment_ids[key] = {
                "rita": (await add_comment(session, reporter, 1, body="Me too")).id,
                "olivia": (await add_comment(session, owner, 2, body="Noted")).id,
            }
        await session.commit()
    return site


@pytest.fixture
async def site(app: Quart) -> TrackerSite:
    return await build_site(app)


def hostile(where: str) -> str:
    """Text that breaks out of an attribute and opens a script, if anything forgets to escape."""
    return f'"><script>alert("{where}")</script>'


HOSTILE_MARKDOWN = (
    '<script>alert("md")</script>\n\n'
    '[click](javascript:alert(1)) <a href="javascript:alert(2)">raw</a> '
    "[tab](java\tscript:alert(3)) [ok](https://example.com/ok)"
)


async def add_hostile_project(site: TrackerSite) -> None:
    """Public project HOST where everything a person may type is hostile: its name and
    description, a label, a milestone, an issue's title (changed once) and body, a comment, and
    olivia's display name. olivia owns it; rita is a reporter, assigned to issue #1."""
    database: Database = site.app.extensions["db"]
    async with database.write_sessions() as session:
        olivia = await session.merge(site.users["olivia"])
        await update_profile(session, olivia, display_name=hostile("display name"))
        project = await create_project(
            session, owner=olivia, key="HOST", name=hostile("project name"),
            description=hostile("project description"), visibility=Visibility.PUBLIC,
        )  # fmt: skip
        rita = await session.merge(site.users["rita"])
        await add_member(session, project, rita, Role.REPORTER)
        owner = acting_as(project, olivia)
        await create_label(session, owner, name=hostile("label"), color="#d73a4a")
        await create_milestone(session, owner, title=hostile("milestone"))
        await create_issue(
            session, owner, title="Plain title", body=HOSTILE_MARKDOWN,
            labels=[hostile("label")], assignees=["rita"], milestone=hostile("milestone"),
        )  # fmt: skip
        await update_issue(
            session, owner, 1, IssueChanges(title=hostile("issue title")), if_match=ANY_VERSION
        )
        await add_comment(session, owner, 1, body=HOSTILE_MARKDOWN)
        await session.commit()
