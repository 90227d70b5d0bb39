"""How many SQL statements a request costs: lists must not grow with their length (no N+1).

Every statement the app sends goes through the write engine, the read engine (a copy of the
write engine that shares its listeners, or on SQLite an engine of its own) or a ``Reader``
(quart_app/reads.py: ``db.run_read``'s statements, on the driver's cursor), so
``before_cursor_execute`` listeners on the engines and ``reads.statement_listeners`` see them
all. Each list is
measured twice, short and long, and must cost the same; the budgets below are today's counts
(they may only go down).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from quart_app import reads
from quart_app.db import Database
from tests.api.tracker import ApiUser, Tracker

pytestmark = pytest.mark.integration

ISSUES = "/api/v1/projects/WEB/issues"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
# Statements per request, transaction control left out (SQLite sends BEGIN as SQL, asyncpg not).
# 1 statement of each authenticated request finds the token (and its user).
BUDGETS = {
    "issue list": 9,  # token, project, count, page; projects authors milestones labels assignees
    "issue search": 9,  # the same: the search is a condition in the count and the page
    "issue": 5,  # token, project, the issue with its author and milestone, labels, assignees
    "timeline": 8,  # token, project, the issue (its row only), count, events, actors,
    # comments, their authors
    "comments": 6,  # token, project, the issue (its row only), count, comments, authors
    "project list": 3,  # token, count, page (the role comes in the same row)
    "project list (anonymous)": 2,  # count, page
    "my issues": 8,  # token, count, page, then projects authors milestones labels assignees
    "activity": 6,  # token, project, count, events, their issues, actors
}


@contextmanager
def recorded_statements(database: Database) -> Iterator[list[str]]:
    """The SQL of every statement sent while the block runs, transaction control left out."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    engines = [database.engine.sync_engine]
    if database.read_engine.sync_engine.pool is not database.engine.sync_engine.pool:
        engines.append(database.read_engine.sync_engine)  # its own engine, its own listeners
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    reads.statement_listeners.append(statements.append)
    if database.inline_reads is not None:
        # What a worker remembers depends on what it served before (Reader.remembered): count
        # what a request reads from a cold start, the same whatever ran earlier in the test.
        database.inline_reads.forget_remembered()
    try:
        yield statements
    finally:
        reads.statement_listeners.remove(statements.append)
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


async def statements_for(tracker: Tracker, who: ApiUser, path: str) -> list[str]:
    """The statements of one GET, after a first one (a token is touched at most once a minute)."""
    await who.ok("GET", path)
    with recorded_statements(tracker.database) as statements:
        await who.ok("GET", path)
    return statements


def reads_table(statements: list[str], table: str) -> bool:
    return any(f"FROM {table}" in statement for statement in statements)


async def team(tracker: Tracker) -> tuple[ApiUser, ApiUser, ApiUser]:
    """ada owns WEB (private); bob maintains it, cyd reports; labels and two milestones."""
    ada, bob, cyd = await tracker.user("ada"), await tracker.user("bob"), await tracker.user("cyd")
    await tracker.project(ada, "WEB", members={"bob": "maintainer", "cyd": "reporter"})
    for label in ("bug", "ui", "priority/high"):
        await ada.ok("POST", "/api/v1/projects/WEB/labels", {"name": label}, status=201)
    for title in ("v1", "v2"):
        await ada.ok("POST", "/api/v1/projects/WEB/milestones", {"title": title}, status=201)
    return ada, bob, cyd


async def triaged_issues(tracker: Tracker, authors: list[ApiUser], start: int, count: int) -> None:
    """Issues that vary in every relation: author, labels, assignees, milestone."""
    labels = [["bug"], ["ui", "priority/high"], []]
    assignees = [["bob"], ["cyd"], ["bob", "cyd"]]
    milestones = ["v1", "v2", None]
    for n in range(start, start + count):
        await tracker.issue(
            authors[n % len(authors)], title=f"Issue about search word {n}",
            labels=labels[n % 3], assignees=assignees[(n // 3) % 3], milestone=milestones[n % 3],
        )  # fmt: skip


async def comments_on(users: list[ApiUser], number: int, start: int, count: int) -> None:
    for n in range(start, start + count):
        await users[n % len(users)].ok(
            "POST", f"{ISSUES}/{number}/comments", {"body": f"Comment **{n}**"}, status=201
        )


async def test_the_statement_listener_sees_read_requests(tracker: Tracker) -> None:
    ada, _bob, _cyd = await team(tracker)

    statements = await statements_for(tracker, ada, ISSUES)

    assert reads_table(statements, "issues") and reads_table(statements, "api_tokens")


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("issue list", f"{ISSUES}?state=all&per_page=100"),
        ("issue search", f"{ISSUES}?state=all&per_page=100&q=search+word&assignee=*&sort=updated"),
    ],
)
async def test_an_issue_list_costs_the_same_for_3_and_30_issues(
    tracker: Tracker, name: str, path: str
) -> None:
    ada, bob, _cyd = await team(tracker)
    await triaged_issues(tracker, [ada, bob], 0, 3)
    short = await statements_for(tracker, ada, path)
    await triaged_issues(tracker, [ada, bob], 3, 27)

    long = await statements_for(tracker, ada, path)

    assert (await ada.ok("GET", path))["total"] == 30
    assert len(long) == len(short), "\n\n".join(long)
    assert len(long) <= BUDGETS[name], f"{name}: {len(long)} statements"


