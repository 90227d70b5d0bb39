"""Who may call which tracker endpoint: every route, every kind of caller, public and private.

The table ROWS is the contract; check it against the rules:
- public projects: anyone reads, even anonymous; private ones: non-members and anonymous callers
  get 404 for everything they read, never 403, so a 404 tells an outsider nothing;
- writes need someone signed in (401 first, before any 404); a member lacking the role gets 403,
  a non-member of a public project 403, of a private one 404;
- reporters open issues, comment, edit and close their own issues, edit and delete their own
  comments; maintainers also manage labels and milestones, triage, edit and close any issue and
  delete any comment (but edit only their own); owners also change settings and members, delete
  issues and the project; anyone may leave, but a project keeps an owner (409);
- an owner's read-only token reads what the owner reads; every write is 403 INSUFFICIENT_SCOPE.

Each refused call must change nothing: the row counts (and, for edits, the owner's view of the
resource) are compared before and after it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from quart import Quart
from sqlalchemy import select

from quart_app.models import TokenScope, User
from quart_app.services.api_tokens import create_api_token
from tests.api.tracker import ApiUser, Tracker

pytestmark = pytest.mark.integration

KEYS = {"public": "PUB", "private": "PRIV"}  # one project of each
ROLES = ("anonymous", "outsider", "reporter", "maintainer", "owner")  # the table's columns
READ_TOKEN = "owner_read_token"  # the owner through a read-only token: not a column, a rule
CALLERS = ("anonymous", "outsider", READ_TOKEN, "reporter", "maintainer", "owner")
# A short tag per caller, for names that must differ between callers (new project keys).
TAGS = {"anonymous": "AN", "outsider": "OU", READ_TOKEN: "RT", "reporter": "RE",
        "maintainer": "MA", "owner": "OW"}  # fmt: skip
ERROR_CODES = {401: "AUTHENTICATION_REQUIRED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT"}
TRACKER_PREFIXES = ("/api/v1/projects", "/api/v1/issues")

PROJECTS = "/api/v1/projects"
PROJECT = "/api/v1/projects/{key}"
MEMBERS = f"{PROJECT}/members"
LABELS = f"{PROJECT}/labels"
MILESTONES = f"{PROJECT}/milestones"
ISSUES = f"{PROJECT}/issues"
ISSUE = f"{ISSUES}/{{issue}}"  # opened by the reporter
OTHER_ISSUE = f"{ISSUES}/{{other_issue}}"  # opened by the maintainer
COMMENTS = f"{ISSUE}/comments"
COMMENT = f"{COMMENTS}/{{comment}}"  # written by the reporter
OTHER_COMMENT = f"{COMMENTS}/{{other_comment}}"  # written by the maintainer


@dataclass(frozen=True)
class Row:
    """One call, and the status each caller gets: "public columns | private columns"."""

    name: str
    statuses: str  # anonymous outsider reporter maintainer owner | the same on a private project
    method: str
    path: str  # names {key}, {label}, {issue}, ...; {me} is the caller's username
    body: dict[str, Any] | None = None
    fresh: str | None = None  # make a new target before each call (a call may consume it)
    if_match: bool = False  # send the current version of the resource at ``path``
    view: str | None = None  # what the owner re-reads to see that a refused call changed nothing

    def columns(self, visibility: str) -> dict[str, int]:
        public, private = self.statuses.split("|")
        statuses = [
            int(status) for status in (public if visibility == "public" else private).split()
        ]
        assert len(statuses) == len(ROLES), f"{self.name}: {self.statuses!r}"
        return dict(zip(ROLES, statuses, strict=True))

    def expected(self, visibility: str, caller: str) -> tuple[int, str | None]:
        """The status and error code ``caller`` should get."""
        columns = self.columns(visibility)
        if caller == READ_TOKEN:
            if self.method == "GET":
                return columns["owner"], None
            return 403, "INSUFFICIENT_SCOPE"
        return columns[caller], ERROR_CODES.get(columns[caller])


# fmt: off
ROWS = [
    # Statuses per caller: anonymous, outsider (signed in, verified, not a member), reporter,
    # maintainer, owner; on the public project, then on the private one.
    #   what the caller does          on a public project | on a private one
    #                                 ano out rep mnt own | ano out rep mnt own
    Row("list projects",             "200 200 200 200 200 | 200 200 200 200 200",
        "GET", PROJECTS),
    Row("create a project",          "401 201 201 201 201 | 401 201 201 201 201",
        "POST", PROJECTS, {"key": "N{tag}", "name": "N"}),
    Row("list my issues",            "401 200 200 200 200 | 401 200 200 200 200",
        "GET", "/api/v1/issues"),
    Row("read the project",          "200 200 200 200 200 | 404 404 200 200 200",
        "GET", PROJECT),
    Row("change settings",           "401 403 403 403 200 | 401 404 403 403 200",
        "PATCH", PROJECT, {"name": "By {me}"}, view=PROJECT),
    Row("delete the project",        "401 403 403 403 204 | 401 404 403 403 204",
        "DELETE", PROJECT, view=PROJECT),
    # members
    Row("list members",              "200 200 200 200 200 | 404 404 200 200 200",
        "GET", MEMBERS),
    Row("add a member",              "401 403 403 403 201 | 401 404 403 403 201",
        "POST", MEMBERS, {"username": "outsider"}, view=MEMBERS),
    Row("change a role",             "401 403 403 403 200 | 401 404 403 403 200",
        "PATCH", f"{MEMBERS}/reporter", {"role": "maintainer"}, view=MEMBERS),
    Row("demote the last owner",     "401 403 403 403 409 | 401 404 403 403 409",
        "PATCH", f"{MEMBERS}/owner", {"role": "maintainer"}, view=MEMBERS),
    Row("remove another member",     "401 403 403 403 204 | 401 404 403 403 204",
        "DELETE", f"{MEMBERS}/teammate"),
    Row("leave the project",         "401 404 204 204 409 | 401 404 204 204 409",
        "DELETE", f"{MEMBERS}/{{me}}"),
    # labels
    Row("list labels",               "200 200 200 200 200 | 404 404 200 200 200",
        "GET", LABELS),
    Row("create a label",            "401 403 403 201 201 | 401 404 403 201 201",
        "POST", LABELS, {"name": "new-{me}"}),
    Row("change a label",            "401 403 403 200 200 | 401 404 403 200 200",
        "PATCH", f"{LABELS}/{{label}}", {"name": "by-{me}"}, view=LABELS),
    Row("delete a label",            "401 403 403 204 204 | 401 404 403 204 204",
        "DELETE", f"{LABELS}/{{label}}", fresh="label"),
    # milestones
    Row("list milestones",           "200 200 200 200 200 | 404 404 200 200 200",
        "GET", MILESTONES),
    Row("read a milestone",          "200 200 200 200 200 | 404 404 200 200 200",
        "GET", f"{MILESTONES}/{{milestone}}"),
    Row("create a milestone",        "401 403 403 201 201 | 401 404 403 201 201",
        "POST", MILESTONES, {"title": "new-{me}"}),
    Row("change a milestone",        "401 403 403 200 200 | 401 404 403 200 200",
        "PATCH", f"{MILESTONES}/{{milestone}}", {"title": "by-{me}"},
        view=f"{MILESTONES}/{{milestone}}"),
    Row("delete a milestone",        "401 403 403 204 204 | 401 404 403 204 204",
        "DELETE", f"{MILESTONES}/{{milestone}}", fresh="milestone"),
    # issues
    Row("list issues",               "200 200 200 200 200 | 404 404 200 200 200",
        "GET", ISSUES),
    Row("open an issue",             "401 403 201 201 201 | 401 404 201 201 201",
        "POST", ISSUES, {"title": "By {me}"}),
    Row("open a triaged issue",      "401 403 403 201 201 | 401 404 403 201 201",
        "POST", ISSUES, {"title": "T", "labels": ["bug"]}),
    Row("read an issue",             "200 200 200 200 200 | 404 404 200 200 200",
        "GET", ISSUE),
    Row("edit own issue",            "401 403 200 200 200 | 401 404 200 200 200",
        "PATCH", ISSUE, {"title": "By {me}"}, if_match=True, view=ISSUE),
    Row("close own issue",           "401 403 200 200 200 | 401 404 200 200 200",
        "PATCH", ISSUE, {"state": "closed"}, fresh="issue", if_match=True, view=ISSUE),
    Row("edit another's issue",      "401 403 403 200 200 | 401 404 403 200 200",
        "PATCH", OTHER_ISSUE, {"title": "By {me}"}, if_match=True, view=OTHER_ISSUE),
    Row("close another's issue",     "401 403 403 200 200 | 401 404 403 200 200",
        "PATCH", OTHER_ISSUE, {"state": "closed"},
        fresh="other_issue", if_match=True, view=OTHER_ISSUE),
    Row("triage own issue",          "401 403 403 200 200 | 401 404 403 200 200",
        "PATCH", ISSUE, {"labels": ["bug"]}, if_match=True, view=ISSUE),
    Row("delete an issue",           "401 403 403 403 204 | 401 404 403 403 204",
        "DELETE", ISSUE, fresh="issue", if_match=True, view=ISSUE),
    Row("label an issue",            "401 403 403 200 200 | 401 404 403 200 200",
        "POST", f"{ISSUE}/labels", {"labels": ["bug"]}, view=ISSUE),
    Row("unlabel an issue",          "401 403 403 200 200 | 401 404 403 200 200",
        "DELETE", f"{ISSUE}/labels/{{label}}", fresh="issue_label", view=ISSUE),
    Row("assign an issue",           "401 403 403 200 200 | 401 404 403 200 200",
        "POST", f"{ISSUE}/assignees", {"assignees": ["teammate"]}, view=ISSUE),
    Row("unassign an issue",         "401 403 403 200 200 | 401 404 403 200 200",
        "DELETE", f"{ISSUE}/assignees/reporter", fresh="assignee", view=ISSUE),
    # comments, timeline, activity
    Row("list comments",             "200 200 200 200 200 | 404 404 200 200 200",
        "GET", COMMENTS),
    Row("comment",                   "401 403 201 201 201 | 401 404 201 201 201",
        "POST", COMMENTS, {"body": "By {me}"}),
    Row("read a comment",            "200 200 200 200 200 | 404 404 200 200 200",
        "GET", COMMENT),
    Row("edit own comment",          "401 403 200 403 403 | 401 404 200 403 403",
        "PATCH", COMMENT, {"body": "By {me}"}, if_match=True, view=COMMENT),
    Row("edit another's comment",    "401 403 403 200 403 | 401 404 403 200 403",
        "PATCH", OTHER_COMMENT, {"body": "By {me}"}, if_match=True, view=OTHER_COMMENT),
    Row("delete own comment",        "401 403 204 204 204 | 401 404 204 204 204",
        "DELETE", COMMENT, fresh="comment", if_match=True, view=COMMENT),
    Row("delete another's comment",  "401 403 403 204 204 | 401 404 403 204 204",
        "DELETE", OTHER_COMMENT, fresh="other_comment", if_match=True, view=OTHER_COMMENT),
    Row("read the timeline",         "200 200 200 200 200 | 404 404 200 200 200",
        "GET", f"{ISSUE}/timeline"),
    Row("read the activity",         "200 200 200 200 200 | 404 404 200 200 200",
        "GET", f"{PROJECT}/events"),
]
# fmt: on
READS = [row for row in ROWS if row.method == "GET"]
WRITES = [row for row in ROWS if row.method != "GET"]


@dataclass
class World:
    """Two projects, one public and one private, each with an owner, a maintainer and two
    reporters (an outsider watches), a label, a milestone, an issue opened by the reporter and
    one by the maintainer, and a comment by each of them on the reporter's issue."""

    tracker: Tracker
    callers: dict[str, ApiUser]
    ids: dict[str, dict[str, Any]]  # per visibility: what the paths name (key, label, issue...)
    made: int = 0  # targets made so far, to name fresh ones apart

    @property
    def owner(self) -> ApiUser:
        return self.callers["owner"]

    def names_for(self, visibility: str, caller: str, **overrides: Any) -> dict[str, Any]:
        me = self.callers[caller].username or "ghost"
        tag = f"{TAGS[caller]}{visibility[:2].upper()}"
        return {**self.ids[visibility], "me": me, "tag": tag, **overrides}


