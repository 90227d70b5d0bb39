"""The API reads plain data (issue_rows.issue_summaries, find_issue_data), the pages read
objects (issue_page, find_issue): both ways must give the API the same answer."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.api.issues import IssueOut, IssueSummaryOut
from quart_app.models import Project, Role, User, utcnow
from quart_app.services import issue_lists, issue_rows
from quart_app.services.errors import NotFoundError
from quart_app.services.issue_lists import IssueFilters
from quart_app.services.issues import create_issue
from quart_app.services.labels import create_label
from quart_app.services.milestones import create_milestone
from quart_app.services.pagination import PageRequest
from tests.factories import acting_as, add_member, run_sync_read

pytestmark = pytest.mark.integration


async def test_plain_summaries_answer_as_the_objects_do(session: AsyncSession) -> None:
    ada = User(username="ada", display_name="Ada L.", email="ada@example.com", password_hash="x")
    bob = User(username="bob", display_name="", email="bob@example.com", password_hash="x")
    ada.email_verified_at = bob.email_verified_at = utcnow()  # members must have confirmed
    project = Project(key="WEB", name="Website")
    session.add_all([ada, bob, project])
    await session.flush()
    await add_member(session, project, ada, Role.OWNER)
    await add_member(session, project, bob, Role.REPORTER)
    owner = acting_as(project, ada)
    for name in ("bug", "priority/high"):
        await create_label(session, owner, name=name)
    await create_milestone(session, owner, title="v1")
    await create_issue(session, owner, title="Bare")
    await create_issue(
        session, owner, title="Everything", labels=["bug", "priority/high"],
        assignees=["ada", "bob"], milestone="v1",
    )  # fmt: skip
    await create_issue(session, acting_as(project, bob, Role.REPORTER), title="By bob")
    await session.commit()
    seen = []
    for page_number in (1, 2):  # pages, not the whole list
        paged = IssueFilters(page=PageRequest(page=page_number, per_page=2))
        objects = await run_sync_read(session, issue_lists.list_project_issues, owner, paged)
        plain = await run_sync_read(session, issue_lists.list_project_issue_summaries, owner, paged)
        assert plain.total == objects.total == 3
        from_plain = [IssueSummaryOut.model_validate(item) for item in plain.items]
        assert from_plain == [IssueSummaryOut.of(issue) for issue in objects.items]
        seen += from_plain

    assert [item.title for item in seen] == ["By bob", "Everything", "Bare"]
    everything = seen[1]
    assert [(label.name, label.scope) for label in everything.labels] == [
        ("bug", None), ("priority/high", "priority"),
    ]  # fmt: skip
    assert [person.display_name for person in everything.assignees] == ["Ada L.", "bob"]
    assert everything.milestone is not None and everything.milestone.title == "v1"
    assert seen[0].author is not None and seen[0].author.display_name == "bob"


async def test_one_issue_as_plain_data_answers_as_its_object_does(session: AsyncSession) -> None:
    ada = User(username="ada", display_name="", email="ada@example.com", password_hash="x")
    ada.email_verified_at = utcnow()
    project = Project(key="WEB", name="Website")
    session.add_all([ada, project])
    await session.flush()
    await add_member(session, project, ada, Role.OWNER)
    owner = acting_as(project, ada)
    await create_label(session, owner, name="area/api")
    issue = await create_issue(
        session, owner, title="Slow", body="It **is**", labels=["area/api"], assignees=["ada"]
    )
    await session.commit()

    plain = await run_sync_read(session, issue_rows.find_issue_data, owner, issue.number)
    found = await run_sync_read(session, issue_rows.find_issue, owner, issue.number)

    assert IssueOut.model_validate(plain) == IssueOut.of(found)
    assert plain["body_html"] == "<p>It <strong>is</strong></p>\n"
    with pytest.raises(NotFoundError, match="WEB has no issue #99"):
        await run_sync_read(session, issue_rows.find_issue_data, owner, 99)
