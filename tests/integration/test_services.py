"""The foundation services: accounts, projects, issue numbers, comments and their events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.db import Database
from quart_app.models import Issue, IssueEvent, Project, Role, User
from quart_app.security.passwords import verify_password
from quart_app.services.access import load_project
from quart_app.services.accounts import AccountExistsError, create_user
from quart_app.services.comments import add_comment
from quart_app.services.errors import ForbiddenError, NotFoundError
from quart_app.services.issues import allocate_issue_number
from quart_app.services.projects import create_project
from tests.factories import acting_as, add_member, open_issue

pytestmark = pytest.mark.integration


async def make_user(session: AsyncSession, name: str = "ada") -> User:
    return await create_user(
        session, username=name, email=f"{name}@example.com", password="a fine passphrase",
        verified=True,
    )  # fmt: skip


async def make_project(session: AsyncSession, owner: User, key: str = "WEB") -> Project:
    return await create_project(session, owner=owner, key=key, name=f"{key} project")


async def test_usernames_and_emails_are_stored_lowercase_and_unique(session: AsyncSession) -> None:
    user = await create_user(
        session, username=" Ada ", email="Ada@Example.COM", password="a fine passphrase"
    )
    assert (user.username, user.email) == ("ada", "ada@example.com")
    with pytest.raises(AccountExistsError):
        await create_user(session, username="ADA", email="x@example.com", password="p" * 10)


async def test_password_is_hashed_and_verifies(session: AsyncSession) -> None:
    user = await make_user(session)
    assert await verify_password(user.password_hash, "a fine passphrase")
    assert not await verify_password(user.password_hash, "a fine passphrasE")
    assert not await verify_password("not-a-hash", "a fine passphrase")


async def test_issue_numbers_count_up_per_project(session: AsyncSession) -> None:
    owner = await make_user(session)
    web, api = await make_project(session, owner, "WEB"), await make_project(session, owner, "API")
    numbers = [
        (await open_issue(session, project, owner, title="t")).number
        for project in (web, web, api, web)
    ]
    assert numbers == [1, 2, 1, 3]


async def test_allocating_a_number_for_a_missing_project_fails(session: AsyncSession) -> None:
    with pytest.raises(LookupError):
        await allocate_issue_number(session, 424242)


async def test_a_rolled_back_creation_leaves_no_gap(database: Database) -> None:
    async with database.write_sessions() as session:
        owner = await make_user(session)
        project_id = (await make_project(session, owner)).id
        await session.commit()
    async with database.write_sessions() as session:
        project, owner = await session.get_one(Project, project_id), await session.merge(owner)
        await open_issue(session, project, owner, title="abandoned")
        await session.rollback()
    async with database.write_sessions() as session:
        project, owner = await session.get_one(Project, project_id), await session.merge(owner)
        issue = await open_issue(session, project, owner, title="kept")
        assert issue.number == 1


async def test_concurrent_creations_get_distinct_consecutive_numbers(database: Database) -> None:
    async with database.write_sessions() as session:
        owner = await make_user(session)
        project = await make_project(session, owner)
        await session.commit()

    async def open_one() -> int:
        async with database.write_sessions() as session:
            mine = await session.get_one(Project, project.id), await session.get_one(User, owner.id)
            issue = await open_issue(session, *mine, title="race")
            await session.commit()
            return issue.number

    numbers = await asyncio.gather(*(open_one() for _ in range(20)))
    assert sorted(numbers) == list(range(1, 21))


async def test_opening_and_commenting_record_events_and_count_comments(
    session: AsyncSession,
) -> None:
    author = await make_user(session)
    project = await make_project(session, author)
    issue = await open_issue(session, project, author, title="t")
    comment = await add_comment(session, acting_as(project, author), issue.number, body="first")
    await add_comment(session, acting_as(project, author), issue.number, body="second")
    assert issue.comment_count == 2
    events = (await session.scalars(select(IssueEvent).order_by(IssueEvent.id))).all()
    assert [event.kind for event in events] == ["opened", "commented", "commented"]
    assert events[1].data == {"comment_id": comment.id}


async def test_timestamps_come_back_timezone_aware_in_utc(database: Database) -> None:
    async with database.write_sessions() as session:
        user = await make_user(session)
        await session.commit()
    async with database.read_sessions() as session:
        loaded = await session.get(User, user.id)
        assert loaded is not None
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at.utcoffset() == UTC.utcoffset(None)


async def test_naive_datetimes_are_refused(session: AsyncSession) -> None:
    owner = await make_user(session)
    project = await make_project(session, owner)
    issue = await open_issue(session, project, owner, title="t")
    issue.closed_at = datetime(2026, 1, 1)
    with pytest.raises(Exception, match="naive datetimes are ambiguous"):
        await session.flush()


async def test_relationships_refuse_to_lazy_load(session: AsyncSession) -> None:
    owner = await make_user(session)
    await make_project(session, owner)
    await session.commit()
    loaded = await session.scalar(select(Issue).limit(1))
    assert loaded is None
    reloaded = await session.scalar(select(User).where(User.id == owner.id))
    assert reloaded is not None
    with pytest.raises(Exception, match="lazy='raise'"):
        _ = reloaded.memberships


async def test_unverified_users_cannot_create_projects(session: AsyncSession) -> None:
    unverified = await create_user(
        session, username="newbie", email="newbie@example.com", password="a fine passphrase"
    )
    with pytest.raises(ForbiddenError, match="Confirm your email address"):
        await create_project(session, owner=unverified, key="NEW", name="New")


async def test_unverified_users_cannot_join_projects(session: AsyncSession) -> None:
    owner = await make_user(session)
    project = await make_project(session, owner)
    unverified = await create_user(
        session, username="newbie", email="newbie@example.com", password="a fine passphrase"
    )
    with pytest.raises(ForbiddenError):
        await add_member(session, project, unverified, Role.REPORTER)


async def test_load_project_attaches_the_project_as_if_the_orm_had_loaded_it(
    database: Database,
) -> None:
    async with database.write_sessions() as session:
        owner, outsider = await make_user(session), await make_user(session, "eve")
        project = await make_project(session, owner)
        await session.commit()
        project_id = project.id
    async with database.write_sessions() as session:
        access = await load_project(session, " web ", await session.get(User, owner.id))
        assert access.role == Role.OWNER and access.project.id == project_id
        assert access.project in session and not inspect(access.project).expired_attributes
        access.project.name = "Renamed"  # a write through it is flushed like any loaded object
        await session.commit()
    async with database.write_sessions() as session:
        assert (await session.get(Project, project_id)).name == "Renamed"  # type: ignore[union-attr]
        already = await session.get(Project, project_id)
        again = await load_project(session, "WEB", await session.get(User, owner.id))
        assert again.project is already  # the session's own object, as a query would give
        with pytest.raises(NotFoundError):
            await load_project(session, "WEB", await session.get(User, outsider.id))
