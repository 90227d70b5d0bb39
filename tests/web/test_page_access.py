"""Who may open and post what on the tracker's pages: the status matrix, sign-in redirects,
CSRF, refusals that the hidden controls would not have offered, error pages, the live stream,
static assets and the Content-Security-Policy."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from quart import Quart
from quart.testing import connections

from tests.web.conftest import TrackerSite
from tests.web.helpers import PASSWORD, Visitor

pytestmark = pytest.mark.web

ANONYMOUS, OUTSIDER, REPORTER, MAINTAINER, OWNER = "anonymous", "nora", "rita", "max", "olivia"
CALLERS = [ANONYMOUS, OUTSIDER, REPORTER, MAINTAINER, OWNER]
RANK = {REPORTER: 1, MAINTAINER: 2, OWNER: 3}
SIGN_IN = "sign in"  # stands for "302 to /sign-in?next=<the path>" in the expected tables


def expected_status(caller: str, visibility: str, needs: str | None, sign_in: bool) -> int | str:
    """What ``caller`` gets on a project page that needs the role ``needs`` (None: readers)."""
    if sign_in and caller == ANONYMOUS:
        return SIGN_IN  # before the project is even looked up: says nothing about it
    if caller not in RANK:
        if visibility == "private":
            return 404  # private projects do not exist for outsiders
        return 200 if needs is None else 403
    return 200 if needs is None or RANK[caller] >= RANK[needs] else 403


# path (under /projects/<KEY>), the role it needs (None: anyone who can read), needs sign-in
PROJECT_PAGES = [
    ("", None, False),
    ("/issues/1", None, False),
    ("/issues/new", REPORTER, True),
    ("/settings", OWNER, True),
    ("/settings/members", OWNER, True),
    ("/settings/labels", MAINTAINER, True),
    ("/settings/milestones", MAINTAINER, True),
]


async def outcome(browser: Visitor, path: str) -> int | str:
    response = await browser.client.get(path, headers={"Accept": "text/html"})
    if response.status_code == 302 and response.headers["Location"].startswith("/sign-in?"):
        assert sign_in_target(response.headers["Location"]) == path, response.headers
        return SIGN_IN
    return response.status_code


def sign_in_target(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/sign-in", location
    (target,) = parse_qs(parts.query)["next"]
    return target


@pytest.mark.parametrize("visibility", ["private", "public"])
@pytest.mark.parametrize("caller", CALLERS)
async def test_project_page_status_matrix(site: TrackerSite, caller: str, visibility: str) -> None:
    browser = await site.visitor(None if caller == ANONYMOUS else caller)
    key = "PRIV" if visibility == "private" else "PUB"
    expected, actual = {}, {}
    for suffix, needs, sign_in in PROJECT_PAGES:
        path = f"/projects/{key}{suffix}"
        expected[path] = expected_status(caller, visibility, needs, sign_in)
        actual[path] = await outcome(browser, path)
    # A missing issue is a 404 to readers, and to outsiders exactly like the project itself.
    missing = f"/projects/{key}/issues/99"
    expected[missing], actual[missing] = 404, await outcome(browser, missing)
    assert actual == expected


@pytest.mark.parametrize("caller", CALLERS)
async def test_site_page_status_matrix(site: TrackerSite, caller: str) -> None:
    browser = await site.visitor(None if caller == ANONYMOUS else caller)
    anonymous = caller == ANONYMOUS
    expected: dict[str, int | str] = {
        "/projects": 200,
        "/projects/new": SIGN_IN if anonymous else 200,
        "/dashboard": SIGN_IN if anonymous else 200,
        "/projects/NOPE": 404,
        # Sign-in comes first, so an unknown and a hidden project look alike to anyone.
        "/projects/NOPE/settings": SIGN_IN if anonymous else 404,
        "/projects/NOPE/issues/new": SIGN_IN if anonymous else 404,
    }
    actual = {path: await outcome(browser, path) for path in expected}
    assert actual == expected
    home = await browser.client.get("/")
    if anonymous:
        assert home.status_code == 200
    else:
        assert (home.status_code, home.headers["Location"]) == (302, "/dashboard")


@pytest.mark.parametrize(
    ("username", "path"),
    [
        (OUTSIDER, "/dashboard"),
        (OUTSIDER, "/projects/new"),
        (MAINTAINER, "/projects/PRIV/settings/labels"),
        (REPORTER, "/projects/PRIV/issues/new?title=Hello&body=x"),
    ],
)
async def test_signing_in_returns_to_the_page_that_asked(
    site: TrackerSite, username: str, path: str
) -> None:
    browser = await site.visitor(None)
    redirect = await browser.client.get(path)
    assert redirect.status_code == 302
    assert sign_in_target(redirect.headers["Location"]) == path
    sign_in_page = await browser.page(redirect.headers["Location"])
    hidden = re.search(r'name="next" value="([^"]*)"', sign_in_page)
    assert hidden is not None
    next_field = hidden.group(1).replace("&amp;", "&")
    assert next_field == path
    signed_in = await browser.post("/sign-in", login=username, password=PASSWORD, next=next_field)
    assert (signed_in.status_code, signed_in.headers["Location"]) == (302, path)
    await browser.page(path)  # and now it opens


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "//evil.example/projects", "/\\evil.example"],
)
async def test_sign_in_never_sends_anyone_off_site(site: TrackerSite, target: str) -> None:
    anonymous = await site.visitor(None)
    form = await anonymous.page(f"/sign-in?next={target}")
    assert 'name="next" value="/"' in form
    assert "evil.example" not in form
    posted = await anonymous.post("/sign-in", login=OUTSIDER, password=PASSWORD, next=target)
    assert (posted.status_code, posted.headers["Location"]) == (302, "/")
    signed_in = await site.visitor(OUTSIDER)
    again = await signed_in.client.get(f"/sign-in?next={target}")
    assert (again.status_code, again.headers["Location"]) == (302, "/")


# --- Forms: every POST, refused without a valid CSRF token or without the role it needs.


def every_form(site: TrackerSite, key: str) -> dict[str, dict[str, str]]:
    """Each POST action of project ``key`` (and the site) with fields that a browser would send.

    The member forms name olivia: no caller below owner may change her, nor leave as her."""
    bug, milestone = site.label_ids[key]["bug"], site.milestone_ids[key]
    project, issue = f"/projects/{key}", f"/projects/{key}/issues"
    return {
        "/projects": {"key": "NEWP", "name": "New", "description": "", "visibility": "private"},
        f"{project}/settings": {"name": "Renamed", "description": "", "visibility": "public"},
        f"{project}/settings/delete": {"confirm_key": key},
        f"{project}/settings/members": {"username": "nora", "role": "reporter"},
        f"{project}/settings/members/olivia/role": {"role": "reporter"},
        f"{project}/settings/members/olivia/remove": {},
        f"{project}/settings/labels": {"name": "new", "color": "#000000", "description": ""},
        f"{project}/settings/labels/{bug}/delete": {},
        f"{project}/settings/milestones": {"title": "v9", "due_on": "", "description": ""},
        f"{project}/settings/milestones/{milestone}/state": {"state": "closed"},
        f"{project}/settings/milestones/{milestone}/delete": {},
        issue: {"title": "New issue", "body": "", "intent": "submit"},
        f"{issue}/2/comments": {"body": "A comment", "intent": "submit", "form": "comment"},
        f"{issue}/2/comments/delete": {"comment_id": str(site.comment_ids[key]["olivia"])},
        f"{issue}/2/edit": {"title": "Edited", "body": "", "version": "1", "form": "edit"},
        f"{issue}/2/state": {"state": "closed", "close_reason": "completed", "version": "1"},
        f"{issue}/2/labels": {"label": "docs", "form": "triage"},
        f"{issue}/2/labels/{bug}/remove": {"form": "triage"},
        f"{issue}/2/assignees": {"assignee": "rita", "form": "triage"},
        f"{issue}/2/assignees/max/remove": {"form": "triage"},
        f"{issue}/2/milestone": {"milestone": "", "form": "triage"},
        f"{issue}/2/delete": {},
    }


@pytest.mark.parametrize("token", ["missing", "wrong", "another session's"])
async def test_every_form_needs_its_csrf_token(site: TrackerSite, token: str) -> None:
    owner = await site.visitor(OWNER)
    other = await site.visitor(MAINTAINER)
    tokens = {"missing": None, "wrong": "0" * 64, "another session's": other.token}
    before = await site.rows()
    statuses = {}
    for action, fields in [*every_form(site, "PRIV").items(), ("/preview", {"body": "*x*"})]:
        form = fields if tokens[token] is None else {**fields, "csrf_token": str(tokens[token])}
        response = await owner.client.post(action, form=form, headers={"Accept": "text/html"})
        statuses[action] = response.status_code
        if response.status_code == 403:
            page = await response.get_data(as_text=True)
            assert "reload the page and retry" in page, action
    assert statuses == dict.fromkeys(statuses, 403)
    assert await site.rows() == before


async def test_a_cross_site_post_is_refused_even_with_a_token(site: TrackerSite) -> None:
    owner = await site.visitor(OWNER)
    before = await site.rows()
    response = await owner.client.post(
        "/projects/PRIV/settings/delete",
        form={"csrf_token": owner.token, "confirm_key": "PRIV"},
        headers={"Accept": "text/html", "Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert await site.rows() == before


def refusals(site: TrackerSite, caller: str, key: str) -> dict[str, int | str]:
    """What ``caller`` gets posting each form of ``key`` that their page would not offer."""
    forms = every_form(site, key)
    project_forms = [action for action in forms if action != "/projects"]
    issue = f"/projects/{key}/issues"
    if caller == ANONYMOUS:
        return dict.fromkeys(forms, SIGN_IN)
    if caller == OUTSIDER:
        return dict.fromkeys(project_forms, 404 if key == "PRIV" else 403)
    if caller == REPORTER:  # rita opens issues and comments; #2 and its comment are olivia's
        return {a: 403 for a in project_forms if a not in (issue, f"{issue}/2/comments")}
    owner_only = [
        action for action in project_forms
        if "/settings" in action and not re.search(r"/settings/(labels|milestones)", action)
    ]  # fmt: skip
    return dict.fromkeys([*owner_only, f"{issue}/2/delete"], 403)


@pytest.mark.parametrize(
    ("caller", "key"),
    [(ANONYMOUS, "PRIV"), (OUTSIDER, "PRIV"), (OUTSIDER, "PUB"), (REPORTER, "PRIV"),
     (MAINTAINER, "PRIV")],
)  # fmt: skip
async def test_forms_refuse_what_the_page_hides(site: TrackerSite, caller: str, key: str) -> None:
    browser = await site.visitor(None if caller == ANONYMOUS else caller)
    forms = every_form(site, key)
    expected = refusals(site, caller, key)
    before = await site.rows()
    actual: dict[str, int | str] = {}
    for action in expected:
        response = await browser.post(action, **forms[action])
        location = response.headers.get("Location", "")
        actual[action] = SIGN_IN if location.startswith("/sign-in?next=") else response.status_code
        if actual[action] in (403, 404):
            page = await response.get_data(as_text=True)
            assert 'class="site-header"' in page, action  # the error page, in the site design
    assert actual == expected
    assert await site.rows() == before


async def test_signing_in_after_a_refused_post_returns_to_a_page(site: TrackerSite) -> None:
    anonymous = await site.visitor(None)
    response = await anonymous.post("/projects/PUB/issues/1/comments", body="hi", intent="submit")
    assert response.status_code == 302
    target = sign_in_target(response.headers["Location"])
    signed_in = await anonymous.post("/sign-in", login=REPORTER, password=PASSWORD, next=target)
    assert signed_in.headers["Location"] == target
    await anonymous.page(target)  # 200, whatever page it is


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("http://localhost/projects/PUB/issues/1?page=1", "/projects/PUB/issues/1?page=1"),
        ("https://evil.example/projects/PUB/issues/1", "/dashboard"),
        (None, "/dashboard"),
    ],
    ids=["the-form-page", "another-site", "no-referrer"],
)
async def test_a_refused_post_signs_in_back_to_the_page_the_form_was_on(
    site: TrackerSite, referrer: str | None, expected: str
) -> None:
    anonymous = await site.visitor(None)
    headers = {"Accept": "text/html", **({"Referer": referrer} if referrer else {})}
    response = await anonymous.client.post(
        "/projects/PUB/issues/1/comments",
        form={"csrf_token": anonymous.token, "body": "hi"},
        headers=headers,
    )
    assert response.status_code == 302
    assert sign_in_target(response.headers["Location"]) == expected


# --- Controls the pages hide from people who may not use them.

ISSUE_CONTROLS = {
    "comment": '/comments"',
    "edit": '/edit"',
    "state": '/state"',
    "labels": '/labels"',
    "assignees": '/assignees"',
    "milestone": '/milestone"',
    "delete": '/delete"',
}


def controls_on(page: str, key: str, number: int) -> set[str]:
    prefix = f'action="/projects/{key}/issues/{number}'
    return {name for name, end in ISSUE_CONTROLS.items() if prefix + end in page}


@pytest.mark.parametrize(
    ("caller", "number", "shown"),
    [
        (ANONYMOUS, 2, set()),
        (OUTSIDER, 2, set()),
        (REPORTER, 2, {"comment"}),  # olivia's issue: rita only comments
        (REPORTER, 1, {"comment", "edit", "state"}),  # her own issue: she edits and closes it
        (MAINTAINER, 2, {"comment", "edit", "state", "labels", "assignees", "milestone"}),
        (OWNER, 2, set(ISSUE_CONTROLS)),
    ],
)
async def test_the_issue_page_shows_only_the_forms_the_caller_may_use(
    site: TrackerSite, caller: str, number: int, shown: set[str]
) -> None:
    browser = await site.visitor(None if caller == ANONYMOUS else caller)
    page = await browser.page(f"/projects/PUB/issues/{number}")
    assert controls_on(page, "PUB", number) == shown
    removals = re.findall(
        rf'action="/projects/PUB/issues/{number}/(?:labels|assignees)/\w+/remove"', page
    )
    assert bool(removals) == ("labels" in shown)
    action = f"/projects/PUB/issues/{number}/comments/delete"
    delete_form = f'id="delete-comment" method="post" action="{action}"'
    delete_buttons = re.findall(r'form="delete-comment" name="comment_id" value="\d+"', page)
    may_delete = caller in (MAINTAINER, OWNER) or (caller == REPORTER and number == 1)
    assert (delete_form in page, bool(delete_buttons)) == (may_delete, may_delete)
    sign_in_to_comment = (
        f'<a href="/sign-in?next=/projects/PUB/issues/{number}">Sign in</a> to comment.'
    )
    assert (sign_in_to_comment in page) == (caller == ANONYMOUS)


async def test_the_project_tabs_follow_the_role(site: TrackerSite) -> None:
    expected = {
        ANONYMOUS: (set(), False),
        OUTSIDER: (set(), False),
        REPORTER: (set(), True),
        MAINTAINER: ({"labels", "milestones"}, True),
        OWNER: ({"settings", "members", "labels", "milestones"}, True),
    }
    shown = {}
    for caller in expected:
        page = await (await site.visitor(None if caller == ANONYMOUS else caller)).page(
            "/projects/PUB"
        )
        links = set(re.findall(r'href="/projects/PUB/settings/?(\w*)"', page))
        shown[caller] = (
            {link or "settings" for link in links},
            'href="/projects/PUB/issues/new"' in page,
        )
    assert shown == expected


# --- Error pages, the live stream, static files, headers.


@pytest.mark.parametrize(
    ("caller", "path", "status", "heading"),
    [
        (ANONYMOUS, "/projects/NOPE", 404, "We could not find that page"),
        (OUTSIDER, "/projects/PRIV/issues/1", 404, "We could not find that page"),
        (REPORTER, "/projects/PRIV/settings", 403, "You cannot do that here"),
    ],
)
async def test_errors_are_friendly_pages_in_the_site_design(
    site: TrackerSite, caller: str, path: str, status: int, heading: str
) -> None:
    browser = await site.visitor(None if caller == ANONYMOUS else caller)
    response = await browser.client.get(path, headers={"Accept": "text/html,*/*;q=0.8"})
    page = await response.get_data(as_text=True)
    assert response.status_code == status
    assert response.content_type.startswith("text/html")
    assert f"<h1>{heading}</h1>" in page
    assert '<header class="site-header">' in page and '<nav aria-label="Main">' in page
    assert 'href="/projects"' in page
    assert "Traceback" not in page and "PRIV project" not in page


async def test_the_live_stream_is_hidden_like_its_private_project(site: TrackerSite) -> None:
    for caller in (None, OUTSIDER):
        browser = await site.visitor(caller)
        response = await browser.client.get("/projects/PRIV/live")
        assert response.status_code == 404, caller
    unknown = await (await site.visitor(REPORTER)).client.get("/projects/NOPE/live")
    assert unknown.status_code == 404


@pytest.mark.parametrize(("caller", "key"), [(REPORTER, "PRIV"), (None, "PUB")])
async def test_the_live_stream_opens_for_readers(
    site: TrackerSite, caller: str | None, key: str
) -> None:
    """Only its start: reading on is the live-server tests' job."""
    browser = await site.visitor(caller)
    request = browser.client.request(f"/projects/{key}/live")
    assert isinstance(request, connections.TestHTTPConnection)
    async with request as connection:
        await connection.send_complete()
        first = await asyncio.wait_for(connection.receive(), timeout=5)
        await connection.disconnect()
    assert connection.status_code == 200
    assert connection.headers is not None
    assert connection.headers["Content-Type"].startswith("text/event-stream")
    assert connection.headers["Cache-Control"] == "no-store"
    assert first == b"retry: 2000\n\n"