async def read_only_token(tracker: Tracker, username: str) -> ApiUser:
    """A second token of an existing account, one that may only read."""
    async with tracker.database.write_sessions() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        _token, secret = await create_api_token(
            session, user, name="read only", scope=TokenScope.READ, expires_at=None
        )
        await session.commit()
    return ApiUser(tracker.app.test_client(), username, secret)


async def arrange_project(
    tracker: Tracker, callers: dict[str, ApiUser], visibility: str
) -> dict[str, Any]:
    """One project and what is in it, through the API; returns the ids its paths name."""
    owner, maintainer, reporter = callers["owner"], callers["maintainer"], callers["reporter"]
    key = KEYS[visibility]
    members = {"maintainer": "maintainer", "reporter": "reporter", "teammate": "reporter"}
    await tracker.project(owner, key, visibility=visibility, members=members)
    project = PROJECT.format(key=key)
    label = await owner.ok("POST", f"{project}/labels", {"name": "bug"}, status=201)
    milestone = await owner.ok("POST", f"{project}/milestones", {"title": "v1"}, status=201)
    issue = await tracker.issue(reporter, key, title="Opened by the reporter")
    other_issue = await tracker.issue(maintainer, key, title="Opened by the maintainer")
    comments = f"{project}/issues/{issue['number']}/comments"
    comment = await reporter.ok("POST", comments, {"body": "The reporter's"}, status=201)
    other_comment = await maintainer.ok("POST", comments, {"body": "The maintainer's"}, status=201)
    return {
        "key": key, "label": label["id"], "milestone": milestone["id"], "issue": issue["number"],
        "other_issue": other_issue["number"], "comment": comment["id"],
        "other_comment": other_comment["id"],
    }  # fmt: skip


