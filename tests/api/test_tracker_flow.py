"""What a team does in a tracker, through the API alone: the whole flow, step by step."""

from __future__ import annotations

import pytest

from tests.api.tracker import Tracker

pytestmark = pytest.mark.integration


async def test_a_team_works_through_an_issue_with_the_api(tracker: Tracker) -> None:
    ada, bob, cyd = await tracker.user("ada"), await tracker.user("bob"), await tracker.user("cyd")
    await tracker.project(ada, "WEB", members={"bob": "maintainer", "cyd": "reporter"})
    await ada.ok(
        "POST", "/api/v1/projects/WEB/labels", {"name": "bug", "color": "#d73a4a"}, status=201
    )
    await ada.ok("POST", "/api/v1/projects/WEB/labels", {"name": "priority/high"}, status=201)
    await ada.ok("POST", "/api/v1/projects/WEB/labels", {"name": "priority/low"}, status=201)
    await ada.ok(
        "POST",
        "/api/v1/projects/WEB/milestones",
        {"title": "v1", "due_on": "2027-01-31"},
        status=201,
    )

    issue = await tracker.issue(cyd, title="Sign-in loses the email", body="Steps:\n\n1. **type**")
    assert issue["key"] == "WEB-1" and issue["state"] == "open"
    assert "<strong>type</strong>" in issue["body_html"]

    path = "/api/v1/projects/WEB/issues/1"
    await bob.ok("POST", f"{path}/labels", {"labels": ["bug", "priority/low"]})
    labelled = await bob.ok("POST", f"{path}/labels", {"labels": ["priority/high"]})
    assert [label["name"] for label in labelled["labels"]] == ["bug", "priority/high"]
    await bob.ok("POST", f"{path}/assignees", {"assignees": ["cyd"]})
    current = await bob.ok("GET", path)
    triaged = await bob.ok(
        "PATCH", path, {"milestone": "v1"}, headers={"If-Match": f'"{current["version"]}"'}
    )
    assert triaged["milestone"]["title"] == "v1"

    await cyd.ok("POST", f"{path}/comments", {"body": "Still happens on **Firefox**"}, status=201)
    closed = await cyd.ok(
        "PATCH", path, {"state": "closed", "close_reason": "completed"},
        headers={"If-Match": f'"{triaged["version"]}"'},
    )  # fmt: skip
    assert closed["state"] == "closed" and closed["closed_at"] is not None

    found = await ada.ok(
        "GET", "/api/v1/projects/WEB/issues?state=closed&labels=bug&assignee=cyd&q=firefox"
    )
    assert [item["key"] for item in found["items"]] == ["WEB-1"]
    mine = await cyd.ok("GET", "/api/v1/issues?filter=assigned&state=all")
    assert [item["key"] for item in mine["items"]] == ["WEB-1"]

    timeline = await ada.ok("GET", f"{path}/timeline")
    kinds = [item["kind"] for item in timeline["items"]]
    assert kinds == [
        "opened", "labeled", "labeled", "unlabeled", "labeled", "assigned", "milestoned",
        "commented", "closed",
    ]  # fmt: skip
    assert timeline["items"][3]["data"] == {"before": "priority/low"}
    assert "<strong>Firefox</strong>" in timeline["items"][7]["comment"]["body_html"]
    progress = await ada.ok("GET", "/api/v1/projects/WEB/milestones?state=all")
    assert progress["milestones"][0]["percent_done"] == 100
    feed = await ada.ok("GET", "/api/v1/projects/WEB/events")
    assert feed["items"][0]["kind"] == "closed" and feed["items"][0]["issue"]["number"] == 1
