"""The team member in a browser: signs in through the form, then works in their projects."""

from __future__ import annotations

import random
import re

from locust import task
from locust.exception import StopUser

from personas import queries, settings
from personas.common import Browser, process, prose
from personas.dataset import Account, Project
from personas.pages import Form, csrf_token, find_form, find_forms, issue_links, issue_titles
from personas.visitor import GONE, ISSUE_LIST, ISSUE_PAGE, SEARCH

# Refusals a race explains: the issue changed since the page was read (the state form's version
# is stale, or a label was just added by someone else), or it was deleted meanwhile.
RACE = {422: "422 stale form", 404: "404 gone"}


class TeamMember(Browser):
    """Signed in with one seeded account; reads the dashboard, lists and issues, and sometimes
    comments, closes or reopens, and labels, through the same forms a person uses. Each action
    needs the role the tracker asks for: reporters close only issues they opened and never label."""

    weight = settings.weight("MEMBER", 3)

    def on_start(self) -> None:
        self.account: Account = process(self.environment).next_account()
        known = self.credentials().projects
        self.mine = [known[key] for key in self.account.roles if key in known]
        self.sign_in()

    def sign_in(self) -> None:
        """GET the form (its CSRF token, and the seed cookie it is bound to), POST it like a
        browser, keep the session cookie, land on the dashboard."""
        page = self.page("/sign-in?next=/dashboard", "/sign-in") or ""
        form, token = find_form(page, "/sign-in"), csrf_token(page)
        if form is None or token is None:
            raise StopUser()  # the GET failed (counted) or this is not the tracker's page
        data = form.data(csrf_token=token, login=self.account.username)
        data["password"] = self.credentials().password
        if self.submit(form, data, "/sign-in", on_page="/sign-in", then="/dashboard") is None:
            raise StopUser()  # refused (counted as a failure, with the page's message)

    def project(self, role: str = "reporter") -> Project | None:
        """One of this member's projects where their role is at least ``role``."""
        allowed = [project for project in self.mine if self.account.can(project.key, role)]
        return random.choice(allowed) if allowed else None

    @task(3)
    def dashboard(self) -> None:
        self.page("/dashboard", "/dashboard")

    @task(1)
    def projects(self) -> None:
        self.page("/projects", "/projects")

    @task(10)
    def issue_list(self) -> None:
        if project := self.project():
            members = self.credentials().members(project.key)
            params = queries.issue_filters(project, members=members, signed_in=True)
            self.list_issues(project, params, ISSUE_LIST)

    @task(3)
    def search_issues(self) -> None:
        if project := self.project():
            self.list_issues(project, queries.search(self.catalog().search_words()), SEARCH)

    @task(12)
    def issue_page(self) -> None:
        if project := self.project():
            self.read_issue(project, self.catalog().issue_number(project))

    @task(2)
    def comment(self) -> None:
        if not (project := self.project()):
            return
        number = self.catalog().issue_number(project)
        page = self.read_issue(project, number)
        form = find_form(page or "", f"/projects/{project.key}/issues/{number}/comments")
        if form is not None:
            data = form.data(body=prose(random.randint(1, 3)), intent="submit")
            self.post(form, data, f"{ISSUE_PAGE}/comments", project, number, GONE)

    @task(1)
    def close_or_reopen(self) -> None:
        """Maintainers close or reopen any issue; reporters one they opened themselves."""
        project = self.project("maintainer")
        number = self.catalog().issue_number(project) if project else None
        if project is None and (project := self.project()):
            number = self.own_issue(project)
        if project is None or number is None:
            return
        page = self.read_issue(project, number)
        form = find_form(page or "", f"/projects/{project.key}/issues/{number}/state")
        if form is not None:  # carries the version the page shows: a stale one is a 422
            reasons = form.options.get("close_reason") or [""]
            data = form.data(close_reason=random.choice(reasons)) if reasons[0] else form.data()
            self.post(form, data, f"{ISSUE_PAGE}/state", project, number)

    @task(1)
    def label(self) -> None:
        """Add a label the issue lacks (the form lists only those); sometimes take one off."""
        if not (project := self.project("maintainer")):
            return
        number = self.catalog().issue_number(project)
        page = self.read_issue(project, number) or ""
        base = f"/projects/{project.key}/issues/{number}/labels"
        removals = find_forms(page, re.compile(re.escape(base) + r"/\d+/remove"))
        form = find_form(page, base)
        if form and form.options.get("label") and (not removals or random.random() < 0.7):
            data = form.data(label=random.choice(form.options["label"]))
            self.post(form, data, f"{ISSUE_PAGE}/labels", project, number)
        elif removals:
            removal = random.choice(removals)
            name = f"{ISSUE_PAGE}/labels/[id]/remove"
            self.post(removal, removal.fields, name, project, number)

    def own_issue(self, project: Project) -> int | None:
        """An issue this member opened, found the way they would: the list filtered to them."""
        page = self.list_issues(project, {"author": "me", "state": "all"}, ISSUE_LIST)
        numbers = issue_links(page or "", project.key)
        return random.choice(numbers) if numbers else None

    def list_issues(self, project: Project, params: dict[str, str], name: str) -> str | None:
        page = self.page(f"/projects/{project.key}", name, params=params)
        if page is not None:
            self.catalog().learn_titles(issue_titles(page))
        return page

    def read_issue(self, project: Project, number: int) -> str | None:
        return self.page(f"/projects/{project.key}/issues/{number}", ISSUE_PAGE, tolerated=GONE)

    def post(
        self, form: Form, data: dict[str, str], name: str, project: Project, number: int,
        tolerated: dict[int, str] = RACE,
    ) -> None:  # fmt: skip
        """Submit a form of the issue page; its redirect leads back to the issue page."""
        on_page = f"/projects/{project.key}/issues/{number}"
        self.submit(form, data, name, on_page=on_page, tolerated=tolerated, then=ISSUE_PAGE)