@pytest.fixture
async def world(app: Quart) -> World:
    tracker = Tracker(app)
    callers = {"anonymous": tracker.anonymous()}
    for username in ("owner", "maintainer", "reporter", "teammate", "outsider"):
        callers[username] = await tracker.user(username)
    callers[READ_TOKEN] = await read_only_token(tracker, "owner")
    ids = {visibility: await arrange_project(tracker, callers, visibility) for visibility in KEYS}
    return World(tracker, callers, ids)


# Fresh targets, made before each call of a row that may consume its target.
async def fresh_label(world: World, ids: dict[str, Any]) -> None:
    body = {"name": f"fresh-{world.made}"}
    ids["label"] = (await world.owner.ok("POST", LABELS.format(**ids), body, status=201))["id"]


async def fresh_milestone(world: World, ids: dict[str, Any]) -> None:
    body = {"title": f"fresh-{world.made}"}
    milestone = await world.owner.ok("POST", MILESTONES.format(**ids), body, status=201)
    ids["milestone"] = milestone["id"]


async def fresh_issue(world: World, ids: dict[str, Any]) -> None:
    issue = await world.tracker.issue(world.callers["reporter"], ids["key"], title="Another")
    ids["issue"] = issue["number"]


async def fresh_other_issue(world: World, ids: dict[str, Any]) -> None:
    issue = await world.tracker.issue(world.callers["maintainer"], ids["key"], title="Another")
    ids["other_issue"] = issue["number"]


