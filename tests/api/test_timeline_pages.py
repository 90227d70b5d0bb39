"""A timeline is paged with its total, counted only when the first page does not hold it all."""

from __future__ import annotations

import pytest

from tests.api.tracker import ApiUser, Tracker

pytestmark = pytest.mark.integration

ISSUE = "/api/v1/projects/WEB/issues/1"
TIMELINE = f"{ISSUE}/timeline"


async def issue_with_three_events(tracker: Tracker) -> ApiUser:
    """Opened, then commented on twice."""
    ada = await tracker.user("ada")
    await tracker.project(ada, "WEB")
    await tracker.issue(ada)
    for n in range(2):
        await ada.ok("POST", f"{ISSUE}/comments", {"body": f"comment {n}"}, status=201)
    return ada


@pytest.mark.parametrize(
    ("query", "items", "last_page"),
    [("per_page=10", 3, 1), ("per_page=3", 3, 1), ("per_page=2", 2, 2), ("per_page=2&page=2", 1, 2),
     ("per_page=2&page=3", 0, 2)],
)  # fmt: skip
async def test_every_page_tells_the_whole_total(
    tracker: Tracker, query: str, items: int, last_page: int
) -> None:
    ada = await issue_with_three_events(tracker)

    page = await ada.ok("GET", f"{TIMELINE}?{query}")

    assert len(page["items"]) == items
    assert page["total"] == 3
    assert page["last_page"] == last_page
