"""Many clients at once: issue numbers stay 1..n with no gap or duplicate, counts stay exact,
and of several edits of one version only one wins.

The requests run concurrently on the test's event loop through the Quart test client, so they
interleave at every await: SQLite serialises writers with BEGIN IMMEDIATE, PostgreSQL with row
locks. The app fixture's rate limits stay on: everything here is far below the "api" policy's
1200 requests a minute per address.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Sequence

import pytest
from quart import Quart, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from quart_app.db import Database
from tests.api.tracker import ApiUser, Tracker
from tests.support import ON_POSTGRES

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ISSUES = "/api/v1/projects/WEB/issues"
ISSUE = f"{ISSUES}/1"
COMMENTS = f"{ISSUE}/comments"
MEMBERS = ("ada", "bob", "cyd", "dan", "eve")
RACERS = 8  # clients sending the same edit at once
LOCK_ROW = {
    table: text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE")  # noqa: S608 - fixed names
    for table in ("issues", "comments")
}


@pytest.fixture
async def members(tracker: Tracker) -> list[ApiUser]:
    """Five members of WEB: ada owns it, the others report."""
    users = [await tracker.user(name) for name in MEMBERS]
    await tracker.project(users[0], "WEB", members={name: "reporter" for name in MEMBERS[1:]})
    return users


async def bodies(responses: list[Response]) -> list[str]:
    return [await response.get_data(as_text=True) for response in responses]


def statuses(responses: list[Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


async def race_on_a_locked_row(
    app: Quart, table: str, row_id: int, requests: Sequence[Awaitable[Response]]
) -> list[Response]:
    """Send ``requests`` at once, all of them lined up (in order) behind a lock on the row.

    On PostgreSQL a transaction of the test's own locks the row until every request waits
    behind it (directly or behind another waiter): the requests have all started, and any that
    reads the row without locking it has read the old version. Then the lock goes and they
    finish. That is the interleaving where a missing lock loses an update, made certain instead
    of likely. SQLite runs one writer at a time (BEGIN IMMEDIATE): they just run at once.
    """
    if not ON_POSTGRES:
        return list(await asyncio.gather(*requests))
    locker = Database.from_config(app.config, for_migrations=True)  # its own connections
    try:
        async with locker.engine.connect() as holder, locker.engine.connect() as watcher:
            await holder.execute(LOCK_ROW[table], {"id": row_id})
            holder_pid = int(await holder.scalar(text("SELECT pg_backend_pid()")) or 0)
            tasks = []
            for request in requests:  # one by one: they queue for the lock in this order
                tasks.append(asyncio.ensure_future(request))
                await wait_until_blocked(watcher, holder_pid, len(tasks))
            await holder.rollback()
            return list(await asyncio.gather(*tasks))
    finally:
        await locker.dispose()


async def wait_until_blocked(watcher: AsyncConnection, holder_pid: int, count: int) -> None:
    """Wait until ``count`` backends wait, directly or through other waiters, on ``holder_pid``."""
    deadline = time.monotonic() + 15
    blocked: set[int] = set()
    while time.monotonic() < deadline:
        rows = await watcher.execute(
            text("SELECT pid, pg_blocking_pids(pid) FROM pg_stat_activity")
        )
        await watcher.rollback()  # a fresh snapshot next time
        blockers = {int(pid): set(pids) for pid, pids in rows if pids}
        blocked = {holder_pid}
        while grown := {pid for pid, by in blockers.items() if by & blocked} - blocked:
            blocked |= grown
        if len(blocked) - 1 >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"only {len(blocked) - 1} of {count} requests waited on the lock")


async def test_a_hundred_concurrent_issues_are_numbered_1_to_100(
    tracker: Tracker, members: list[ApiUser]
) -> None:
    titles = [f"Concurrent issue {i}" for i in range(100)]

    responses = await asyncio.gather(
        *(members[i % len(members)].post(ISSUES, {"title": t}) for i, t in enumerate(titles))
    )

    failures = [
        b for r, b in zip(responses, await bodies(responses), strict=True) if r.status_code != 201
    ]
    assert statuses(responses) == {201: 100}, failures[:3]
    created = [await response.get_json() for response in responses]
    assert sorted(issue["number"] for issue in created) == list(range(1, 101))
    assert [issue["title"] for issue in created] == titles  # each answer is its own request's
    counts = await tracker.row_counts()
    assert counts["issues"] == 100 and counts["issue_events"] == 100
    listed = await members[0].ok("GET", f"{ISSUES}?state=all&per_page=100")
    assert sorted(item["number"] for item in listed["items"]) == list(range(1, 101))
    assert (await tracker.issue(members[0]))["number"] == 101


async def test_twenty_concurrent_comments_are_all_counted(
    tracker: Tracker, members: list[ApiUser]
) -> None:
    await tracker.issue(members[0])

    responses = await asyncio.gather(
        *(members[i % len(members)].post(COMMENTS, {"body": f"Me too #{i}"}) for i in range(20))
    )

    assert statuses(responses) == {201: 20}, (await bodies(responses))[:3]
    issue = await members[0].ok("GET", ISSUE)
    assert issue["comment_count"] == 20
    listed = await members[0].ok("GET", f"{COMMENTS}?per_page=100")
    assert listed["total"] == 20
    timeline = await members[0].ok("GET", f"{ISSUE}/timeline?per_page=100")
    assert Counter(item["kind"] for item in timeline["items"]) == {"opened": 1, "commented": 20}


async def test_of_concurrent_edits_of_one_issue_version_exactly_one_wins(
    app: Quart, tracker: Tracker, members: list[ApiUser]
) -> None:
    owner = members[0]
    created = await tracker.issue(owner, title="Original")
    edits = [
        owner.patch(ISSUE, {"title": f"Edit {i}"}, headers={"If-Match": '"1"'})
        for i in range(RACERS)
    ]

    responses = await race_on_a_locked_row(app, "issues", created["id"], edits)

    assert statuses(responses) == {200: 1, 412: RACERS - 1}, await bodies(responses)
    winner = next(i for i, response in enumerate(responses) if response.status_code == 200)
    issue = await owner.ok("GET", ISSUE)
    assert issue["title"] == f"Edit {winner}" and issue["version"] == 2
    timeline = await owner.ok("GET", f"{ISSUE}/timeline")
    assert [item["kind"] for item in timeline["items"]] == ["opened", "title_changed"]


async def test_of_concurrent_edits_of_one_comment_version_exactly_one_wins(
    app: Quart, tracker: Tracker, members: list[ApiUser]
) -> None:
    owner = members[0]
    await tracker.issue(owner)
    comment = await owner.ok("POST", COMMENTS, {"body": "Original"}, status=201)
    path = f"{COMMENTS}/{comment['id']}"
    edits = [
        owner.patch(path, {"body": f"Edit {i}"}, headers={"If-Match": '"1"'}) for i in range(RACERS)
    ]

    responses = await race_on_a_locked_row(app, "comments", comment["id"], edits)

    assert statuses(responses) == {200: 1, 412: RACERS - 1}, await bodies(responses)
    assert (await owner.ok("GET", path))["version"] == 2


async def test_concurrent_deletes_of_one_comment_count_it_once(
    app: Quart, tracker: Tracker, members: list[ApiUser]
) -> None:
    owner = members[0]
    await tracker.issue(owner)
    doomed = await owner.ok("POST", COMMENTS, {"body": "Delete me"}, status=201)
    await owner.ok("POST", COMMENTS, {"body": "Keep me"}, status=201)
    path = f"{COMMENTS}/{doomed['id']}"
    deletes = [owner.delete(path, headers={"If-Match": '"1"'}) for _ in range(RACERS)]

    responses = await race_on_a_locked_row(app, "comments", doomed["id"], deletes)

    assert (await owner.ok("GET", ISSUE))["comment_count"] == 1
    assert statuses(responses) == {204: 1, 404: RACERS - 1}, await bodies(responses)


async def test_concurrent_retries_with_one_idempotency_key_create_one_issue(
    tracker: Tracker, members: list[ApiUser]
) -> None:
    owner = members[0]
    headers = {"Idempotency-Key": "retry-storm"}

    responses = await asyncio.gather(
        *(owner.post(ISSUES, {"title": "Once"}, headers=headers) for _ in range(RACERS))
    )

    # The first creates; a retry waiting behind it replays it, or (PostgreSQL, both checked
    # before either committed) is told to retry with 409. Never a second issue, never a 500.
    texts = await bodies(responses)
    assert set(statuses(responses)) <= {201, 409}, texts
    created = {
        text for response, text in zip(responses, texts, strict=True) if response.status_code == 201
    }
    assert len(created) == 1 and json.loads(created.pop())["number"] == 1
    assert (await tracker.row_counts())["issues"] == 1


async def test_a_comment_racing_the_deletion_of_its_issue_is_refused_cleanly(
    app: Quart, tracker: Tracker, members: list[ApiUser]
) -> None:
    owner, reporter = members[0], members[1]
    issue = await tracker.issue(owner)
    delete = owner.delete(ISSUE, headers={"If-Match": '"1"'})
    comment = reporter.post(COMMENTS, {"body": "Too late?"})

    deleted, commented = await race_on_a_locked_row(app, "issues", issue["id"], [delete, comment])

    assert deleted.status_code == 204
    assert commented.status_code == 404, await commented.get_data(as_text=True)
    assert (await tracker.row_counts())["comments"] == 0
