"""Issue pages through the test client: open one (with a preview), comment (with a preview),
edit against a version, close and reopen, triage, delete; the Markdown preview endpoint; and
people's words escaped wherever an issue page shows them."""

from __future__ import annotations

import html
import re

import pytest

from quart_app.db import Database
from quart_app.models import User
from quart_app.services.accounts import update_profile
from quart_app.services.issues import IssueChanges, update_issue
from quart_app.services.labels import create_label
from quart_app.services.members import remove_member
from quart_app.services.milestones import update_milestone
from quart_app.services.versions import ANY_VERSION
from tests.factories import acting_as
from tests.web.conftest import TrackerSite, add_hostile_project
from tests.web.helpers import Visitor, flashes

pytestmark = pytest.mark.web

ISSUE = "/projects/PRIV/issues"
LONG = "x" * 65_537  # one character over the limit for bodies and comments


def field_error(page: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" id="{re.escape(name)}-error">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else None


def input_value(page: str, element_id: str) -> str | None:
    match = re.search(rf'<input id="{re.escape(element_id)}" name="\w+"[^>]* value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def textarea_text(page: str, element_id: str) -> str | None:
    match = re.search(
        rf'<textarea id="{re.escape(element_id)}" name="\w+"[^>]*>([^<]*)</textarea>', page
    )
    return html.unescape(match.group(1)) if match else None


def preview_pane(page: str, pane_id: str) -> str:
    match = re.search(rf'<div class="preview[^"]*" id="{pane_id}"[^>]*>(.*?)</div>', page, re.S)
    assert match is not None, pane_id
    return match.group(1)


def version_on(page: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match is not None
    return match.group(1)


def form_errors(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="error[^"]*"[^>]*>([^<]*)</p>', page)]


# --- Opening an issue.


async def test_opening_an_issue_redirects_to_it_with_a_flash(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    response = await rita.post(
        ISSUE, title="Export fails", body="It **fails** with `E42`", intent="submit"
    )
    assert response.headers["Location"] == f"{ISSUE}/3"
    page = await rita.follow(response)
    assert flashes(page) == ["Issue PRIV-3 is open."]
    assert "<h1>Export fails" in page
    assert "It <strong>fails</strong> with <code>E42</code>" in page


@pytest.mark.parametrize(
    ("title", "body", "field", "message"),
    [
        ("", "My body text\nwith two lines", "title", "The title cannot be empty."),
        ("   ", "Kept", "title", "The title cannot be empty."),
        ("t" * 201, "Kept", "title", "Use at most 200 characters."),
        ("A fine title", LONG, "body", "Use at most 65536 characters."),
    ],
)
async def test_a_refused_issue_keeps_what_was_typed(
    site: TrackerSite, title: str, body: str, field: str, message: str
) -> None:
    rita = await site.visitor("rita")
    before = await site.rows()
    response = await rita.post(ISSUE, title=title, body=body, intent="submit")
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, field) == message
    assert f'aria-describedby="{field}-error"' in page
    assert input_value(page, "title") == title
    assert textarea_text(page, "body") == body
    assert await site.rows() == before


async def test_previewing_a_new_issue_shows_it_and_creates_nothing(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    body = "Some **bold** words\n\n<script>alert(1)</script> [x](javascript:alert(1))"
    before = await site.rows()
    response = await rita.post(ISSUE, title="Draft", body=body, intent="preview")
    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    pane = preview_pane(page, "new-issue-preview")
    assert "<strong>bold</strong>" in pane
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pane and "<script>" not in pane
    assert 'href="javascript' not in pane
    assert input_value(page, "title") == "Draft"
    assert textarea_text(page, "body") == body
    assert await site.rows() == before


async def test_a_non_member_cannot_preview_a_new_issue(site: TrackerSite) -> None:
    nora = await site.visitor("nora")
    await nora.page("/projects/PUB/issues/new", status=403)
    response = await nora.post("/projects/PUB/issues", title="x", body="*y*", intent="preview")
    assert response.status_code == 403


# --- Comments.


async def test_commenting_redirects_to_the_issue_with_a_flash(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    response = await rita.post(
        f"{ISSUE}/2/comments", body="Seen in `v1.2`", intent="submit", form="comment"
    )
    assert response.headers["Location"] == f"{ISSUE}/2"
    page = await rita.follow(response)
    assert flashes(page) == ["Your comment is posted."]
    assert "Seen in <code>v1.2</code>" in page
    assert "2 comments" in page
    assert textarea_text(page, "body") == ""  # a fresh form for the next one


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "A comment cannot be empty."), ("  \n ", "A comment cannot be empty."),
     (LONG, "Use at most 65536 characters.")],
)  # fmt: skip
async def test_a_refused_comment_keeps_what_was_typed(
    site: TrackerSite, body: str, message: str
) -> None:
    rita = await site.visitor("rita")
    before = await site.rows()
    response = await rita.post(f"{ISSUE}/2/comments", body=body, intent="submit", form="comment")
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "body") == message
    assert textarea_text(page, "body") == body
    assert await site.rows() == before


async def test_previewing_a_comment_shows_it_and_posts_nothing(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    body = "A *draft* <script>alert(1)</script>"
    before = await site.rows()
    response = await rita.post(f"{ISSUE}/2/comments", body=body, intent="preview", form="comment")
    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    pane = preview_pane(page, "comment-preview")
    assert "<em>draft</em>" in pane and "&lt;script&gt;" in pane and "<script>" not in pane
    assert textarea_text(page, "body") == body
    assert await site.rows() == before


async def test_deleting_a_comment_redirects_with_a_flash(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    comment = site.comment_ids["PRIV"]["rita"]
    page = await rita.page(f"{ISSUE}/1")
    button = f'<button type="submit" form="delete-comment" name="comment_id" value="{comment}"'
    assert button in page and 'id="delete-comment"' in page
    response = await rita.post(f"{ISSUE}/1/comments/delete", comment_id=str(comment))
    assert response.headers["Location"] == f"{ISSUE}/1"
    page = await rita.follow(response)
    assert flashes(page) == ["The comment is deleted."]
    assert f'id="comment-{comment}"' not in page and "Me too" not in page
    assert 'id="delete-comment"' not in page  # no comment of hers is left to delete


@pytest.mark.parametrize(
    "comment_id",
    ["", "first", "\u0661", "9" * 40, "olivia's comment on #2"],
    ids=["missing", "a word", "a non-ASCII digit", "too long", "another issue's"],
)
async def test_a_delete_naming_no_comment_of_the_issue_is_a_404_and_deletes_nothing(
    site: TrackerSite, comment_id: str
) -> None:
    olivia = await site.visitor("olivia")
    if comment_id == "olivia's comment on #2":
        comment_id = str(site.comment_ids["PRIV"]["olivia"])
    before = await site.rows()
    response = await olivia.post(f"{ISSUE}/1/comments/delete", comment_id=comment_id)
    assert response.status_code == 404
    assert "#1 has no comment" in await response.get_data(as_text=True)
    assert await site.rows() == before


# --- Editing against a version; closing and reopening.


async def test_editing_redirects_with_a_flash_and_records_the_change(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    version = version_on(await rita.page(f"{ISSUE}/1"))
    response = await rita.post(
        f"{ISSUE}/1/edit", title="Crash on save as", body="New *steps*", version=version,
        form="edit",
    )  # fmt: skip
    assert response.headers["Location"] == f"{ISSUE}/1"
    page = await rita.follow(response)
    assert flashes(page) == ["The issue is saved."]
    assert "<h1>Crash on save as" in page and "New <em>steps</em>" in page
    assert "changed the title from “Crash on save” to “Crash on save as”" in page
    assert int(version_on(page)) == int(version) + 1


async def test_a_stale_edit_is_refused_inline_and_keeps_the_typed_text(site: TrackerSite) -> None:
    max_ = await site.visitor("max")
    stale = version_on(await max_.page(f"{ISSUE}/2"))
    database: Database = site.app.extensions["db"]
    async with database.write_sessions() as session:  # olivia saves first
        owner = acting_as(site.projects["PRIV"], await session.merge(site.users["olivia"]))
        await update_issue(
            session, owner, 2, IssueChanges(title="Olivia's title"), if_match=ANY_VERSION
        )
        await session.commit()
    before = await site.rows()
    response = await max_.post(
        f"{ISSUE}/2/edit", title="Max's title", body="Max's long description", version=stale,
        form="edit",
    )  # fmt: skip
    page = await response.get_data(as_text=True)
    assert response.status_code == 422  # PreconditionFailedError is a form error here, not 412
    edit_form = page.split("<summary>Edit title and description</summary>")[1].split("</form>")[0]
    assert "changed since you read it" in html.unescape(edit_form)
    assert '<details class="card" open>' in page
    assert input_value(page, "edit-title") == "Max's title"
    assert textarea_text(page, "edit-body") == "Max's long description"
    assert "<h1>Olivia&#39;s title" in page  # what is saved now, above the form
    assert await site.rows() == before


@pytest.mark.parametrize(
    ("title", "message"),
    [("", "The title cannot be empty."), ("t" * 201, "Use at most 200 characters.")],
)
async def test_a_refused_edit_keeps_the_typed_text(
    site: TrackerSite, title: str, message: str
) -> None:
    rita = await site.visitor("rita")
    version = version_on(await rita.page(f"{ISSUE}/1"))
    before = await site.rows()
    response = await rita.post(
        f"{ISSUE}/1/edit", title=title, body="Typed body", version=version, form="edit"
    )
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "edit-title") == message
    assert input_value(page, "edit-title") == title
    assert textarea_text(page, "edit-body") == "Typed body"
    assert await site.rows() == before


async def test_closing_and_reopening_redirect_with_flashes(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    version = version_on(await rita.page(f"{ISSUE}/1"))
    closed = await rita.post(
        f"{ISSUE}/1/state", state="closed", close_reason="not_planned", version=version,
        form="state",
    )  # fmt: skip
    assert closed.headers["Location"] == f"{ISSUE}/1"
    page = await rita.follow(closed)
    assert flashes(page) == ["The issue is closed."]
    assert "Closed (not planned)" in page and "closed this as not planned" in page
    assert ">Reopen issue</button>" in page
    reopened = await rita.post(
        f"{ISSUE}/1/state", state="open", version=version_on(page), form="state"
    )
    page = await rita.follow(reopened)
    assert flashes(page) == ["The issue is open again."]
    assert "reopened this issue" in page and ">Close issue</button>" in page


async def test_closing_a_changed_issue_is_refused_inline(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    stale = version_on(await rita.page(f"{ISSUE}/1"))
    await rita.post(f"{ISSUE}/1/edit", title="Changed", body="", version=stale, form="edit")
    before = await site.rows()
    response = await rita.post(
        f"{ISSUE}/1/state", state="closed", close_reason="completed", version=stale, form="state"
    )
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    state_form = page.split('id="issue-state-form"')[1].split("</form>")[0]
    assert "changed since you read it" in html.unescape(state_form)
    assert await site.rows() == before


async def test_a_bad_close_reason_is_shown_beside_the_state_form(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    version = version_on(await rita.page(f"{ISSUE}/1"))
    response = await rita.post(
        f"{ISSUE}/1/state", state="closed", close_reason="bored", version=version, form="state"
    )
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="issue-state-form"' in page
    assert "Choose why the issue is closed." in page


# --- Triage: labels, assignees, milestone (no flash: the sidebar shows the change).


@pytest.mark.parametrize(
    ("number", "action", "fields", "sentence"),
    [
        (2, "labels", {"label": "docs"}, "added the label docs"),
        (2, "labels/{bug}/remove", {}, "removed the label bug"),
        (2, "assignees", {"assignee": "rita"}, "assigned rita"),
        (2, "assignees/max/remove", {}, "unassigned max"),
        (2, "milestone", {"milestone": ""}, "removed the milestone v1"),
        (1, "milestone", {"milestone": "v1"}, "moved this to the milestone v1"),
    ],
)
async def test_triage_forms_redirect_back_to_the_issue(
    site: TrackerSite, number: int, action: str, fields: dict[str, str], sentence: str
) -> None:
    max_ = await site.visitor("max")
    path = f"{ISSUE}/{number}/{action.format(bug=site.label_ids['PRIV']['bug'])}"
    response = await max_.post(path, form="triage", **fields)
    assert response.headers["Location"] == f"{ISSUE}/{number}"
    page = await max_.follow(response)
    assert f"<strong>max</strong> {sentence}" in page


def select_options(page: str, select_id: str) -> list[str]:
    select = page.split(f'<select id="{select_id}"')[1].split("</select>")[0]
    return [value for value in re.findall(r'<option value="([^"]*)"', select) if value]


async def test_the_pick_lists_offer_only_what_the_issue_lacks(site: TrackerSite) -> None:
    max_ = await site.visitor("max")
    page = await max_.page(f"{ISSUE}/2")  # labelled bug, assigned to max
    assert select_options(page, "assignee") == ["olivia", "rita"]
    assert select_options(page, "label") == ["docs"]
    assert select_options(page, "milestone") == ["v1"]
    rita = await site.visitor("rita")  # a reporter: no pick lists at all
    assert 'id="assignee"' not in await rita.page(f"{ISSUE}/2")


async def test_the_pick_lists_follow_changes_made_after_a_view(site: TrackerSite) -> None:
    """The pick lists are remembered between views (on SQLite) until the next commit."""
    max_ = await site.visitor("max")
    page = await max_.page(f"{ISSUE}/1")
    assert select_options(page, "assignee") == ["max", "olivia", "rita"]
    assert select_options(page, "label") == ["bug", "docs"]
    assert select_options(page, "milestone") == ["v1"]

    database: Database = site.app.extensions["db"]
    owner = acting_as(site.projects["PRIV"], site.users["olivia"])
    async with database.write_sessions() as session, session.begin():
        await remove_member(session, owner, username="rita")
        max_user = await session.get(User, site.users["max"].id)
        assert max_user is not None
        await update_profile(session, max_user, display_name="Max <the maintainer>")
        await create_label(session, owner, name="ui")
        await update_milestone(
            session, owner, site.milestone_ids["PRIV"], changes={"state": "closed"}
        )

    page = await max_.page(f"{ISSUE}/1")
    assert select_options(page, "assignee") == ["max", "olivia"]
    assert "Max &lt;the maintainer&gt; (@max)</option>" in page
    assert select_options(page, "label") == ["bug", "docs", "ui"]
    assert select_options(page, "milestone") == []


@pytest.mark.parametrize(
    ("action", "fields", "message"),
    [
        ("labels", {"label": "nosuch"}, "PRIV has no label 'nosuch'."),
        ("assignees", {"assignee": ""}, "Choose someone to assign."),
        (
            "assignees",
            {"assignee": "nora"},
            "'nora' is not a member of PRIV: only members can be assigned.",
        ),
        ("milestone", {"milestone": "v9"}, "PRIV has no milestone 'v9'."),
    ],
)
async def test_refused_triage_is_explained_in_the_sidebar(
    site: TrackerSite, action: str, fields: dict[str, str], message: str
) -> None:
    max_ = await site.visitor("max")
    before = await site.rows()
    response = await max_.post(f"{ISSUE}/2/{action}", form="triage", **fields)
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    sidebar = page.split('id="issue-sidebar"')[1]
    assert form_errors(sidebar)[:1] == [message]
    assert await site.rows() == before


async def test_deleting_an_issue_redirects_to_the_list_with_a_flash(site: TrackerSite) -> None:
    olivia = await site.visitor("olivia")
    response = await olivia.post(f"{ISSUE}/2/delete")
    assert response.headers["Location"] == "/projects/PRIV"
    page = await olivia.follow(response)
    assert flashes(page) == ["Issue PRIV-2 is deleted."]
    assert "Owner&#39;s plan" not in page
    await olivia.page(f"{ISSUE}/2", status=404)


# --- The Markdown preview endpoint.


async def preview(browser: Visitor, body: str, token: str | None) -> tuple[int, str]:
    headers = {"Accept": "text/html"} | ({"X-CSRF-Token": token} if token is not None else {})
    response = await browser.client.post("/preview", form={"body": body}, headers=headers)
    return response.status_code, await response.get_data(as_text=True)


async def test_the_preview_endpoint_returns_sanitised_html(site: TrackerSite) -> None:
    rita = await site.visitor("rita")
    body = "**Hi** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.com)"
    status, fragment = await preview(rita, body, rita.token)
    assert status == 200
    assert "<strong>Hi</strong>" in fragment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment and "<script" not in fragment
    assert 'href="javascript' not in fragment
    assert '<a href="https://example.com" rel="nofollow noopener noreferrer">ok</a>' in fragment
    assert "<html" not in fragment  # a fragment for the pane, not a page
    assert await preview(rita, "  ", rita.token) == (200, '<p class="hint">Nothing to preview.</p>')


@pytest.mark.parametrize("token", [None, "", "f" * 64])
async def test_the_preview_endpoint_needs_the_csrf_header(
    site: TrackerSite, token: str | None
) -> None:
    rita = await site.visitor("rita")
    status, page = await preview(rita, "**Hi**", token)
    assert status == 403
    assert "<strong>Hi</strong>" not in page


# --- People's words on the issue page.


@pytest.mark.parametrize("who", [None, "olivia", "rita"])
async def test_people_s_words_are_escaped_on_the_issue_page(
    site: TrackerSite, who: str | None
) -> None:
    await add_hostile_project(site)
    page = await (await site.visitor(who)).page("/projects/HOST/issues/1")
    assert "<script>alert(" not in page
    assert '"><script' not in page
    assert not re.search(r"<a [^>]*href=\"\s*java", page, re.I)  # no live javascript: link
    for where in ("issue title", "label", "milestone", "display name", "project name"):
        assert f"&lt;script&gt;alert(&#34;{where}&#34;)" in page, where
    # The body and the comment: raw HTML shown as text, javascript: links left as text.
    assert page.count('&lt;script&gt;alert("md")&lt;/script&gt;') == 2
    assert page.count("<p>[click](javascript:alert(1))") == 2  # body and comment, as text
    assert page.count('<a href="https://example.com/ok" rel="nofollow noopener noreferrer">') == 2
    # The title change in the timeline is a sentence of text too.
    assert "changed the title from “Plain title” to “&#34;&gt;&lt;script&gt;" in page
