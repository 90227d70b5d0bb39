"""The load-test seeder: counts, app-consistent rows, usable credentials, and its refusals."""

from __future__ import annotations

import json
import stat
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.cli import main
from quart_app.db import Database
from quart_app.loadseed import DatabaseNotEmptyError, LoadSizes, seed_load
from quart_app.loadseed.cast import plan_cast
from quart_app.loadseed.history import plan_issues
from quart_app.markdown import render_markdown
from quart_app.models import (
    ApiToken,
    Comment,
    Issue,
    IssueEvent,
    IssueSearchDocument,
    IssueState,
    Label,
    Membership,
    Milestone,
    Project,
    Role,
    User,
)
from quart_app.services.accounts import create_user
from quart_app.services.search import search_document, words_in
from tests.web.helpers import Browser

pytestmark = pytest.mark.integration

SIZES = LoadSizes(projects=3, issues=60, comments=150, users=12)
SMALL = ["--projects", "3", "--issues", "60", "--comments", "150", "--users", "12"]
Credentials = dict[str, Any]


@pytest.fixture
async def credentials(app: Quart, tmp_path: Path) -> Credentials:
    """The app's database seeded with SIZES; the credentials file it wrote."""
    path = tmp_path / "load" / "credentials.json"
    await seed_load(app.extensions["db"], SIZES, path)
    document: Credentials = json.loads(path.read_text())
    return document


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def member_of(credentials: Credentials, key: str) -> dict[str, Any]:
    return next(user for user in credentials["users"] if key in user["projects"])


async def test_seeding_writes_the_sizes_asked_for(
    credentials: Credentials, database: Database
) -> None:
    async with database.read_sessions() as session:
        counted = {
            model.__name__: await count(session, model)
            for model in (User, ApiToken, Project, Label, Milestone, Issue, Comment)
        }
        documents = await count(session, IssueSearchDocument)
        opened = await session.scalar(
            select(func.count()).select_from(IssueEvent).where(IssueEvent.kind == "opened")
        )
    assert counted == {
        "User": 12, "ApiToken": 12, "Project": 3, "Label": 36, "Milestone": 18, "Issue": 60,
        "Comment": 150,
    }  # fmt: skip
    assert documents == opened == 60


async def test_users_are_verified_members_of_one_to_four_projects_and_each_project_has_one_owner(
    credentials: Credentials, database: Database
) -> None:
    async with database.read_sessions() as session:
        users = list(await session.scalars(select(User)))
        memberships = list(await session.scalars(select(Membership)))
    assert all(u.email_verified_at is not None and not u.is_admin for u in users)
    assert {u.username for u in users} == {f"load-user-{n:04d}" for n in range(1, 13)}
    per_user = Counter(m.user_id for m in memberships)
    assert set(per_user) == {u.id for u in users}
    assert all(1 <= joined <= 4 for joined in per_user.values())
    owners = Counter(m.project_id for m in memberships if m.role == Role.OWNER)
    assert sorted(owners.values()) == [1, 1, 1]


async def test_issue_numbers_run_from_one_without_gaps_and_match_the_project_counter(
    credentials: Credentials, database: Database
) -> None:
    async with database.read_sessions() as session:
        for project in await session.scalars(select(Project)):
            numbers = await session.scalars(
                select(Issue.number).where(Issue.project_id == project.id).order_by(Issue.number)
            )
            assert list(numbers) == list(range(1, project.last_issue_number + 1))


async def test_comment_counts_match_and_every_commented_event_points_at_its_comment(
    credentials: Credentials, database: Database
) -> None:
    async with database.read_sessions() as session:
        comments = Counter(await session.scalars(select(Comment.issue_id)))
        issues = list(await session.scalars(select(Issue)))
        events = list(await session.scalars(select(IssueEvent).order_by(IssueEvent.id)))
        comment_issue = dict((await session.execute(select(Comment.id, Comment.issue_id))).all())
    assert {issue.id: issue.comment_count for issue in issues} == {
        issue.id: comments[issue.id] for issue in issues
    }
    commented = [event for event in events if event.kind == "commented"]
    assert len(commented) == 150
    assert all(comment_issue[e.data["comment_id"]] == e.issue_id for e in commented)


