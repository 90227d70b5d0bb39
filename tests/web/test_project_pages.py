"""Project pages through the test client: the list, a new project, the issue list and its
filters, and the settings tabs (details, delete, members, labels, milestones)."""

from __future__ import annotations

import html
import re

import pytest

from quart_app.db import Database
from quart_app.models import IssueState, Role
from quart_app.services.accounts import create_user
from quart_app.services.comments import add_comment
from quart_app.services.issues import IssueChanges, create_issue, update_issue
from quart_app.services.versions import ANY_VERSION
from tests.factories import acting_as
from tests.web.conftest import TrackerSite, add_hostile_project, hostile
from tests.web.helpers import PASSWORD, flashes, visitor

pytestmark = pytest.mark.web


def issue_titles(page: str) -> list[str]:
    """The titles the issue list shows, in order."""
    return [html.unescape(t) for t in re.findall(r'class="issue-title" href="[^"]+">([^<]*)', page)]


def field_error(page: str, name: str) -> str | None:
    """The message shown beside the field ``name`` (the macros give it id="<name>-error")."""
    match = re.search(rf'<p class="error" id="{re.escape(name)}-error">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else None


def input_value(page: str, name: str) -> str | None:
    match = re.search(
        rf'<input id="{re.escape(name)}" name="{re.escape(name)}"[^>]* value="([^"]*)"', page
    )
    return html.unescape(match.group(1)) if match else None


def textarea_text(page: str, name: str) -> str | None:
    match = re.search(
        rf'<textarea id="{re.escape(name)}" name="{re.escape(name)}"[^>]*>([^<]*)</textarea>', page
    )
    return html.unescape(match.group(1)) if match else None


# --- The project list and a new project.


async def test_the_project_list_shows_each_visitor_what_they_may_see(site: TrackerSite) -> None:
    anonymous = await (await site.visitor(None)).page("/projects")
    assert "PUB project" in anonymous and "PRIV project" not in anonymous
    assert "Public projects" in anonymous and 'href="/projects/new"' not in anonymous
    outsider = await (await site.visitor("nora")).page("/projects")
    assert "PUB project" in outsider and "PRIV project" not in outsider
    assert "You are not in a project yet." in outsider
    member = await (await site.visitor("rita")).page("/projects")
    yours = member.split('id="mine-heading"')[1].split('id="all-heading"')[0]
    assert "PRIV project" in yours and "PUB project" in yours and "reporter" in yours


async def test_creating_a_project_redirects_to_it_with_a_flash(site: TrackerSite) -> None:
    nora = await site.visitor("nora")
    response = await nora.post(
        "/projects", key="nw", name="Nora's work", description="Things", visibility="public"
    )
    assert response.headers["Location"] == "/projects/NW"
    page = await nora.follow(response)
    assert flashes(page) == ["Project NW is ready. Open its first issue."]
    assert "Nora&#39;s work" in page and '<span class="badge">Private</span>' not in page
    assert flashes(await nora.page("/projects/NW")) == []  # shown once


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("1bad", "A key is 2 to 10 letters or digits, starting with a letter (like WEB)."),
        ("", "A key is 2 to 10 letters or digits, starting with a letter (like WEB)."),
        ("pub", "This key is taken."),
    ],
)
async def test_a_refused_new_project_keeps_what_was_typed(
    site: TrackerSite, key: str, message: str
) -> None:
    nora = await site.visitor("nora")
    before = await site.rows()
    response = await nora.post(
        "/projects", key=key, name="My <name>", description="Line one\nLine two",
        visibility="public",
    )  # fmt: skip
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "key") == message
    assert 'aria-describedby="key-error"' in page
    assert input_value(page, "name") == "My <name>"
    assert input_value(page, "key") == key
    assert textarea_text(page, "description") == "Line one\nLine two"
    assert 'value="public" checked' in page
    assert await site.rows() == before


