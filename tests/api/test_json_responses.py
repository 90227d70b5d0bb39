"""Response models become JSON in pydantic's serialiser (create_app): the same JSON as before."""

from __future__ import annotations

import json

import pytest

from quart_app.api.issues import IssueOut, IssuePage
from tests.api.tracker import Tracker

pytestmark = pytest.mark.integration

TITLE = 'Café ☕ "quoted" \\ <b>not markup</b> \u2028 emoji 🐛'


async def test_a_model_response_is_its_models_json_with_fields_in_order(tracker: Tracker) -> None:
    ada = await tracker.user("ada")
    await tracker.project(ada, "WEB")
    await tracker.issue(ada, title=TITLE, body="**bold**")

    response = await ada.get("/api/v1/projects/WEB/issues/1")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    text = (await response.get_data()).decode()
    body = json.loads(text)
    assert body["title"] == TITLE
    assert list(body) == list(IssueOut.model_fields)  # the model's order, not sorted
    assert body["created_at"].endswith("Z")  # dates as ISO 8601 text, in UTC
    assert text == IssueOut.model_validate(body).model_dump_json() + "\n"
    assert response.headers["ETag"] == '"1"'  # headers still go through quart-schema


async def test_a_page_keeps_its_pagination_headers(tracker: Tracker) -> None:
    ada = await tracker.user("ada")
    await tracker.project(ada, "WEB")
    for number in range(3):
        await tracker.issue(ada, title=f"Issue {number}")

    response = await ada.get("/api/v1/projects/WEB/issues?per_page=2")

    assert response.status_code == 200
    body = await response.get_json()
    assert list(body) == list(IssuePage.model_fields)
    assert [item["title"] for item in body["items"]] == ["Issue 2", "Issue 1"]
    assert response.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in response.headers["Link"]


async def test_errors_keep_their_shape(tracker: Tracker) -> None:
    ada = await tracker.user("ada")

    response = await ada.get("/api/v1/projects/NOPE/issues/1")

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    body = await response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "NOT_FOUND"
    assert "NOPE" in body["error"]["message"]
