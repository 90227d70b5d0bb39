"""How many SQL statements opening an issue costs: each runs while SQLite's write lock is held.

Transaction control is left out (tests/api/test_query_counts.py records the same way).
"""

from __future__ import annotations

import pytest

from tests.api.test_query_counts import recorded_statements, team
from tests.api.tracker import Tracker

pytestmark = pytest.mark.integration

ISSUES = "/api/v1/projects/WEB/issues"
# token, project and role, next number, the issue, its "opened" event, its search document
CREATE_BUDGET = 6


async def test_opening_an_issue_costs_a_fixed_number_of_statements(tracker: Tracker) -> None:
    _ada, bob, _cyd = await team(tracker)
    await bob.ok("POST", ISSUES, {"title": "First"}, status=201)

    with recorded_statements(tracker.database) as statements:
        await bob.ok("POST", ISSUES, {"title": "Second", "body": "Some *words*"}, status=201)

    assert len(statements) <= CREATE_BUDGET, "\n\n".join(statements)


async def test_a_new_issue_is_found_by_search_and_shows_its_opened_event(
    tracker: Tracker,
) -> None:
    _ada, bob, _cyd = await team(tracker)

    created = await bob.ok("POST", ISSUES, {"title": "Flaky login", "body": "Séance"}, status=201)

    found = await bob.ok("GET", f"{ISSUES}?q=s%C3%89ANCE+flaky&state=all")
    assert [item["number"] for item in found["items"]] == [created["number"]]
    timeline = await bob.ok("GET", f"{ISSUES}/{created['number']}/timeline")
    assert [(item["kind"], item["actor"]["username"]) for item in timeline["items"]] == [
        ("opened", "bob")
    ]
    assert created["version"] == 1 and created["comment_count"] == 0 and created["state"] == "open"
