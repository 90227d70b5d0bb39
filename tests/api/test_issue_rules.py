"""The rules of editing issues over the API: ETag/If-Match, Idempotency-Key, scoped labels,
closing, assignees and milestones, comments, and what a title may be."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from quart import Quart, Response

from tests.api.tracker import ApiUser, Tracker

pytestmark = pytest.mark.integration

ISSUES = "/api/v1/projects/WEB/issues"
ISSUE = f"{ISSUES}/1"
COMMENTS = f"{ISSUE}/comments"
LABEL_NAMES = ["bug", "ui", "priority/high", "priority/low", "a/x", "a/b/c", "a/b/d"]


@dataclass
class Team:
    ada: ApiUser  # owner
    bob: ApiUser  # maintainer
    cyd: ApiUser  # reporter
    dee: ApiUser  # has an account, is no member of WEB


@pytest.fixture
async def team(tracker: Tracker) -> Team:
    ada, bob = await tracker.user("ada"), await tracker.user("bob")
    cyd, dee = await tracker.user("cyd"), await tracker.user("dee")
    await tracker.project(ada, "WEB", members={"bob": "maintainer", "cyd": "reporter"})
    return Team(ada=ada, bob=bob, cyd=cyd, dee=dee)


@pytest.fixture
async def labels(team: Team) -> None:
    for name in LABEL_NAMES:
        await team.ada.ok("POST", "/api/v1/projects/WEB/labels", {"name": name}, status=201)


@pytest.fixture
async def milestones(team: Team) -> None:
    for title in ("v1", "v2"):
        await team.ada.ok("POST", "/api/v1/projects/WEB/milestones", {"title": title}, status=201)


def if_match(value: int | str) -> dict[str, str]:
    return {"If-Match": f'"{value}"' if isinstance(value, int) else value}


async def error_of(response: Response, status: int) -> dict[str, Any]:
    body = await response.get_data(as_text=True)
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {body}"
    error: dict[str, Any] = json.loads(body)["error"]
    return error


def fields_in(error: dict[str, Any]) -> list[str | None]:
    return [detail["field"] for detail in error["details"]]


def names(items: list[dict[str, Any]], key: str = "name") -> set[str]:
    return {item[key] for item in items}


async def timeline(who: ApiUser, number: int = 1) -> list[dict[str, Any]]:
    page = await who.ok("GET", f"{ISSUES}/{number}/timeline?per_page=100")
    return list(page["items"])


# --- ETag and If-Match, on issues and on comments ------------------------------------------------


@dataclass
class Editable:
    """An issue or a comment that ada wrote (so she may edit and delete it)."""

    path: str
    field: str  # the text a PATCH changes

    async def write(
        self, who: ApiUser, method: str, headers: dict[str, str] | None, text: str = "Changed"
    ) -> Response:
        if method == "PATCH":
            return await who.patch(self.path, {self.field: text}, headers=headers)
        return await who.delete(self.path, headers=headers)

    async def edit(self, who: ApiUser, version: int, text: str) -> dict[str, Any]:
        return dict(await who.ok("PATCH", self.path, {self.field: text}, headers=if_match(version)))


@pytest.fixture(params=["issue", "comment"])
async def editable(request: pytest.FixtureRequest, tracker: Tracker, team: Team) -> Editable:
    await tracker.issue(team.ada, title="Original")
    if request.param == "issue":
        return Editable(ISSUE, "title")
    comment = await team.ada.ok("POST", COMMENTS, {"body": "Original"}, status=201)
    return Editable(f"{COMMENTS}/{comment['id']}", "body")


async def test_a_read_answers_with_the_version_as_its_etag(editable: Editable, team: Team) -> None:
    response = await team.ada.get(editable.path)

    body = await response.get_json()
    assert response.status_code == 200
    assert body["version"] == 1
    assert response.headers["ETag"] == f'"{body["version"]}"'


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_a_write_without_if_match_is_refused_with_428_and_changes_nothing(
    editable: Editable, team: Team, method: str
) -> None:
    without = await editable.write(team.ada, method, None)
    blank = await editable.write(team.ada, method, {"If-Match": " "})

    for response in (without, blank):
        assert (await error_of(response, 428))["code"] == "PRECONDITION_REQUIRED"
    after = await team.ada.ok("GET", editable.path)
    assert after[editable.field] == "Original" and after["version"] == 1


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_a_write_with_a_stale_if_match_is_refused_with_412_and_changes_nothing(
    editable: Editable, team: Team, method: str
) -> None:
    await editable.edit(team.ada, 1, "Second")

    response = await editable.write(team.ada, method, if_match(1))

    error = await error_of(response, 412)
    assert error["code"] == "PRECONDITION_FAILED"
    after = await team.ada.ok("GET", editable.path)
    assert after[editable.field] == "Second" and after["version"] == 2


async def test_a_patch_with_the_current_version_succeeds_and_answers_the_next_etag(
    editable: Editable, team: Team
) -> None:
    response = await editable.write(team.ada, "PATCH", if_match(1))

    body = await response.get_json()
    assert response.status_code == 200, body
    assert body[editable.field] == "Changed" and body["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert (await team.ada.get(editable.path)).headers["ETag"] == '"2"'


async def test_a_delete_with_the_current_version_deletes(editable: Editable, team: Team) -> None:
    response = await editable.write(team.ada, "DELETE", if_match(1))

    assert response.status_code == 204
    await error_of(await team.ada.get(editable.path), 404)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_if_match_star_overwrites_whatever_version_is_there(
    editable: Editable, team: Team, method: str
) -> None:
    await editable.edit(team.ada, 1, "Second")

    response = await editable.write(team.ada, method, {"If-Match": "*"})

    if method == "PATCH":
        body = await response.get_json()
        assert response.status_code == 200 and body["version"] == 3
        assert body[editable.field] == "Changed"
    else:
        assert response.status_code == 204
        await error_of(await team.ada.get(editable.path), 404)


IF_MATCH_FOR_VERSION = {
    "weak": 'W/"{v}"',
    "list": '"{previous}", "{v}"',
    "list, current first": '"{v}", "{next}"',
    "list of weak tags": 'W/"{previous}", W/"{v}"',
}


async def test_if_match_accepts_a_weak_tag_or_a_list_holding_the_current_version(
    editable: Editable, team: Team
) -> None:
    await editable.edit(team.ada, 1, "Second")

    accepted = {}
    for version, (form, template) in enumerate(IF_MATCH_FOR_VERSION.items(), start=2):
        header = template.format(v=version, previous=version - 1, next=version + 1)
        response = await editable.write(team.ada, "PATCH", {"If-Match": header}, text=form)
        accepted[form] = (response.status_code, (await response.get_json()).get("version"))

    assert accepted == {form: (200, version) for version, form in enumerate(accepted, start=3)}


UNMATCHED_IF_MATCH = [
    "garbage", '"abc"', '""', '"2.0"', '"-2"', '"99999999999"', 'W/"x"', '"1", "3"', "W/",
    '"\uff12"',  # a fullwidth 2: a digit to str.isdigit, but not an ETag this API hands out
]  # fmt: skip


async def test_if_match_that_names_no_current_version_is_refused_with_412(
    editable: Editable, team: Team
) -> None:
    await editable.edit(team.ada, 1, "Second")

    answers = {}
    for header in UNMATCHED_IF_MATCH:
        response = await editable.write(team.ada, "PATCH", {"If-Match": header})
        answers[header] = (response.status_code, (await response.get_json())["error"]["code"])

    assert answers == {header: (412, "PRECONDITION_FAILED") for header in UNMATCHED_IF_MATCH}
    after = await team.ada.ok("GET", editable.path)
    assert after[editable.field] == "Second" and after["version"] == 2


async def raw_request(
    app: Quart, method: str, path: str, headers: dict[str, bytes], body: bytes
) -> tuple[int, bytes]:
    """Call the app as a server does, with header bytes as they came off the wire.

    The test client encodes header values as UTF-8, while servers hand over raw bytes that Quart
    decodes as Latin-1: only this way does a client's b"\xb9" reach the app as "¹".
    """
    messages: list[dict[str, Any]] = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # no disconnect: the app cancels this once it answered
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("localhost", 80),
        "headers": [(b"host", b"localhost"), *((k.encode(), v) for k, v in headers.items())],
        "extensions": {},
    }  # fmt: skip
    await app(scope, receive, send)  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def test_if_match_with_a_superscript_digit_is_refused_with_412(
    app: Quart, editable: Editable, team: Team
) -> None:
    headers = {
        "Authorization": f"Bearer {team.ada.token}".encode(),
        "Content-Type": b"application/json",
        "If-Match": b'"\xb9"',  # "¹" in Latin-1
    }
    body = json.dumps({editable.field: "Changed"}).encode()

    status, answer = await raw_request(app, "PATCH", editable.path, headers, body)

    assert status == 412, answer
    assert json.loads(answer)["error"]["code"] == "PRECONDITION_FAILED"


async def test_a_patch_that_changes_nothing_keeps_the_version(
    editable: Editable, team: Team
) -> None:
    before = await team.ada.ok("GET", editable.path)

    response = await editable.write(team.ada, "PATCH", if_match(1), text="Original")

    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["version"] == 1 and response.headers["ETag"] == '"1"'
    assert await team.ada.ok("GET", editable.path) == before


async def test_of_two_clients_editing_the_same_version_the_second_gets_412(
    editable: Editable, tracker: Tracker, team: Team
) -> None:
    laptop = team.ada
    phone = ApiUser(tracker.app.test_client(), "ada", team.ada.token)
    seen_by_laptop = (await laptop.get(editable.path)).headers["ETag"]
    seen_by_phone = (await phone.get(editable.path)).headers["ETag"]

    first = await editable.write(laptop, "PATCH", {"If-Match": seen_by_laptop}, text="Laptop")
    second = await editable.write(phone, "PATCH", {"If-Match": seen_by_phone}, text="Phone")

    assert first.status_code == 200
    await error_of(second, 412)
    after = await laptop.ok("GET", editable.path)
    assert after[editable.field] == "Laptop" and after["version"] == 2


async def test_a_maintainer_reading_the_same_issue_version_cannot_overwrite_the_authors_edit(
    tracker: Tracker, team: Team
) -> None:
    await tracker.issue(team.cyd, title="Original")
    version = (await team.bob.ok("GET", ISSUE))["version"]
    await team.cyd.ok("PATCH", ISSUE, {"title": "By the author"}, headers=if_match(version))

    response = await team.bob.patch(
        ISSUE, {"title": "By the maintainer"}, headers=if_match(version)
    )

    await error_of(response, 412)
    assert (await team.bob.ok("GET", ISSUE))["title"] == "By the author"


# --- Idempotency-Key on creates -------------------------------------------------------------------


@dataclass
class Creatable:
    """Where a POST creates something, and what it sends."""

    path: str
    table: str
    body: dict[str, str]
    other_body: dict[str, str]
    edit_field: str


@pytest.fixture(params=["issue", "comment"])
async def creatable(request: pytest.FixtureRequest, tracker: Tracker, team: Team) -> Creatable:
    if request.param == "issue":
        return Creatable(
            ISSUES, "issues", {"title": "Retry me", "body": "Twice?"}, {"title": "Another"}, "title"
        )
    await tracker.issue(team.ada, title="Comment on me")
    return Creatable(COMMENTS, "comments", {"body": "Retry me"}, {"body": "Another"}, "body")


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def test_a_retry_with_the_same_key_replays_the_first_response_and_creates_once(
    creatable: Creatable, tracker: Tracker, team: Team
) -> None:
    before = await tracker.row_counts()
    first = await team.ada.post(creatable.path, creatable.body, headers=keyed("key-1"))

    retry = await team.ada.post(creatable.path, creatable.body, headers=keyed("key-1"))

    assert first.status_code == retry.status_code == 201
    assert await retry.get_data() == await first.get_data()
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert (await tracker.row_counts())[creatable.table] == before[creatable.table] + 1


async def test_a_key_reused_for_a_different_body_is_refused_and_creates_nothing(
    creatable: Creatable, tracker: Tracker, team: Team
) -> None:
    await team.ada.ok("POST", creatable.path, creatable.body, status=201, headers=keyed("key-1"))
    before = await tracker.row_counts()

    response = await team.ada.post(creatable.path, creatable.other_body, headers=keyed("key-1"))

    error = await error_of(response, 422)
    assert error["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await tracker.row_counts() == before


async def test_the_same_key_from_another_user_is_independent(
    creatable: Creatable, tracker: Tracker, team: Team
) -> None:
    before = await tracker.row_counts()
    mine = await team.ada.post(creatable.path, creatable.body, headers=keyed("key-1"))

    theirs = await team.cyd.post(creatable.path, creatable.body, headers=keyed("key-1"))

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert (await theirs.get_json())["id"] != (await mine.get_json())["id"]
    assert (await theirs.get_json())["author"]["username"] == "cyd"
    assert (await tracker.row_counts())[creatable.table] == before[creatable.table] + 2


async def test_the_same_json_written_differently_is_the_same_request(
    creatable: Creatable, tracker: Tracker, team: Team
) -> None:
    before = await tracker.row_counts()
    compact = json.dumps(creatable.body, separators=(",", ":"))
    reordered = json.dumps(dict(reversed(list(creatable.body.items()))), indent=4)
    headers = team.ada.headers({**keyed("key-1"), "Content-Type": "application/json"})
    first = await team.ada.client.post(creatable.path, data=compact, headers=headers)

    retry = await team.ada.client.post(creatable.path, data=reordered, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert await retry.get_data() == await first.get_data()
    assert (await tracker.row_counts())[creatable.table] == before[creatable.table] + 1


INVALID_KEYS = ["", "   ", "k" * 201, "clé", "ключ", "tab\there"]


async def test_an_invalid_idempotency_key_is_refused_with_400_and_creates_nothing(
    creatable: Creatable, tracker: Tracker, team: Team
) -> None:
    before = await tracker.row_counts()

    answers = {}
    for key in INVALID_KEYS:
        response = await team.ada.post(creatable.path, creatable.body, headers=keyed(key))
        answers[key] = (response.status_code, (await response.get_json())["error"]["code"])

    assert answers == {key: (400, "INVALID_IDEMPOTENCY_KEY") for key in INVALID_KEYS}
    assert await tracker.row_counts() == before


async def test_a_key_of_200_characters_is_accepted(creatable: Creatable, team: Team) -> None:
    key = "k" * 200
    await team.ada.ok("POST", creatable.path, creatable.body, status=201, headers=keyed(key))

    retry = await team.ada.post(creatable.path, creatable.body, headers=keyed(key))

    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true"


async def test_without_a_key_two_identical_posts_create_two(
    creatable: Creatable, tracker: Tracker, team: Team
) -> None:
    before = await tracker.row_counts()

    first = await team.ada.ok("POST", creatable.path, creatable.body, status=201)
    second = await team.ada.ok("POST", creatable.path, creatable.body, status=201)

    assert first["id"] != second["id"]
    assert (await tracker.row_counts())[creatable.table] == before[creatable.table] + 2


async def test_a_replay_after_an_edit_still_answers_the_first_response(
    creatable: Creatable, team: Team
) -> None:
    first = await team.ada.post(creatable.path, creatable.body, headers=keyed("key-1"))
    created = await first.get_json()
    path = f"{ISSUES}/{created['number']}" if "number" in created else f"{COMMENTS}/{created['id']}"
    await team.ada.ok("PATCH", path, {creatable.edit_field: "Edited"}, headers=if_match(1))

    retry = await team.ada.post(creatable.path, creatable.body, headers=keyed("key-1"))

    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true"
    assert await retry.get_data() == await first.get_data()
    assert (await team.ada.ok("GET", path))[creatable.edit_field] == "Edited"


async def test_a_refused_create_does_not_use_up_its_key(
    creatable: Creatable, tracker: Tracker, team: Team
) -> None:
    blank = {field: "   " for field in creatable.body}
    refused = await team.ada.post(creatable.path, blank, headers=keyed("key-1"))
    await error_of(refused, 422)
    before = await tracker.row_counts()

    fixed = await team.ada.post(creatable.path, creatable.body, headers=keyed("key-1"))

    assert fixed.status_code == 201, await fixed.get_data(as_text=True)
    assert "Idempotent-Replayed" not in fixed.headers
    assert (await tracker.row_counts())[creatable.table] == before[creatable.table] + 1


async def test_a_create_refused_by_its_schema_does_not_use_up_its_key(
    tracker: Tracker, team: Team
) -> None:
    refused = await team.ada.post(ISSUES, {"title": "x" * 201}, headers=keyed("key-1"))
    await error_of(refused, 422)

    fixed = await team.ada.post(ISSUES, {"title": "Short"}, headers=keyed("key-1"))

    assert fixed.status_code == 201
    assert (await tracker.row_counts())["issues"] == 1


# --- Scoped labels -------------------------------------------------------------------------------


@pytest.mark.usefixtures("labels")
async def test_adding_a_scoped_label_replaces_the_issues_label_of_that_scope(
    tracker: Tracker, team: Team
) -> None:
    await tracker.issue(team.bob, labels=["bug", "priority/high"])

    issue = await team.bob.ok("POST", f"{ISSUE}/labels", {"labels": ["priority/low"]})

    assert names(issue["labels"]) == {"bug", "priority/low"}
    events = await timeline(team.bob)
    assert [(e["kind"], e["data"]) for e in events[-2:]] == [
        ("unlabeled", {"before": "priority/high"}),
        ("labeled", {"after": "priority/low"}),
    ]


@pytest.mark.usefixtures("labels")
async def test_unscoped_labels_accumulate(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.bob, labels=["bug"])

    issue = await team.bob.ok("POST", f"{ISSUE}/labels", {"labels": ["ui"]})

    assert names(issue["labels"]) == {"bug", "ui"}
    assert [e["kind"] for e in await timeline(team.bob)][-1] == "labeled"


@pytest.mark.usefixtures("labels")
async def test_labels_in_nested_scopes_are_exclusive_only_within_their_own_scope(
    tracker: Tracker, team: Team
) -> None:
    await tracker.issue(team.bob, labels=["a/x", "a/b/c"])

    issue = await team.bob.ok("POST", f"{ISSUE}/labels", {"labels": ["a/b/d"]})

    assert names(issue["labels"]) == {"a/x", "a/b/d"}


@pytest.mark.usefixtures("labels")
@pytest.mark.parametrize(
    "pair", [["priority/high", "priority/low"], ["a/b/c", "a/b/d"]], ids=["flat", "nested"]
)
async def test_patching_two_labels_of_one_scope_is_refused(
    tracker: Tracker, team: Team, pair: list[str]
) -> None:
    await tracker.issue(team.bob, labels=["bug"])

    response = await team.bob.patch(ISSUE, {"labels": pair}, headers=if_match(1))

    error = await error_of(response, 422)
    assert fields_in(error) == ["labels"]
    after = await team.bob.ok("GET", ISSUE)
    assert names(after["labels"]) == {"bug"} and after["version"] == 1


@pytest.mark.usefixtures("labels")
async def test_adding_two_labels_of_one_scope_at_once_is_refused(
    tracker: Tracker, team: Team
) -> None:
    await tracker.issue(team.bob)

    response = await team.bob.post(f"{ISSUE}/labels", {"labels": ["priority/high", "priority/low"]})

    assert fields_in(await error_of(response, 422)) == ["labels"]
    assert (await team.bob.ok("GET", ISSUE))["labels"] == []


@pytest.mark.usefixtures("labels")
async def test_labels_of_different_scopes_can_be_set_together(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.bob)

    issue = await team.bob.ok(
        "PATCH", ISSUE, {"labels": ["a/x", "a/b/c", "priority/low"]}, headers=if_match(1)
    )

    assert names(issue["labels"]) == {"a/x", "a/b/c", "priority/low"}


@pytest.mark.usefixtures("labels")
async def test_opening_an_issue_with_two_labels_of_one_scope_creates_nothing(
    tracker: Tracker, team: Team
) -> None:
    before = await tracker.row_counts()

    response = await team.bob.post(
        ISSUES, {"title": "Both", "labels": ["priority/high", "priority/low"]}
    )

    assert fields_in(await error_of(response, 422)) == ["labels"]
    assert await tracker.row_counts() == before


@pytest.mark.usefixtures("labels")
async def test_an_unknown_label_is_refused_everywhere(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.bob, labels=["bug"])
    before = await tracker.row_counts()

    on_create = await team.bob.post(ISSUES, {"title": "New", "labels": ["nope"]})
    on_add = await team.bob.post(f"{ISSUE}/labels", {"labels": ["ui", "nope"]})
    on_patch = await team.bob.patch(ISSUE, {"labels": ["nope"]}, headers=if_match(1))

    for response in (on_create, on_add, on_patch):
        assert fields_in(await error_of(response, 422)) == ["labels"]
    assert await tracker.row_counts() == before


# --- Closing and reopening -----------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["not_planned", "duplicate", "completed"])
async def test_an_issue_closes_with_the_reason_given(
    tracker: Tracker, team: Team, reason: str
) -> None:
    await tracker.issue(team.cyd)

    issue = await team.cyd.ok(
        "PATCH", ISSUE, {"state": "closed", "close_reason": reason}, headers=if_match(1)
    )

    assert issue["state"] == "closed" and issue["close_reason"] == reason
    assert issue["closed_at"] is not None
    closed = (await timeline(team.cyd))[-1]
    assert closed["kind"] == "closed"
    assert closed["data"] == {"before": "open", "after": "closed", "reason": reason}


async def test_closing_without_a_reason_means_completed(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.cyd)

    issue = await team.cyd.ok("PATCH", ISSUE, {"state": "closed"}, headers=if_match(1))

    assert issue["close_reason"] == "completed"


async def test_reopening_clears_the_close_reason_and_time(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.cyd)
    await team.cyd.ok(
        "PATCH", ISSUE, {"state": "closed", "close_reason": "duplicate"}, headers=if_match(1)
    )

    issue = await team.cyd.ok("PATCH", ISSUE, {"state": "open"}, headers=if_match(2))

    assert issue["state"] == "open" and issue["version"] == 3
    assert issue["close_reason"] is None and issue["closed_at"] is None
    reopened = (await timeline(team.cyd))[-1]
    assert reopened["kind"] == "reopened"
    assert reopened["data"] == {"before": "closed", "after": "open"}


async def test_changing_the_reason_of_a_closed_issue_keeps_when_it_was_closed(
    tracker: Tracker, team: Team
) -> None:
    await tracker.issue(team.cyd)
    closed = await team.cyd.ok("PATCH", ISSUE, {"state": "closed"}, headers=if_match(1))

    issue = await team.cyd.ok(
        "PATCH", ISSUE, {"state": "closed", "close_reason": "not_planned"}, headers=if_match(2)
    )

    assert issue["close_reason"] == "not_planned" and issue["closed_at"] == closed["closed_at"]


async def test_reopening_an_open_issue_changes_nothing(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.cyd)

    issue = await team.cyd.ok("PATCH", ISSUE, {"state": "open"}, headers=if_match(1))

    assert issue["version"] == 1
    assert [e["kind"] for e in await timeline(team.cyd)] == ["opened"]


@pytest.mark.parametrize("state", [None, "open"], ids=["no-state", "state-open"])
async def test_a_close_reason_without_closing_is_refused(
    tracker: Tracker, team: Team, state: str | None
) -> None:
    await tracker.issue(team.cyd)
    body = {"close_reason": "duplicate", **({"state": state} if state else {})}

    response = await team.cyd.patch(ISSUE, body, headers=if_match(1))

    assert fields_in(await error_of(response, 422)) == ["close_reason"]
    after = await team.cyd.ok("GET", ISSUE)
    assert after["state"] == "open" and after["version"] == 1


async def test_an_unknown_close_reason_is_refused(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.cyd)

    response = await team.cyd.patch(
        ISSUE, {"state": "closed", "close_reason": "bored"}, headers=if_match(1)
    )

    assert fields_in(await error_of(response, 422)) == ["close_reason"]
    assert (await team.cyd.ok("GET", ISSUE))["state"] == "open"


# --- Assignees and milestones --------------------------------------------------------------------


@pytest.mark.parametrize("username", ["dee", "nobody-at-all"], ids=["non-member", "no-account"])
async def test_only_members_can_be_assigned(tracker: Tracker, team: Team, username: str) -> None:
    await tracker.issue(team.cyd)

    on_add = await team.bob.post(f"{ISSUE}/assignees", {"assignees": ["cyd", username]})
    on_patch = await team.bob.patch(ISSUE, {"assignees": [username]}, headers=if_match(1))

    for response in (on_add, on_patch):
        assert fields_in(await error_of(response, 422)) == ["assignees"]
    after = await team.bob.ok("GET", ISSUE)
    assert after["assignees"] == [] and after["version"] == 1


async def test_opening_an_issue_assigned_to_a_non_member_creates_nothing(
    tracker: Tracker, team: Team
) -> None:
    before = await tracker.row_counts()

    response = await team.bob.post(ISSUES, {"title": "New", "assignees": ["dee"]})

    assert fields_in(await error_of(response, 422)) == ["assignees"]
    assert await tracker.row_counts() == before


async def test_members_can_be_assigned_and_unassigned(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.cyd)
    await team.bob.ok("POST", f"{ISSUE}/assignees", {"assignees": ["cyd", "bob"]})

    issue = await team.bob.ok("DELETE", f"{ISSUE}/assignees/cyd")

    assert names(issue["assignees"], "username") == {"bob"}
    kinds = [(e["kind"], e["data"]) for e in await timeline(team.bob)]
    assert kinds[-1] == ("unassigned", {"before": "cyd"})


async def test_removing_someone_not_assigned_is_404_and_changes_nothing(
    tracker: Tracker, team: Team
) -> None:
    await tracker.issue(team.cyd)
    await team.bob.ok("POST", f"{ISSUE}/assignees", {"assignees": ["bob"]})

    response = await team.bob.delete(f"{ISSUE}/assignees/cyd")

    await error_of(response, 404)
    after = await team.bob.ok("GET", ISSUE)
    assert names(after["assignees"], "username") == {"bob"} and after["version"] == 2


@pytest.mark.usefixtures("milestones")
async def test_the_milestone_is_set_by_title_and_removed_with_null(
    tracker: Tracker, team: Team
) -> None:
    await tracker.issue(team.cyd)

    first = await team.bob.ok("PATCH", ISSUE, {"milestone": "v1"}, headers=if_match(1))
    second = await team.bob.ok("PATCH", ISSUE, {"milestone": "v2"}, headers=if_match(2))
    removed = await team.bob.ok("PATCH", ISSUE, {"milestone": None}, headers=if_match(3))

    assert first["milestone"]["title"] == "v1" and second["milestone"]["title"] == "v2"
    assert removed["milestone"] is None and removed["version"] == 4
    events = [e["data"] for e in await timeline(team.bob) if e["kind"] == "milestoned"]
    assert events == [
        {"before": None, "after": "v1"},
        {"before": "v1", "after": "v2"},
        {"before": "v2", "after": None},
    ]


@pytest.mark.usefixtures("milestones")
async def test_leaving_the_milestone_out_of_a_patch_keeps_it(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.bob, milestone="v1")

    issue = await team.bob.ok("PATCH", ISSUE, {"title": "Renamed"}, headers=if_match(1))

    assert issue["milestone"]["title"] == "v1"


@pytest.mark.usefixtures("milestones")
async def test_an_unknown_milestone_is_refused(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.bob, milestone="v1")
    before = await tracker.row_counts()

    on_patch = await team.bob.patch(ISSUE, {"milestone": "v9"}, headers=if_match(1))
    on_create = await team.bob.post(ISSUES, {"title": "New", "milestone": "v9"})

    for response in (on_patch, on_create):
        assert fields_in(await error_of(response, 422)) == ["milestone"]
    assert await tracker.row_counts() == before
    assert (await team.bob.ok("GET", ISSUE))["milestone"]["title"] == "v1"


# --- Comments ------------------------------------------------------------------------------------


async def test_a_new_comment_is_not_edited(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.ada)

    comment = await team.cyd.ok("POST", COMMENTS, {"body": "First"}, status=201)

    assert comment["version"] == 1 and comment["edited"] is False


async def test_the_author_edits_their_comment(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.ada)
    comment = await team.cyd.ok("POST", COMMENTS, {"body": "First"}, status=201)
    path = f"{COMMENTS}/{comment['id']}"

    response = await team.cyd.patch(path, {"body": "Second *thoughts*"}, headers=if_match(1))

    edited = await response.get_json()
    assert response.status_code == 200, edited
    assert edited["body"] == "Second *thoughts*" and "<em>thoughts</em>" in edited["body_html"]
    assert edited["version"] == 2 and edited["edited"] is True
    assert response.headers["ETag"] == '"2"'


async def test_a_maintainer_cannot_edit_someone_elses_comment(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.ada)
    comment = await team.cyd.ok("POST", COMMENTS, {"body": "Mine"}, status=201)
    path = f"{COMMENTS}/{comment['id']}"

    response = await team.bob.patch(path, {"body": "Rewritten"}, headers=if_match(1))

    await error_of(response, 403)
    assert (await team.cyd.ok("GET", path))["body"] == "Mine"


async def test_a_maintainer_deletes_a_comment_and_the_count_drops(
    tracker: Tracker, team: Team
) -> None:
    await tracker.issue(team.ada)
    comment = await team.cyd.ok("POST", COMMENTS, {"body": "Spam"}, status=201)
    await team.ada.ok("POST", COMMENTS, {"body": "Real"}, status=201)
    assert (await team.bob.ok("GET", ISSUE))["comment_count"] == 2

    await team.bob.ok("DELETE", f"{COMMENTS}/{comment['id']}", headers=if_match(1), status=204)

    assert (await team.bob.ok("GET", ISSUE))["comment_count"] == 1
    listed = await team.bob.ok("GET", COMMENTS)
    assert [item["body"] for item in listed["items"]] == ["Real"]


async def test_a_reporter_cannot_delete_someone_elses_comment(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.ada)
    comment = await team.ada.ok("POST", COMMENTS, {"body": "Owner's"}, status=201)

    response = await team.cyd.delete(f"{COMMENTS}/{comment['id']}", headers=if_match(1))

    await error_of(response, 403)
    assert (await team.cyd.ok("GET", ISSUE))["comment_count"] == 1


async def test_a_deleted_comment_stays_in_the_timeline_without_its_text(
    tracker: Tracker, team: Team
) -> None:
    await tracker.issue(team.ada)
    comment = await team.cyd.ok("POST", COMMENTS, {"body": "Gone soon"}, status=201)

    await team.cyd.ok("DELETE", f"{COMMENTS}/{comment['id']}", headers=if_match(1), status=204)

    commented = [e for e in await timeline(team.ada) if e["kind"] == "commented"]
    assert len(commented) == 1
    assert commented[0]["comment"] is None
    assert commented[0]["actor"]["username"] == "cyd"


async def test_an_empty_comment_is_refused(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.ada)
    before = await tracker.row_counts()

    for body in ("", "   ", "\n\t"):
        response = await team.cyd.post(COMMENTS, {"body": body})
        assert fields_in(await error_of(response, 422)) == ["body"], repr(body)

    assert await tracker.row_counts() == before
    assert (await team.cyd.ok("GET", ISSUE))["comment_count"] == 0


async def test_a_comment_cannot_be_edited_to_nothing(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.ada)
    comment = await team.cyd.ok("POST", COMMENTS, {"body": "Something"}, status=201)
    path = f"{COMMENTS}/{comment['id']}"

    response = await team.cyd.patch(path, {"body": "  "}, headers=if_match(1))

    assert fields_in(await error_of(response, 422)) == ["body"]
    assert (await team.cyd.ok("GET", path))["body"] == "Something"


# --- What an issue may be ------------------------------------------------------------------------


async def test_an_issue_needs_a_title_of_1_to_200_characters(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.cyd, title="Original")
    before = await tracker.row_counts()

    for title in ("", "   ", "\t\n", "x" * 201, " " * 5 + "x" * 201):
        on_create = await team.cyd.post(ISSUES, {"title": title})
        on_patch = await team.cyd.patch(ISSUE, {"title": title}, headers=if_match(1))
        for response in (on_create, on_patch):
            assert fields_in(await error_of(response, 422)) == ["title"], repr(title)

    assert await tracker.row_counts() == before
    assert (await team.cyd.ok("GET", ISSUE))["title"] == "Original"


async def test_a_title_of_200_characters_is_accepted(tracker: Tracker, team: Team) -> None:
    issue = await tracker.issue(team.cyd, title="x" * 200)

    assert issue["title"] == "x" * 200


async def test_a_title_is_stored_without_surrounding_whitespace(
    tracker: Tracker, team: Team
) -> None:
    issue = await tracker.issue(team.cyd, title="  Padded  ")

    assert issue["title"] == "Padded"


async def test_an_unknown_field_is_refused(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.cyd, title="Original")
    before = await tracker.row_counts()

    on_create = await team.cyd.post(ISSUES, {"title": "New", "titel": "typo"})
    on_patch = await team.cyd.patch(ISSUE, {"titel": "typo"}, headers=if_match(1))

    for response in (on_create, on_patch):
        assert fields_in(await error_of(response, 422)) == ["titel"]
    assert await tracker.row_counts() == before


async def test_a_patch_cannot_set_a_required_field_to_null(tracker: Tracker, team: Team) -> None:
    await tracker.issue(team.bob, title="Original")

    for field in ("title", "body", "state", "close_reason", "labels", "assignees"):
        response = await team.bob.patch(ISSUE, {field: None}, headers=if_match(1))
        assert fields_in(await error_of(response, 422)) == [field], field

    after = await team.bob.ok("GET", ISSUE)
    assert after["title"] == "Original" and after["version"] == 1