async def test_each_timeline_starts_opened_and_runs_in_time_order_to_updated_at(
    credentials: Credentials, database: Database
) -> None:
    async with database.read_sessions() as session:
        issues = {issue.id: issue for issue in await session.scalars(select(Issue))}
        events = list(await session.scalars(select(IssueEvent).order_by(IssueEvent.id)))
    timelines: dict[int, list[IssueEvent]] = {}
    for event in events:
        timelines.setdefault(event.issue_id, []).append(event)
    for issue_id, timeline in timelines.items():
        issue = issues[issue_id]
        assert timeline[0].kind == "opened" and timeline[0].created_at == issue.created_at
        times = [event.created_at for event in timeline]
        assert times == sorted(times) and times[-1] == issue.updated_at
        assert timeline[0].project_id == issue.project_id


async def test_closed_issues_have_a_reason_a_time_and_a_close_event(
    credentials: Credentials, database: Database
) -> None:
    async with database.read_sessions() as session:
        issues = list(await session.scalars(select(Issue)))
        closes = await session.execute(
            select(IssueEvent.issue_id, IssueEvent.created_at, IssueEvent.data)
            .where(IssueEvent.kind == "closed")
            .order_by(IssueEvent.id)
        )
    last_close = {issue_id: (moment, data) for issue_id, moment, data in closes}
    closed = [issue for issue in issues if issue.state == IssueState.CLOSED]
    assert 0 < len(closed) < len(issues)
    for issue in closed:
        moment, data = last_close[issue.id]
        assert issue.closed_at == moment and data["reason"] == issue.close_reason
    for issue in issues:
        if issue.state == IssueState.OPEN:
            assert issue.closed_at is None and issue.close_reason is None


async def test_search_documents_are_the_ones_the_app_would_build(
    credentials: Credentials, database: Database
) -> None:
    async with database.read_sessions() as session:
        issues = list(await session.scalars(select(Issue)))
        bodies: dict[int, list[str]] = {}
        for issue_id, body in await session.execute(
            select(Comment.issue_id, Comment.body).order_by(Comment.id)
        ):
            bodies.setdefault(issue_id, []).append(body)
        rows = await session.execute(
            select(IssueSearchDocument.issue_id, IssueSearchDocument.document)
        )
        documents = {issue_id: document for issue_id, document in rows}
    for issue in issues:
        expected = search_document(issue.title, issue.body, *bodies.get(issue.id, []))
        assert documents[issue.id] == expected


async def test_issue_and_comment_bodies_are_stored_rendered_as_the_app_would_store_them(
    credentials: Credentials, database: Database
) -> None:
    async with database.read_sessions() as session:
        issues = (await session.execute(select(Issue.body, Issue.body_html))).all()
        comments = (await session.execute(select(Comment.body, Comment.body_html))).all()
    assert sum(1 for _body, html in [*issues, *comments] if html) > 150  # rendered, not blank
    for body, html in [*issues, *comments]:
        assert html == render_markdown(body)


