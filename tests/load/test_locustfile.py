"""The locust personas: they load without quart_app, and what they read from the pages (CSRF
tokens, forms and their hidden fields, issue links) is what the app renders and accepts.

Only the personas' pure helpers are imported here: importing locust would monkey-patch this
process with gevent, so the locustfile itself is imported in a subprocess.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlencode

import pytest
from personas.dataset import CredentialsError, account_slots, parse_credentials
from personas.pages import csrf_token, find_form, issue_links, issue_titles
from personas.queries import issue_filters, search
from quart import Quart

from tests.web.conftest import TrackerSite, build_site
from tests.web.helpers import PASSWORD, Browser

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {
    "version": 1,
    "password": PASSWORD,
    "users": [{"username": "max", "email": "max@example.com", "token": "qat_x",
               "projects": {"PUB": "maintainer", "PRIV": "reporter"}}],
    "projects": [{"key": "PUB", "visibility": "public", "issues": 2, "labels": ["bug", "docs"],
                  "milestones": ["v1"]},
                 {"key": "PRIV", "visibility": "private", "issues": 2, "labels": [],
                  "milestones": []}],
}  # fmt: skip


@pytest.fixture
async def site(app: Quart) -> TrackerSite:
    return await build_site(app)


@pytest.mark.unit
def test_locustfile_loads_its_personas_without_importing_quart_app() -> None:
    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, "load")
        import locustfile
        from locust import FastHttpUser
        assert not [m for m in sys.modules if m.split(".")[0] == "quart_app"], "quart_app"
        users = [locustfile.Visitor, locustfile.TeamMember, locustfile.ApiClient]
        assert all(issubclass(user, FastHttpUser) and user.weight > 0 for user in users)
    """)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOAD_")}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.mark.unit
def test_credentials_are_parsed_and_roles_ranked() -> None:
    credentials = parse_credentials(CREDENTIALS)
    max_ = credentials.accounts[0]
    assert [p.key for p in credentials.public_projects()] == ["PUB"]
    assert max_.can("PUB", "maintainer") and max_.can("PRIV", "reporter")
    assert not max_.can("PRIV", "maintainer") and not max_.can("ELSE", "reporter")


@pytest.mark.unit
def test_credentials_of_another_version_are_refused() -> None:
    with pytest.raises(CredentialsError, match="version 1"):
        parse_credentials({**CREDENTIALS, "version": 2})


@pytest.mark.unit
def test_processes_hand_out_different_accounts() -> None:
    def first(offset: int) -> list[int]:
        slots = account_slots(10, offset=offset, stride=2)
        return [next(slots) for _ in range(5)]

    assert sorted(first(0) + first(1)) == list(range(10))


@pytest.mark.web
async def test_sign_in_form_as_parsed_signs_in(app: Quart, site: TrackerSite) -> None:
    browser = Browser(app, app.test_client())
    page = await browser.page("/sign-in?next=/dashboard")
    form, token = find_form(page, "/sign-in"), csrf_token(page)
    assert form is not None and token == form.fields["csrf_token"]
    data = form.data(csrf_token=token, login="max", password=PASSWORD)
    response = await browser.client.post("/sign-in", form=data)
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard")


@pytest.mark.web
async def test_state_form_carries_the_issue_version_and_is_accepted(site: TrackerSite) -> None:
    max_ = await site.visitor("max")
    page = await max_.page("/projects/PUB/issues/2")
    form = find_form(page, "/projects/PUB/issues/2/state")
    assert form is not None
    assert form.fields["state"] == "closed" and form.fields["version"].isdigit()
    assert "not_planned" in form.options["close_reason"]
    data = form.data(close_reason="not_planned")
    response = await max_.client.post(form.action, form=data)
    assert response.status_code == 302
    stale = await max_.client.post(form.action, form=data)
    assert stale.status_code == 422  # the version moved on: what the persona counts as a race


@pytest.mark.web
async def test_label_and_comment_forms_as_parsed_are_accepted(site: TrackerSite) -> None:
    max_ = await site.visitor("max")
    page = await max_.page("/projects/PUB/issues/1")
    label_form = find_form(page, "/projects/PUB/issues/1/labels")
    comment_form = find_form(page, "/projects/PUB/issues/1/comments")
    assert label_form is not None and comment_form is not None
    assert label_form.options["label"] == ["bug", "docs"]
    for form, data in [
        (label_form, label_form.data(label="docs")),
        (comment_form, comment_form.data(body="From the load test", intent="submit")),
    ]:
        response = await max_.client.post(form.action, form=data)
        assert response.status_code == 302, form.action
    after = await max_.page("/projects/PUB/issues/1")
    assert "From the load test" in after
    assert find_form(after, "/projects/PUB/issues/1/labels").options["label"] == ["bug"]  # type: ignore[union-attr]


@pytest.mark.web
async def test_issue_list_links_and_titles_are_read(site: TrackerSite) -> None:
    anonymous = await site.visitor(None)
    page = await anonymous.page("/projects/PUB?state=all")
    assert issue_links(page, "PUB") == [1, 2]
    assert sorted(issue_titles(page)) == ["Crash on save", "Owner's plan"]


@pytest.mark.web
@pytest.mark.parametrize("who", [None, "max"])
async def test_the_personas_filters_are_accepted(site: TrackerSite, who: str | None) -> None:
    browser = await site.visitor(who)
    project = parse_credentials(CREDENTIALS).projects["PUB"]
    random.seed(6)  # the filters vary from one call to the next, the same way every run
    for _ in range(25):
        params = issue_filters(project, members=["max", "rita"], signed_in=who is not None)
        await browser.page("/projects/PUB?" + urlencode({**params, **search("crash")}))