async def test_pages_link_content_hashed_assets_cached_for_a_year(app: Quart) -> None:
    client = app.test_client()
    page = await (await client.get("/")).get_data(as_text=True)
    css = re.search(r'<link rel="stylesheet" href="(/assets/app\.[0-9a-f]{8,}\.css)">', page)
    js = re.search(r'<script src="(/assets/app\.[0-9a-f]{8,}\.js)" defer></script>', page)
    assert css is not None and js is not None
    assert app.static_folder is not None
    for url, name in [(css.group(1), "app.css"), (js.group(1), "app.js")]:
        response = await client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        with open(f"{app.static_folder}/{name}", "rb") as file:
            assert await response.get_data() == file.read()
    for unknown in ["/assets/app.0123456789ab.css", "/assets/app.css", "/assets/../config.py"]:
        assert (await client.get(unknown)).status_code == 404, unknown


CSP_PAGES = [
    (None, "/"),
    (None, "/projects/PUB"),
    (OWNER, "/projects/PRIV/issues/1"),
    (OWNER, "/projects/PRIV/settings"),
    (None, "/projects/NOPE"),
]


async def test_pages_forbid_inline_script(site: TrackerSite) -> None:
    for caller, path in CSP_PAGES:
        browser = await site.visitor(caller)
        response = await browser.client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in [d.strip() for d in policy.split(";")], path
        assert "unsafe-inline" not in policy, path
        page = await response.get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == [], path  # no inline script
        assert not re.search(r"\son\w+=", page), path  # no inline event handlers either
