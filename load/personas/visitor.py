"""The visitor: not signed in, reading public projects (their lists, issues, searches)."""

from __future__ import annotations

import random

from locust import task

from personas import queries, settings
from personas.common import Browser
from personas.dataset import Project
from personas.pages import issue_links, issue_titles

ISSUE_LIST = "/projects/[key]"
SEARCH = "/projects/[key]?q=[words]"
ISSUE_PAGE = "/projects/[key]/issues/[number]"
GONE = {404: "404 gone"}  # an issue deleted since it was listed


class Visitor(Browser):
    """Reads far more than anyone writes: the public face of the tracker. Only ever touches
    public projects (a private one would be a 404, which counts as a failure)."""

    weight = settings.weight("VISITOR", 5)

    def on_start(self) -> None:
        self.public = self.credentials().public_projects()
        self.listed: tuple[str, list[int]] = ("", [])  # the issues on the last list read

    def project(self) -> Project | None:
        return random.choice(self.public) if self.public else None

    @task(2)
    def home(self) -> None:
        self.page("/", "/")

    @task(3)
    def projects(self) -> None:
        self.page("/projects", "/projects")

    @task(10)
    def issue_list(self) -> None:
        if project := self.project():
            params = queries.issue_filters(project, signed_in=False)
            self.read_list(project, params, ISSUE_LIST)

    @task(3)
    def search_issues(self) -> None:
        if project := self.project():
            params = queries.search(self.catalog().search_words())
            self.read_list(project, params, SEARCH)

    @task(12)
    def issue_page(self) -> None:
        """An issue from the list just read (a click), else one by its number (a link)."""
        key, numbers = self.listed
        project = self.credentials().projects.get(key) if numbers else self.project()
        if project is None:
            return
        number = random.choice(numbers) if numbers else self.catalog().issue_number(project)
        self.page(f"/projects/{project.key}/issues/{number}", ISSUE_PAGE, tolerated=GONE)

    def read_list(self, project: Project, params: dict[str, str], name: str) -> None:
        page = self.page(f"/projects/{project.key}", name, params=params)
        if page is not None:
            self.listed = (project.key, issue_links(page, project.key))
            self.catalog().learn_titles(issue_titles(page))