async def test_a_new_project_needs_a_name_and_a_visibility(site: TrackerSite) -> None:
    nora = await site.visitor("nora")
    blank = await nora.post("/projects", key="OK", name="  ", description="", visibility="public")
    assert blank.status_code == 422
    assert field_error(await blank.get_data(as_text=True), "name") == "The name cannot be empty."
    odd = await nora.post("/projects", key="OK", name="Ok", description="", visibility="secret")
    assert odd.status_code == 422
    assert "Choose private or public." in await odd.get_data(as_text=True)


async def test_an_unconfirmed_account_cannot_create_a_project(site: TrackerSite) -> None:
    database: Database = site.app.extensions["db"]
    async with database.write_sessions() as session:
        user = await create_user(
            session, username="newbie", email="newbie@example.com", password=PASSWORD
        )
        await session.commit()
    newbie = await visitor(site.app, user)
    before = await site.rows()
    response = await newbie.post(
        "/projects", key="NB", name="N", description="", visibility="private"
    )
    assert response.status_code == 403
    assert "Confirm your email address first" in await response.get_data(as_text=True)
    assert await site.rows() == before


# --- The issue list: filters in the URL, counts, sorting, pages.


@pytest.fixture
async def listed(site: TrackerSite) -> TrackerSite:
    """PUB gets #3 "Docs typo" (olivia, docs, closed) and #4 "Slow search" (max; bug and docs;
    assigned to rita; 3 comments); then #1 is edited, so it is the latest updated."""
    database: Database = site.app.extensions["db"]
    project = site.projects["PUB"]
    async with database.write_sessions() as session:
        owner = acting_as(project, await session.merge(site.users["olivia"]))
        maintainer = acting_as(project, await session.merge(site.users["max"]), Role.MAINTAINER)
        await create_issue(session, owner, title="Docs typo", labels=["docs"])
        await update_issue(
            session, owner, 3, IssueChanges(state=IssueState.CLOSED), if_match=ANY_VERSION
        )
        await create_issue(
            session, maintainer, title="Slow search", body="It takes ages",
            labels=["bug", "docs"], assignees=["rita"],
        )  # fmt: skip
        for text in ("one", "two", "three"):
            await add_comment(session, maintainer, 4, body=f"Comment {text}")
        await session.commit()
    async with database.write_sessions() as session:
        owner = acting_as(project, await session.merge(site.users["olivia"]))
        await update_issue(
            session, owner, 1, IssueChanges(body="Steps, edited"), if_match=ANY_VERSION
        )
        await session.commit()
    return site


CRASH, PLAN, TYPO, SLOW = "Crash on save", "Owner's plan", "Docs typo", "Slow search"


LISTS = {
    "": [SLOW, PLAN, CRASH],
    "state=closed": [TYPO],
    "state=all": [SLOW, TYPO, PLAN, CRASH],
    "labels=bug": [SLOW, PLAN],
    "labels=bug,docs": [SLOW],
    "labels=docs&state=all": [SLOW, TYPO],
    "labels=nosuch": [],
    "assignee=max": [PLAN],
    "assignee=none": [CRASH],
    "assignee=*": [SLOW, PLAN],
    "assignee=me": [SLOW],  # rita looks
    "author=olivia&state=all": [TYPO, PLAN],
    "author=me": [CRASH],
    "milestone=v1": [PLAN],
    "milestone=none": [SLOW, CRASH],
    "milestone=*": [PLAN],
    "q=slow": [SLOW],
    "q=noted": [PLAN],  # comments are searched too
    "sort=comments": [SLOW, PLAN, CRASH],
    "sort=comments&direction=asc": [CRASH, PLAN, SLOW],
    "direction=asc": [CRASH, PLAN, SLOW],
    "sort=updated": [CRASH, SLOW, PLAN],
    "sort=updated&direction=asc": [PLAN, SLOW, CRASH],
    "page=2": [],
}