async def fresh_comment(world: World, ids: dict[str, Any]) -> None:
    path, body = COMMENTS.format(**ids), {"body": "Another"}
    ids["comment"] = (await world.callers["reporter"].ok("POST", path, body, status=201))["id"]


async def fresh_other_comment(world: World, ids: dict[str, Any]) -> None:
    path, body = COMMENTS.format(**ids), {"body": "Another"}
    comment = await world.callers["maintainer"].ok("POST", path, body, status=201)
    ids["other_comment"] = comment["id"]


async def fresh_issue_label(world: World, ids: dict[str, Any]) -> None:
    await world.owner.ok("POST", f"{ISSUE}/labels".format(**ids), {"labels": ["bug"]})


async def fresh_assignee(world: World, ids: dict[str, Any]) -> None:
    await world.owner.ok("POST", f"{ISSUE}/assignees".format(**ids), {"assignees": ["reporter"]})


FRESH: dict[str, Callable[[World, dict[str, Any]], Awaitable[None]]] = {
    "label": fresh_label, "milestone": fresh_milestone, "issue": fresh_issue,
    "other_issue": fresh_other_issue, "comment": fresh_comment,
    "other_comment": fresh_other_comment, "issue_label": fresh_issue_label,
    "assignee": fresh_assignee,
}  # fmt: skip


def fill(value: Any, names: Mapping[str, Any]) -> Any:
    """The body with its {placeholders} filled in."""
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [fill(item, names) for item in value]
    if isinstance(value, dict):
        return {name: fill(item, names) for name, item in value.items()}
    return value


@dataclass
class Answer:
    status: int
    text: str
    headers: dict[str, str]

    def error_code(self) -> str | None:
        try:
            return str(json.loads(self.text)["error"]["code"])
        except (ValueError, KeyError, TypeError):
            return None