async def test_one_issue_costs_a_fixed_number_of_statements(tracker: Tracker) -> None:
    ada, bob, _cyd = await team(tracker)
    await triaged_issues(tracker, [ada, bob], 0, 1)  # a label, an assignee, a milestone

    statements = await statements_for(tracker, ada, f"{ISSUES}/1")

    assert len(statements) <= BUDGETS["issue"], "\n\n".join(statements)


async def test_a_timeline_costs_the_same_for_2_and_20_entries(tracker: Tracker) -> None:
    ada, bob, cyd = await team(tracker)
    await tracker.issue(cyd, title="Something")
    await comments_on([bob, cyd], 1, 0, 1)  # with "opened": two entries
    path = f"{ISSUES}/1/timeline?per_page=100"
    short = await statements_for(tracker, ada, path)
    await bob.ok("POST", f"{ISSUES}/1/labels", {"labels": ["bug", "ui"]})
    await bob.ok("POST", f"{ISSUES}/1/assignees", {"assignees": ["bob", "cyd"]})
    await comments_on([ada, bob, cyd], 1, 1, 14)  # 2 + 2 labels + 2 assignees + 14 = 20

    long = await statements_for(tracker, ada, path)

    assert (await ada.ok("GET", path))["total"] == 20
    assert len(long) == len(short), "\n\n".join(long)
    assert len(long) <= BUDGETS["timeline"], f"timeline: {len(long)} statements"


async def test_a_comment_list_costs_the_same_for_2_and_20_comments(tracker: Tracker) -> None:
    ada, bob, cyd = await team(tracker)
    await tracker.issue(cyd, title="Something")
    await comments_on([bob, cyd], 1, 0, 2)
    path = f"{ISSUES}/1/comments?per_page=100"
    short = await statements_for(tracker, ada, path)
    await comments_on([ada, bob, cyd], 1, 2, 18)

    long = await statements_for(tracker, ada, path)

    assert (await ada.ok("GET", path))["total"] == 20
    assert len(long) == len(short), "\n\n".join(long)
    assert len(long) <= BUDGETS["comments"], f"comments: {len(long)} statements"


async def projects_of_all_kinds(
    tracker: Tracker, owners: list[ApiUser], start: int, count: int
) -> None:
    """Public and private projects, some with bob as a member."""
    for n in range(start, start + count):
        owner = owners[n % len(owners)]
        visibility = "public" if n % 2 else "private"
        members = {"bob": "reporter"} if n % 3 == 0 and owner.username != "bob" else {}
        await tracker.project(owner, f"P{n:03d}", visibility=visibility, members=members)


@pytest.mark.parametrize("caller", ["bob", "anonymous"])
async def test_the_project_list_costs_the_same_for_3_and_30_projects(
    tracker: Tracker, caller: str
) -> None:
    ada, bob, cyd = (
        await tracker.user("ada"),
        await tracker.user("bob"),
        await tracker.user("cyd"),
    )
    who = bob if caller == "bob" else tracker.anonymous()
    path = "/api/v1/projects?per_page=100"
    await projects_of_all_kinds(tracker, [ada, bob, cyd], 0, 3)
    short = await statements_for(tracker, who, path)
    await projects_of_all_kinds(tracker, [ada, bob, cyd], 3, 27)

    long = await statements_for(tracker, who, path)

    assert (await who.ok("GET", path))["total"] >= 15
    assert len(long) == len(short), "\n\n".join(long)
    name = "project list" if caller == "bob" else "project list (anonymous)"
    assert len(long) <= BUDGETS[name], f"{name}: {len(long)} statements"


async def test_my_issues_cost_the_same_for_3_and_30_issues_across_projects(
    tracker: Tracker,
) -> None:
    ada, bob = await tracker.user("ada"), await tracker.user("bob")
    for key in ("ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX"):
        await tracker.project(ada, key, members={"bob": "maintainer"})
        await ada.ok("POST", f"/api/v1/projects/{key}/labels", {"name": "bug"}, status=201)
        await ada.ok("POST", f"/api/v1/projects/{key}/milestones", {"title": "v1"}, status=201)
    keys = ["ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX"]

    async def assigned_issues(start: int, count: int) -> None:
        for n in range(start, start + count):
            key = keys[n % (3 if start == 0 else len(keys))]
            triage: dict[str, Any] = {"labels": ["bug"], "milestone": "v1"} if n % 2 else {}
            await tracker.issue(ada, key, title=f"For bob {n}", assignees=["bob"], **triage)

    path = "/api/v1/issues?filter=assigned&per_page=100"
    await assigned_issues(0, 3)
    short = await statements_for(tracker, bob, path)
    await assigned_issues(3, 27)

    long = await statements_for(tracker, bob, path)

    assert (await bob.ok("GET", path))["total"] == 30
    assert len(long) == len(short), "\n\n".join(long)
    assert len(long) <= BUDGETS["my issues"], f"my issues: {len(long)} statements"


async def test_the_activity_feed_costs_the_same_for_3_and_30_events(tracker: Tracker) -> None:
    ada, bob, cyd = await team(tracker)
    await tracker.issue(cyd, title="First")
    await comments_on([bob, cyd], 1, 0, 2)
    path = "/api/v1/projects/WEB/events?per_page=100"
    short = await statements_for(tracker, ada, path)
    await triaged_issues(tracker, [ada, bob], 0, 5)
    await comments_on([ada, bob, cyd], 1, 2, 10)

    long = await statements_for(tracker, ada, path)

    assert (await ada.ok("GET", path))["total"] >= 30
    assert len(long) == len(short), "\n\n".join(long)
    assert len(long) <= BUDGETS["activity"], f"activity: {len(long)} statements"