async def test_each_filter_in_the_url_changes_the_list(listed: TrackerSite) -> None:
    rita = await listed.visitor("rita")
    shown: dict[str, list[str]] = {}
    for query in LISTS:
        page = await rita.page(f"/projects/PUB?{query}")
        shown[query] = issue_titles(page)
        for name, value in (part.split("=") for part in query.split("&") if part):
            if name in ("q", "labels", "assignee", "author"):
                assert input_value(page, name) == value, query  # the form shows the filter
            elif name in ("milestone", "sort", "direction"):
                assert f'<option value="{html.escape(value)}" selected>' in page, query
    assert shown == LISTS
    for name in ("state", "labels", "assignee", "author", "milestone", "q", "sort", "direction",
                 "page"):  # fmt: skip
        assert any(titles != LISTS[""] for query, titles in LISTS.items() if f"{name}=" in query), (
            name
        )


async def test_the_state_tabs_count_what_the_other_filters_match(listed: TrackerSite) -> None:
    anonymous = await listed.visitor(None)
    expected = {"": (3, 1), "labels=docs": (1, 1), "author=olivia": (1, 1), "q=typo": (0, 1)}
    counted = {}
    for query in expected:
        page = await anonymous.page(f"/projects/PUB?{query}")
        tabs = page.split('class="state-tabs"')[1].split("</nav>")[0]
        counts = re.search(r">(\d+) open</a>.*>(\d+) closed</a>", tabs, re.S)
        assert counts is not None
        counted[query] = (int(counts.group(1)), int(counts.group(2)))
        for state in ("open", "closed", "all"):  # each tab keeps the other filters
            link = re.search(rf'href="([^"]*state={state}[^"]*)"', tabs)
            assert link is not None
            assert all(part in html.unescape(link.group(1)) for part in query.split("&") if part)
    assert counted == expected


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("sort=best", None, "Choose one of: created, updated, comments."),
        ("state=done", None, "Choose one of: open, closed, all."),
        ("direction=up", None, "Choose one of: asc, desc."),
        (
            "labels=" + ",".join(f"l{n}" for n in range(21)),
            "labels",
            "Filter by at most 20 labels.",
        ),
        ("assignee=me", "assignee", 'Sign in to use "me".'),  # anonymous
    ],
)
async def test_a_bad_filter_is_an_inline_error_not_a_crash(
    site: TrackerSite, query: str, field: str | None, message: str
) -> None:
    anonymous = await site.visitor(None)
    page = await anonymous.page(f"/projects/PUB?{query}", status=422)
    if field:
        assert field_error(page, field) == message
    shown = re.findall(r'<p class="error"[^>]*>([^<]*)</p>', page)
    assert [html.unescape(text) for text in shown] == [message]
    assert 'role="search"' in page  # the filter form is there to fix it
    assert issue_titles(page) == []


@pytest.mark.parametrize("query", ["key=x", "endpoint=x", "_method=POST"])
async def test_unknown_query_parameters_do_not_break_the_issue_list(
    site: TrackerSite, query: str
) -> None:
    page = await (await site.visitor(None)).page(f"/projects/PUB?{query}")
    assert issue_titles(page) == [PLAN, CRASH]


@pytest.mark.parametrize("query", ["_external=1", "_anchor=x"])
async def test_query_parameters_cannot_rewrite_the_tab_links(site: TrackerSite, query: str) -> None:
    page = await (await site.visitor(None)).page(f"/projects/PUB?{query}")
    tabs = page.split('class="state-tabs"')[1].split("</nav>")[0]
    links = re.findall(r'href="([^"]*)"', tabs)
    assert len(links) == 3
    assert all(link.startswith("/projects/PUB?") and "#" not in link for link in links), links


