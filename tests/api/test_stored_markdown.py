"""Issue and comment bodies are rendered once, on write, and the stored HTML is what is served."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, update

from quart_app.markdown import render_markdown
from quart_app.models import Comment, Issue
from tests.api.tracker import ApiUser, Tracker

pytestmark = pytest.mark.integration

ISSUE = "/api/v1/projects/WEB/issues/1"
HOSTILE = (
    '<script>alert("md")</script> **loud**\n\n'
    '[click](javascript:alert(1)) <a href="javascript:alert(2)">raw</a> '
    "[tab](java\tscript:alert(3)) [ok](https://example.com/ok)"
)


async def stored_issue_html(tracker: Tracker) -> str:
    async with tracker.database.read_sessions() as session:
        return str(await session.scalar(select(Issue.body_html)))


async def stored_comment_html(tracker: Tracker, comment_id: int) -> str:
    async with tracker.database.read_sessions() as session:
        return str(await session.scalar(select(Comment.body_html).where(Comment.id == comment_id)))


async def owner_with_issue(tracker: Tracker, body: str) -> ApiUser:
    ada = await tracker.user("ada")
    await tracker.project(ada, "WEB")
    await tracker.issue(ada, body=body)
    return ada


async def comment(ada: ApiUser, body: str) -> dict[str, Any]:
    return dict(await ada.ok("POST", f"{ISSUE}/comments", {"body": body}, status=201))


async def test_opening_an_issue_stores_its_rendered_body(tracker: Tracker) -> None:
    await owner_with_issue(tracker, "It **fails** with `E42`")
    assert await stored_issue_html(tracker) == (
        "<p>It <strong>fails</strong> with <code>E42</code></p>\n"
    )


async def test_an_issue_without_a_body_stores_empty_html(tracker: Tracker) -> None:
    await owner_with_issue(tracker, "")
    assert await stored_issue_html(tracker) == ""


async def test_editing_an_issue_body_renders_the_new_body_into_storage(tracker: Tracker) -> None:
    ada = await owner_with_issue(tracker, "old *words*")
    await ada.ok("PATCH", ISSUE, {"body": "new **words**"}, headers={"If-Match": '"1"'})
    assert await stored_issue_html(tracker) == "<p>new <strong>words</strong></p>\n"


async def test_editing_only_the_title_keeps_the_stored_body(tracker: Tracker) -> None:
    ada = await owner_with_issue(tracker, "kept *words*")
    await ada.ok("PATCH", ISSUE, {"title": "Renamed"}, headers={"If-Match": '"1"'})
    assert await stored_issue_html(tracker) == "<p>kept <em>words</em></p>\n"


async def test_a_new_comment_stores_and_serves_its_rendered_body(tracker: Tracker) -> None:
    ada = await owner_with_issue(tracker, "")
    created = await comment(ada, "Seen on **Firefox**")
    assert created["body_html"] == "<p>Seen on <strong>Firefox</strong></p>\n"
    assert await stored_comment_html(tracker, created["id"]) == created["body_html"]


async def test_editing_a_comment_renders_the_new_body_into_storage(tracker: Tracker) -> None:
    ada = await owner_with_issue(tracker, "")
    created = await comment(ada, "first *draft*")
    edited = await ada.ok(
        "PATCH", f"{ISSUE}/comments/{created['id']}", {"body": "second **draft**"},
        headers={"If-Match": '"1"'},
    )  # fmt: skip
    assert edited["body_html"] == "<p>second <strong>draft</strong></p>\n"
    assert await stored_comment_html(tracker, created["id"]) == edited["body_html"]


async def test_comments_are_served_from_the_stored_html_not_rendered_on_read(
    tracker: Tracker,
) -> None:
    ada = await owner_with_issue(tracker, "")
    created = await comment(ada, "Seen on **Firefox**")
    async with tracker.database.write_sessions() as session:
        await session.execute(update(Comment).values(body_html="<p>stored</p>"))
        await session.commit()
    path = f"{ISSUE}/comments"
    assert (await ada.ok("GET", f"{path}/{created['id']}"))["body_html"] == "<p>stored</p>"
    assert (await ada.ok("GET", path))["items"][0]["body_html"] == "<p>stored</p>"
    timeline = await ada.ok("GET", f"{ISSUE}/timeline")
    assert timeline["items"][-1]["comment"]["body_html"] == "<p>stored</p>"


async def test_an_issue_is_served_from_the_stored_html_not_rendered_on_read(
    tracker: Tracker,
) -> None:
    ada = await owner_with_issue(tracker, "It **fails**")
    async with tracker.database.write_sessions() as session:
        await session.execute(update(Issue).values(body_html="<p>stored</p>"))
        await session.commit()
    assert (await ada.ok("GET", ISSUE))["body_html"] == "<p>stored</p>"


@pytest.mark.parametrize("where", ["issue", "comment"])
async def test_scripts_and_javascript_links_are_never_stored(tracker: Tracker, where: str) -> None:
    ada = await owner_with_issue(tracker, HOSTILE if where == "issue" else "")
    if where == "issue":
        stored = await stored_issue_html(tracker)
    else:
        stored = await stored_comment_html(tracker, (await comment(ada, HOSTILE))["id"])
    assert "<script" not in stored  # shown as text, escaped
    assert re.findall(r"<a [^>]*>", stored) == [
        '<a href="https://example.com/ok" rel="nofollow noopener noreferrer">'
    ]  # the javascript: links stay text, never links
    assert "<strong>loud</strong>" in stored
    assert stored == render_markdown(HOSTILE)