async def test_the_credentials_file_is_private_and_describes_the_dataset(
    tmp_path: Path, database: Database
) -> None:
    path = tmp_path / "credentials.json"
    await seed_load(database, SIZES, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert document["version"] == 1 and len(document["password"]) >= 16
    assert len(document["users"]) == 12
    assert all(user["token"].startswith("qat_") for user in document["users"])
    assert [p["key"] for p in document["projects"]] == ["LOAD01", "LOAD02", "LOAD03"]
    assert {p["visibility"] for p in document["projects"]} == {"public", "private"}
    assert sum(p["issues"] for p in document["projects"]) == 60
    assert all(len(p["labels"]) == 12 and len(p["milestones"]) == 6 for p in document["projects"])
    async with database.read_sessions() as session:
        roles = await session.execute(
            select(User.username, Project.key, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .join(Project, Project.id == Membership.project_id)
        )
        expected = {(username, key, role.value) for username, key, role in roles}
    listed = {
        (u["username"], key, role) for u in document["users"] for key, role in u["projects"].items()
    }
    assert listed == expected
    assert not list(tmp_path.glob(".credentials*"))  # no draft left behind


async def test_a_members_token_reads_an_issue_of_their_project(
    credentials: Credentials, client: Client
) -> None:
    user = member_of(credentials, "LOAD02")  # private
    response = await client.get("/api/v1/projects/LOAD02/issues/1", headers=bearer(user["token"]))
    assert response.status_code == 200
    assert (await response.get_json())["key"] == "LOAD02-1"


async def test_a_private_project_is_not_found_for_a_user_who_is_not_a_member(
    credentials: Credentials, client: Client
) -> None:
    private = next(p["key"] for p in credentials["projects"] if p["visibility"] == "private")
    outsider = next(u for u in credentials["users"] if private not in u["projects"])
    response = await client.get(
        f"/api/v1/projects/{private}/issues/1", headers=bearer(outsider["token"])
    )
    assert response.status_code == 404
    assert (await client.get(f"/api/v1/projects/{private}/issues/1")).status_code == 404


async def test_the_shared_password_signs_a_load_user_in(
    credentials: Credentials, client: Client
) -> None:
    user = credentials["users"][0]
    response = await client.post(
        "/api/v1/session", json={"login": user["username"], "password": credentials["password"]}
    )
    assert response.status_code == 200


async def test_search_finds_a_seeded_issue_by_a_word_of_its_title(
    credentials: Credentials, client: Client, database: Database
) -> None:
    async with database.read_sessions() as session:
        project = await session.scalar(select(Project).where(Project.key == "LOAD01"))
        assert project is not None
        issue = await session.scalar(
            select(Issue).where(Issue.project_id == project.id).order_by(Issue.number.desc())
        )
    assert issue is not None
    word = max(words_in(issue.title), key=len)
    token = member_of(credentials, "LOAD01")["token"]
    response = await client.get(
        f"/api/v1/projects/LOAD01/issues?q={word}&state=all&per_page=100", headers=bearer(token)
    )
    assert response.status_code == 200
    assert issue.number in [item["number"] for item in (await response.get_json())["items"]]


async def test_a_signed_in_member_sees_a_busy_issue_page(
    app: Quart, credentials: Credentials, database: Database
) -> None:
    async with database.read_sessions() as session:
        busiest = await session.scalar(
            select(Issue).order_by(Issue.comment_count.desc(), Issue.id).limit(1)
        )
        assert busiest is not None
        key = await session.scalar(select(Project.key).where(Project.id == busiest.project_id))
    assert key is not None
    member = member_of(credentials, key)
    browser = Browser(app, app.test_client())
    signed_in = await browser.sign_in(member["username"], credentials["password"])
    assert signed_in.status_code == 302
    page = await browser.page(f"/projects/{key}/issues/{busiest.number}")
    assert f"#{busiest.number}" in page and "Add a comment" in page


async def test_seeding_refuses_a_database_that_has_users_and_changes_nothing(
    tmp_path: Path, database: Database
) -> None:
    async with database.write_sessions() as session:
        await create_user(
            session, username="real", email="real@example.com", password="a real passphrase",
            verified=True,
        )  # fmt: skip
        await session.commit()
    path = tmp_path / "credentials.json"
    with pytest.raises(DatabaseNotEmptyError, match="already has 1 user"):
        await seed_load(database, SIZES, path)
    async with database.read_sessions() as session:
        assert (await count(session, User), await count(session, Project)) == (1, 0)
    assert not path.exists() and not list(tmp_path.glob(".credentials*"))


def test_the_same_seed_plans_the_same_dataset() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)

    def plan(seed: int) -> list[Any]:
        sizes = LoadSizes(projects=3, issues=60, comments=150, users=12, seed=seed)
        cast = plan_cast(sizes, now)
        return [cast, *(plan_issues(project, cast, seed) for project in cast.projects)]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)


def test_the_command_seeds_a_migrated_database_and_then_refuses_to_seed_it_again(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "credentials.json"
    assert runner.invoke(main, ["migrate"], catch_exceptions=False).exit_code == 0
    first = runner.invoke(main, ["seed-load", *SMALL, "--credentials", str(path)])
    assert first.exit_code == 0, first.output
    assert "Seeded 12 users, 3 projects, 60 issues, 150 comments" in first.output
    written = path.read_text()
    again = runner.invoke(main, ["seed-load", *SMALL, "--credentials", str(path)])
    assert again.exit_code == 1
    assert "already has 12 user(s)" in again.output
    assert path.read_text() == written


def test_the_command_refuses_a_database_without_the_schema(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "credentials.json"
    result = runner.invoke(main, ["seed-load", *SMALL, "--credentials", str(path)])
    assert result.exit_code == 1
    assert "run `quart_app migrate`" in result.output
    assert not path.exists()