async def test_pages_of_issues_keep_the_filters(site: TrackerSite) -> None:
    database: Database = site.app.extensions["db"]
    async with database.write_sessions() as session:
        owner = acting_as(site.projects["PUB"], await session.merge(site.users["olivia"]))
        for n in range(1, 28):
            await create_issue(session, owner, title=f"Paged {n:02}", labels=["docs"])
        await session.commit()
    rita = await site.visitor("rita")
    query = "q=paged&labels=docs&sort=created&direction=asc&assignee=none"
    first = await rita.page(f"/projects/PUB?{query}")
    assert issue_titles(first) == [f"Paged {n:02}" for n in range(1, 26)]
    assert "Page 1 of 2" in first and 'rel="prev"' not in first
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert next_link is not None
    target = html.unescape(next_link.group(1))
    for part in [*query.split("&"), "page=2"]:
        assert part in target, part
    second = await rita.page(target)
    assert issue_titles(second) == ["Paged 26", "Paged 27"]
    assert "Page 2 of 2" in second and 'rel="next"' not in second
    previous = re.search(r'<a rel="prev" href="([^"]+)"', second)
    assert previous is not None and "page=1" in previous.group(1)
    assert "labels=docs" in previous.group(1) and "q=paged" in previous.group(1)


# --- Settings: details and deletion.


async def test_saving_the_details_redirects_with_a_flash(site: TrackerSite) -> None:
    olivia = await site.visitor("olivia")
    response = await olivia.post(
        "/projects/PRIV/settings", name="Renamed", description="New words", visibility="public"
    )
    assert response.headers["Location"] == "/projects/PRIV/settings"
    page = await olivia.follow(response)
    assert flashes(page) == ["The project's details are saved."]
    assert input_value(page, "name") == "Renamed"
    assert textarea_text(page, "description") == "New words"
    assert "PRIV" in await (await site.visitor(None)).page("/projects/PRIV")  # now public


async def test_refused_details_keep_what_was_typed(site: TrackerSite) -> None:
    olivia = await site.visitor("olivia")
    before = await site.rows()
    response = await olivia.post(
        "/projects/PRIV/settings", name="", description="Kept words", visibility="public"
    )
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "name") == "The name cannot be empty."
    assert textarea_text(page, "description") == "Kept words"
    assert 'value="public" checked' in page
    assert await site.rows() == before


async def test_deleting_a_project_needs_its_key_typed(site: TrackerSite) -> None:
    olivia = await site.visitor("olivia")
    before = await site.rows()
    wrong = await olivia.post("/projects/PUB/settings/delete", confirm_key="PRIV")
    page = await wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert field_error(page, "confirm_key") == "Type PUB to confirm."
    assert await site.rows() == before
    right = await olivia.post("/projects/PUB/settings/delete", confirm_key=" pub ")
    assert right.headers["Location"] == "/projects"
    assert flashes(await olivia.follow(right)) == ["Project PUB and all its issues are deleted."]
    await olivia.page("/projects/PUB", status=404)
    await olivia.page("/projects/PRIV")  # only that one


async def test_a_refused_delete_leaves_the_details_form_as_it_was(site: TrackerSite) -> None:
    olivia = await site.visitor("olivia")
    response = await olivia.post("/projects/PUB/settings/delete", confirm_key="nope")
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert input_value(page, "name") == "PUB project"
    assert textarea_text(page, "description") == "The PUB project"
    assert 'value="public" checked' in page


# --- Settings: members.


def role_select(page: str, username: str) -> str:
    return page.split(f'<select id="role-{username}"')[1].split("</select>")[0]


async def test_members_are_added_changed_and_removed_with_flashes(site: TrackerSite) -> None:
    olivia = await site.visitor("olivia")
    members = "/projects/PRIV/settings/members"
    added = await olivia.post(members, username="Nora", role="maintainer")
    assert added.headers["Location"] == members
    page = await olivia.follow(added)
    assert flashes(page) == ["Nora joined the project."]
    assert '<option value="maintainer" selected>' in role_select(page, "nora")
    changed = await olivia.post(f"{members}/nora/role", role="owner")
    assert changed.headers["Location"] == members
    page = await olivia.follow(changed)
    assert flashes(page) == ["nora's role is changed."]
    assert '<option value="owner" selected>' in role_select(page, "nora")
    removed = await olivia.post(f"{members}/nora/remove")
    page = await olivia.follow(removed)
    assert flashes(page) == ["nora is no longer a member."]
    assert "@nora" not in page
    await (await site.visitor("nora")).page("/projects/PRIV", status=404)


