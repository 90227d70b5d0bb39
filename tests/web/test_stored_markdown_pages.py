"""The issue page shows the HTML stored when a body was written; the forms keep it in step."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from quart_app.db import Database
from quart_app.models import Comment, Issue
from tests.web.conftest import TrackerSite, add_hostile_project

pytestmark = pytest.mark.web

ISSUE = "/projects/PRIV/issues"


async def stored_issue_html(site: TrackerSite, title: str) -> str:
    database: Database = site.app.extensions["db"]
    async with database.read_sessions() as session:
        return str(await session.scalar(select(Issue.body_html).where(Issue.title == title)))


async def stored_comment_html(site: TrackerSite, comment_id: int) -> str:
    database: Database = site.app.extensions["db"]
    async with database.read_sessions() as session:
        return str(await session.scalar(select(Comment.body_html).where(Comment.id == comment_id)))


def version_on(page: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match is not None
    return match.group(1)


async def test_opening_an_issue_with_the_form_stores_its_rendered_body(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    await rita.post(ISSUE, title="Export fails", body="It **fails**", intent="submit")
    assert await stored_issue_html(site, "Export fails") == "<p>It <strong>fails</strong></p>\n"


async def test_editing_with_the_form_renders_the_new_body_into_storage(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    version = version_on(await rita.page(f"{ISSUE}/1"))
    await rita.post(
        f"{ISSUE}/1/edit", title="Crash on saving", body="New *steps*", version=version,
        form="edit",
    )  # fmt: skip
    assert await stored_issue_html(site, "Crash on saving") == "<p>New <em>steps</em></p>\n"


async def test_commenting_with_the_form_stores_the_rendered_comment(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    await rita.post(f"{ISSUE}/1/comments", body="Also on **Linux**", intent="submit")
    database: Database = site.app.extensions["db"]
    async with database.read_sessions() as session:
        newest = await session.scalar(select(Comment.id).order_by(Comment.id.desc()).limit(1))
    assert await stored_comment_html(site, int(newest or 0)) == (
        "<p>Also on <strong>Linux</strong></p>\n"
    )


async def test_the_issue_page_shows_the_stored_html_not_a_fresh_rendering(
    site: TrackerSite,
) -> None:
    database: Database = site.app.extensions["db"]
    async with database.write_sessions() as session:
        await session.execute(
            update(Issue)
            .where(Issue.project_id == site.projects["PRIV"].id, Issue.number == 1)
            .values(body_html="<p>BODY</p>")
        )
        await session.execute(
            update(Comment)
            .where(Comment.id == site.comment_ids["PRIV"]["rita"])
            .values(body_html="<p>COMMENT</p>")
        )
        await session.commit()
    page = await (await site.visitor("rita")).page(f"{ISSUE}/1")
    assert '<div class="markdown"><p>BODY</p>' in page
    assert '<div class="markdown"><p>COMMENT</p>' in page


async def test_hostile_markdown_is_stored_sanitised(site: TrackerSite) -> None:
    await add_hostile_project(site)
    database: Database = site.app.extensions["db"]
    async with database.read_sessions() as session:
        stored = list(await session.scalars(select(Issue.body_html).where(Issue.body != "")))
        stored += list(await session.scalars(select(Comment.body_html)))
    hostile = [html for html in stored if "alert" in html]
    assert len(hostile) == 2  # HOSTILE_MARKDOWN, as the HOST issue's body and its comment
    for html in hostile:
        assert "<script" not in html  # shown as text, escaped
        assert re.findall(r"<a [^>]*>", html) == [
            '<a href="https://example.com/ok" rel="nofollow noopener noreferrer">'
        ]  # the javascript: links stay text, never links