async def call(world: World, row: Row, visibility: str, caller: str, **overrides: Any) -> Answer:
    """Make the row's call as ``caller``, with the right If-Match where the row needs one."""
    names = world.names_for(visibility, caller, **overrides)
    path = row.path.format(**names)
    headers: dict[str, str] = {}
    if row.if_match:
        current = await world.owner.ok("GET", row.path.format(**world.ids[visibility]))
        headers["If-Match"] = f'"{current["version"]}"'
    kwargs: dict[str, Any] = {"headers": world.callers[caller].headers(headers)}
    if row.body is not None:
        kwargs["json"] = fill(row.body, names)
    response = await world.callers[caller].client.open(path, method=row.method, **kwargs)
    text = await response.get_data(as_text=True)
    return Answer(response.status_code, text, dict(response.headers))


async def check_call(world: World, row: Row, visibility: str, caller: str) -> list[str]:
    """What went wrong with the row's call as ``caller``: a wrong status or code, or a refused
    call that changed something anyway."""
    ids = world.ids[visibility]
    if row.fresh is not None:
        world.made += 1
        await FRESH[row.fresh](world, ids)
    status, code = row.expected(visibility, caller)
    refused = status >= 400
    view = row.view.format(**ids) if row.view and refused else None
    counts = await world.tracker.row_counts() if refused else None
    seen = await world.owner.ok("GET", view) if view else None
    answer = await call(world, row, visibility, caller)
    path = row.path.format(**world.names_for(visibility, caller))
    where = f"{visibility}, {caller}: {row.method} {path}"
    if answer.status != status:
        return [f"{where} -> {answer.status}, expected {status}: {answer.text[:300]}"]
    problems = []
    if refused and answer.error_code() != code:
        problems.append(f"{where} -> code {answer.error_code()}, expected {code}")
    if counts is not None and (after := await world.tracker.row_counts()) != counts:
        changed = {table: (n, after[table]) for table, n in counts.items() if after[table] != n}
        problems.append(f"{where} was refused but changed row counts {changed}")
    if view and (now := await world.owner.ok("GET", view)) != seen:
        problems.append(f"{where} was refused but changed {view}: {seen} -> {now}")
    return problems


async def test_every_caller_reads_what_their_role_allows(world: World) -> None:
    problems = []
    for row in READS:  # reads change nothing, so one world serves them all
        for visibility in KEYS:
            for caller in CALLERS:
                problems += await check_call(world, row, visibility, caller)

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("row", WRITES, ids=[row.name.replace(" ", "-") for row in WRITES])
async def test_every_caller_writes_what_their_role_allows_and_refusals_change_nothing(
    world: World, row: Row
) -> None:
    problems = []
    for visibility in KEYS:
        for caller in CALLERS:
            problems += await check_call(world, row, visibility, caller)

    assert not problems, "\n".join(problems)


async def test_a_hidden_private_project_answers_exactly_like_a_missing_one(world: World) -> None:
    hidden_key, missing_key = KEYS["private"], "NOPE"  # as long as each other: same Content-Length
    differences = []
    for row in [row for row in ROWS if "{key}" in row.path]:
        for caller in ("anonymous", "outsider"):
            hidden = await call(world, row, "private", caller)
            missing = await call(world, row, "private", caller, key=missing_key)
            hidden.text = hidden.text.replace(repr(hidden_key), repr(missing_key))
            if hidden != missing:
                differences.append(f"{caller} {row.name}: {hidden} vs {missing}")

    assert not differences, "\n".join(differences)


async def test_a_private_project_is_listed_for_its_members_only(world: World) -> None:
    listed = {}
    for caller in ("anonymous", "outsider", "reporter"):
        page = await world.callers[caller].ok("GET", PROJECTS)
        listed[caller] = [project["key"] for project in page["items"]]

    assert listed == {"anonymous": ["PUB"], "outsider": ["PUB"], "reporter": ["PRIV", "PUB"]}


async def test_the_table_covers_every_tracker_route(app: Quart) -> None:
    adapter = app.url_map.bind("localhost")
    sample = {"key": "PUB", "label": 1, "milestone": 1, "issue": 1, "other_issue": 2,
              "comment": 1, "other_comment": 2, "me": "owner", "tag": "OW"}  # fmt: skip
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(TRACKER_PREFIXES)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }

    covered = {
        (adapter.match(row.path.format(**sample), method=row.method)[0], row.method) for row in ROWS
    }

    assert routes - covered == set()  # a new route needs its row in the table