@pytest.mark.parametrize(
    ("action", "fields", "message"),
    [
        ("", {"username": "ghost", "role": "reporter"}, "There is no user 'ghost'."),
        ("", {"username": "rita", "role": "reporter"}, "rita is already a member of PRIV."),
        ("", {"username": "nora", "role": "boss"}, "Choose owner, maintainer or reporter."),
        ("/olivia/role", {"role": "reporter"}, "PRIV needs at least one owner"),
        ("/olivia/remove", {}, "PRIV needs at least one owner"),
    ],
)
async def test_refused_member_changes_explain_themselves(
    site: TrackerSite, action: str, fields: dict[str, str], message: str
) -> None:
    olivia = await site.visitor("olivia")
    before = await site.rows()
    response = await olivia.post(f"/projects/PRIV/settings/members{action}", **fields)
    page = html.unescape(await response.get_data(as_text=True))
    assert response.status_code == 422
    assert message in page
    if action == "":
        assert input_value(page, "username") == fields["username"]
    assert await site.rows() == before


# --- Settings: labels and milestones.


async def test_labels_are_created_and_deleted_with_flashes(site: TrackerSite) -> None:
    max_ = await site.visitor("max")
    labels = "/projects/PRIV/settings/labels"
    created = await max_.post(labels, name="priority/high", color="#B60205", description="Soon")
    assert created.headers["Location"] == labels
    page = await max_.follow(created)
    assert flashes(page) == ["Label priority/high created."]
    assert "<code>#b60205</code>" in page and "Soon" in page
    deleted = await max_.post(f"{labels}/{site.label_ids['PRIV']['bug']}/delete")
    page = await max_.follow(deleted)
    assert flashes(page) == ["The label is deleted and taken off its issues."]
    assert ">bug</span>" not in page
    issue = await max_.page("/projects/PRIV/issues/2")
    assert ">bug</span>" not in issue.split('id="labels-heading"')[1]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"name": "feature", "color": "red"},
            "color",
            "A colour is # and six hex digits, like #d73a4a.",
        ),
        (
            {"name": "feature", "color": "#12345"},
            "color",
            "A colour is # and six hex digits, like #d73a4a.",
        ),
        ({"name": "a,b", "color": "#123456"}, "name", "A label name cannot contain a comma."),
        ({"name": "bug", "color": "#123456"}, "name", "This name is taken."),
    ],
)
async def test_a_refused_label_keeps_what_was_typed(
    site: TrackerSite, fields: dict[str, str], field: str, message: str
) -> None:
    max_ = await site.visitor("max")
    before = await site.rows()
    response = await max_.post(
        "/projects/PRIV/settings/labels", description="Typed description", **fields
    )
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, field) == message
    assert input_value(page, "name") == fields["name"]
    assert input_value(page, "color") == fields["color"]
    assert input_value(page, "description") == "Typed description"
    assert await site.rows() == before


async def test_flash_messages_escape_what_was_typed(site: TrackerSite) -> None:
    max_ = await site.visitor("max")
    name = hostile("flash")
    created = await max_.post("/projects/PRIV/settings/labels", name=name, color="#123456")
    page = await max_.follow(created)
    assert flashes(page) == [f"Label {name} created."]
    assert "<script>alert(" not in page


