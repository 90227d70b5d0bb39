"""The API client: a script or integration with a Bearer token, on /api/v1."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, task

from personas import queries, settings
from personas.common import Process, header, judge, process, prose
from personas.dataset import Account, Project

ISSUES = "/api/v1/projects/[key]/issues"
ISSUE = f"{ISSUES}/[number]"
GONE = {404: "404 gone"}
RACE = {412: "412 race", 404: "404 gone"}  # someone changed (or deleted) it since our GET
CLOSE_REASONS = ("completed", "not_planned", "duplicate")


class ApiClient(FastHttpUser):
    """Reads (lists with filters, searches, single issues) and some writes: opens issues, and
    edits them with If-Match after reading their ETag. Maintainers edit any issue in their
    projects; reporters only the issues this client opened."""

    weight = settings.weight("API", 2)
    wait_time = settings.think_time("API_", 0.2, 1.0)

    def on_start(self) -> None:
        self.shared: Process = process(self.environment)
        self.account: Account = self.shared.next_account()
        projects = self.shared.credentials.projects.values()
        self.mine = [project for project in projects if project.key in self.account.roles]
        self.readable = self.mine + [p for p in projects if p.public and p not in self.mine]
        self.opened: dict[str, list[int]] = defaultdict(list)  # issues this client opened
        self.auth = {
            "Authorization": f"Bearer {self.account.token}",
            "Accept": "application/json",
            "User-Agent": "quart_app-load/1 (locust API persona)",
        }

    def call(
        self, method: str, path: str, name: str, *, ok: tuple[int, ...] = (200,),
        tolerated: dict[int, str] | None = None, json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[Any, str] | None:  # fmt: skip
        """One API call; its JSON body and ETag when the status is ``ok``."""
        with self.client.request(
            method, path, name=name, json=json, headers={**self.auth, **(headers or {})},
            catch_response=True, allow_redirects=False,
        ) as response:  # fmt: skip
            if judge(response, ok, tolerated):
                return response.json(), header(response, "ETag")
        return None

    def project(self, role: str | None = None) -> Project | None:
        """A project this client may read (any role: a member's; None: any readable one)."""
        pool = [p for p in self.mine if self.account.can(p.key, role)] if role else self.readable
        return random.choice(pool) if pool else None

    @task(10)
    def list_issues(self) -> None:
        if project := self.project():
            members = self.shared.credentials.members(project.key)
            self.list_of(project, queries.issue_filters(project, members=members, signed_in=True))

    @task(3)
    def search_issues(self) -> None:
        if project := self.project():
            params = queries.search(self.shared.catalog.search_words())
            self.list_of(project, params, name=f"{ISSUES}?q=[words]")

    @task(10)
    def get_issue(self) -> None:
        if project := self.project():
            number = self.shared.catalog.issue_number(project)
            self.call(
                "GET", f"/api/v1/projects/{project.key}/issues/{number}", ISSUE, tolerated=GONE
            )

    @task(2)
    def my_issues(self) -> None:
        relation = random.choice(("assigned", "assigned", "created"))
        self.call("GET", f"/api/v1/issues?filter={relation}", "/api/v1/issues")

    @task(1)
    def list_projects(self) -> None:
        self.call("GET", "/api/v1/projects", "/api/v1/projects")

    @task(2)
    def create_issue(self) -> None:
        if not (project := self.project("reporter")):
            return
        issue: dict[str, Any] = {"title": self.title(), "body": prose(random.randint(1, 4))}
        if project.labels and self.account.can(project.key, "maintainer") and random.random() < 0.5:
            issue["labels"] = [random.choice(project.labels)]
        path = f"/api/v1/projects/{project.key}/issues"
        if created := self.call("POST", path, ISSUES, ok=(201,), json=issue):
            self.opened[project.key].append(created[0]["number"])
            self.shared.catalog.opened(project, created[0]["number"])

    @task(3)
    def update_issue(self) -> None:
        """GET the issue for its ETag, then PATCH it with If-Match; a 412 means someone else
        changed it in between: the expected outcome of a race, counted on its own."""
        if not (target := self.editable_issue()):
            return
        project, number = target
        path = f"/api/v1/projects/{project.key}/issues/{number}"
        if not (found := self.call("GET", path, ISSUE, tolerated=GONE)):
            return
        issue, etag = found
        headers = {"If-Match": etag or f'"{issue["version"]}"'}
        changes = self.changes(project, issue)
        self.call("PATCH", path, ISSUE, json=changes, headers=headers, tolerated=RACE)

    def editable_issue(self) -> tuple[Project, int] | None:
        if project := self.project("maintainer"):
            return project, self.shared.catalog.issue_number(project)
        own = [(p, n) for p in self.mine for n in self.opened[p.key][-50:]]
        return random.choice(own) if own else None

    def changes(self, project: Project, issue: dict[str, Any]) -> dict[str, Any]:
        """Close or reopen it, retitle it, or (maintainers) set its labels."""
        roll = random.random()
        if roll < 0.5:
            if issue["state"] == "open":
                return {"state": "closed", "close_reason": random.choice(CLOSE_REASONS)}
            return {"state": "open"}
        if roll < 0.75 or not project.labels or not self.account.can(project.key, "maintainer"):
            return {"title": self.title()}
        shuffled = random.sample(project.labels, k=len(project.labels))
        return {"labels": one_per_scope(shuffled)[: random.randint(0, 2)]}

    def list_of(self, project: Project, params: dict[str, str], name: str = ISSUES) -> None:
        path = f"/api/v1/projects/{project.key}/issues?{urlencode(params)}"
        if found := self.call("GET", path.rstrip("?"), name):
            titles = [item["title"] for item in found[0].get("items", [])]
            self.shared.catalog.learn_titles(titles)

    def title(self) -> str:
        return f"{self.shared.catalog.search_words().capitalize()}: {prose(1)[:80]}"


def one_per_scope(labels: list[str]) -> list[str]:
    """The first label of each scope ("priority/high" and "priority/low" share one): the app
    refuses two labels of one scope on an issue, as a person's label picker would not offer."""
    seen: set[str] = set()
    kept = []
    for label in labels:
        scope = label.rpartition("/")[0] or label
        if scope not in seen:
            seen.add(scope)
            kept.append(label)
    return kept