async def test_milestones_are_created_closed_and_deleted_with_flashes(site: TrackerSite) -> None:
    max_ = await site.visitor("max")
    milestones = "/projects/PRIV/settings/milestones"
    created = await max_.post(milestones, title="v2", due_on="2027-01-31", description="Next")
    assert created.headers["Location"] == milestones
    page = await max_.follow(created)
    assert flashes(page) == ["Milestone v2 created."]
    assert "Due 2027-01-31" in page
    v1 = site.milestone_ids["PRIV"]
    closed = await max_.post(f"{milestones}/{v1}/state", state="closed")
    page = await max_.follow(closed)
    assert flashes(page) == ["The milestone is closed."]
    v1_card = page.split(">v1</a>")[1].split("</li>")[0]
    assert '<span class="badge">Closed</span>' in v1_card and ">Reopen</button>" in v1_card
    reopened = await max_.post(f"{milestones}/{v1}/state", state="open")
    assert flashes(await max_.follow(reopened)) == ["The milestone is open."]
    deleted = await max_.post(f"{milestones}/{v1}/delete")
    page = await max_.follow(deleted)
    assert flashes(page) == ["The milestone is deleted; its issues stay."]
    assert ">v1</a>" not in page
    assert "Owner&#39;s plan" in await max_.page("/projects/PRIV/issues/2")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": "v2", "due_on": "31/12/2026"}, "due_on", "Use a date like 2026-12-31."),
        ({"title": "v2", "due_on": "2026-02-30"}, "due_on", "Use a date like 2026-12-31."),
        ({"title": " ", "due_on": "2026-12-31"}, "title", "The title cannot be empty."),
        ({"title": "v1", "due_on": ""}, "title", "This title is taken."),
    ],
)
async def test_a_refused_milestone_keeps_what_was_typed(
    site: TrackerSite, fields: dict[str, str], field: str, message: str
) -> None:
    max_ = await site.visitor("max")
    before = await site.rows()
    response = await max_.post(
        "/projects/PRIV/settings/milestones", description="Typed description", **fields
    )
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, field) == message
    assert input_value(page, "title") == fields["title"]
    assert input_value(page, "due_on") == fields["due_on"]
    assert textarea_text(page, "description") == "Typed description"
    assert await site.rows() == before


# --- The dashboard, and escaping on every project page.


async def test_the_dashboard_lists_what_is_assigned_and_recent(site: TrackerSite) -> None:
    page = await (await site.visitor("max")).page("/dashboard")
    assigned = page.split('id="assigned-heading"')[1].split('id="recent-heading"')[0]
    assert issue_titles(assigned) == ["Owner's plan", "Owner's plan"]  # in PRIV and in PUB
    assert "Crash on save" in page.split('id="recent-heading"')[1]
    nobody = await (await site.visitor("nora")).page("/dashboard")
    assert "Nothing open is assigned to you." in nobody and issue_titles(nobody) == []


HOSTILE_PAGES = [
    (None, "/projects"),
    (None, "/projects/HOST"),
    (None, "/projects/HOST?state=all&labels=%22%3E%3Cscript%3Ealert(%22q%22)%3C/script%3E"),
    ("olivia", "/projects/HOST/settings"),
    ("olivia", "/projects/HOST/settings/members"),
    ("olivia", "/projects/HOST/settings/labels"),
    ("olivia", "/projects/HOST/settings/milestones"),
    ("olivia", "/projects/HOST/issues/new"),
    ("olivia", "/projects"),
    ("rita", "/dashboard"),
]


async def test_people_s_words_are_escaped_on_project_pages(site: TrackerSite) -> None:
    """Project name and description, label, milestone, issue title, display name: all text."""
    await add_hostile_project(site)
    visitors = {who: await site.visitor(who) for who in {who for who, _path in HOSTILE_PAGES}}
    for who, path in HOSTILE_PAGES:
        page = await visitors[who].page(path)
        assert "<script>alert(" not in page, path
        assert '"><script' not in page, path  # nothing broke out of an attribute
        assert "&lt;script&gt;alert(" in page, path  # shown, as text
