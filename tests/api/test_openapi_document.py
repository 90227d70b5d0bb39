"""The OpenAPI document at /openapi.json tells the truth about the API.

The routes come from ``app.url_map`` and what each view is marked with (its request and query
models, its rate limit), so a route added later is checked without editing this file. Real
responses are validated against the document with jsonschema_rs (schemathesis' validator),
with every object closed, so the document must list every field the server sends.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import pytest
from quart import Quart, Response
from quart.typing import TestClientProtocol as Client
from quart_schema.validation import (
    QUART_SCHEMA_QUERYSTRING_ATTRIBUTE,
    QUART_SCHEMA_REQUEST_ATTRIBUTE,
)
from schemathesis.specs.openapi.definitions import OPENAPI_31  # the OpenAPI 3.1 meta-schema

from quart_app import create_app
from quart_app.security.rate_limits import Limit, Policy
from tests.api.tracker import ApiUser, Tracker
from tests.support import config_for, create_current_schema

pytestmark = pytest.mark.integration

API_PREFIX = "/api/v1/"
TRACKER_BLUEPRINTS = {
    "api_projects", "api_labels", "api_milestones", "api_issues", "api_comments", "api_events",
}  # fmt: skip
CONDITIONAL_EDITS = {  # PATCH and DELETE need If-Match here
    "/api/v1/projects/{key}/issues/{number}",
    "/api/v1/projects/{key}/issues/{number}/comments/{comment_id}",
}
PROJECTS = "/api/v1/projects"
WEB = f"{PROJECTS}/WEB"
ISSUE = f"{WEB}/issues/1"


@dataclass(frozen=True)
class Route:
    """One method of one rule in the app's url_map, and where the document should have it."""

    method: str
    rule: str  # /api/v1/projects/<string:key>
    path: str  # /api/v1/projects/{key}
    endpoint: str
    view: Callable[..., Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_tracker(self) -> bool:
        return self.endpoint.partition(".")[0] in TRACKER_BLUEPRINTS

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


def openapi_path(rule: str) -> str:
    """``/projects/<string:key>/issues/<int:number>`` -> ``/projects/{key}/issues/{number}``."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", r"{\1}", rule)


def api_routes(app: Quart) -> list[Route]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX):
            view = app.view_functions[rule.endpoint]
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append(
                    Route(method, rule.rule, openapi_path(rule.rule), rule.endpoint, view)
                )
    return routes


def operation(document: dict[str, Any], route: Route) -> dict[str, Any]:
    return operation_at(document, route.path, route.method)


def operation_at(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"].get(path, {}).get(method.lower(), {})
    return found


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def json_schema(response_or_body: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = response_or_body["content"]["application/json"]["schema"]
    return schema


def closed(schema: Any) -> Any:
    """A copy in which every object with listed properties allows no others."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    copied = {key: closed(value) for key, value in schema.items()}
    if "properties" in copied and "additionalProperties" not in copied:
        copied["additionalProperties"] = False
    return copied


def validation_errors(document: dict[str, Any], schema: dict[str, Any], body: Any) -> list[str]:
    """Why ``body`` does not match ``schema`` ($refs into the document's components)."""
    root = closed({**copy.deepcopy(schema), "components": document["components"]})
    validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
    return [
        f"{list(error.instance_path)}: {error.message}" for error in validator.iter_errors(body)
    ]


def assert_documented(document: dict[str, Any], routes: list[Route], statuses: set[str]) -> None:
    """Every one of ``routes`` documents every one of ``statuses``."""
    problems = []
    for route in routes:
        lacking = statuses - set(operation(document, route).get("responses", {}))
        if lacking:
            problems.append(f"{route}: no {', '.join(sorted(lacking))}")
    assert not problems, "\n".join(problems)


@pytest.fixture
async def document(client: Client) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body: dict[str, Any] = await response.get_json()
    return body


@pytest.fixture
def routes(app: Quart) -> list[Route]:
    found = api_routes(app)
    assert len([route for route in found if route.is_tracker]) > 30, "the tracker routes are there"
    return found


# Routes and paths -----------------------------------------------------------------------------


def test_openapi_path_keeps_every_parameter() -> None:
    rule = "/api/v1/projects/<string:key>/issues/<int:number>/comments/<int(min=1):comment_id>"

    assert openapi_path(rule) == "/api/v1/projects/{key}/issues/{number}/comments/{comment_id}"


def test_every_api_route_and_method_is_in_the_document(
    document: dict[str, Any], routes: list[Route]
) -> None:
    missing = [str(route) for route in routes if not operation(document, route)]

    assert not missing, "\n".join(missing)


def test_every_api_operation_in_the_document_is_a_route(
    document: dict[str, Any], routes: list[Route]
) -> None:
    served = {(route.path, route.method.lower()) for route in routes}
    documented = {
        (path, method)
        for path, operations in document["paths"].items()
        if path.startswith(API_PREFIX)
        for method in operations
    }

    assert documented - served == set()


def test_every_path_parameter_is_declared_with_its_type(
    document: dict[str, Any], routes: list[Route]
) -> None:
    problems = []
    for route in routes:
        expected = {
            name: "integer" if converter.startswith("int") else "string"
            for converter, name in re.findall(r"<([^<>:]+):([^<>]+)>", route.rule)
        }
        declared = {
            parameter["name"]: parameter["schema"].get("type")
            for parameter in operation(document, route).get("parameters", [])
            if parameter["in"] == "path" and parameter.get("required") is True
        }
        if declared != expected or set(re.findall(r"{(\w+)}", route.path)) != set(expected):
            problems.append(f"{route}: declares {declared}, the rule {route.rule} has {expected}")

    assert not problems, "\n".join(problems)


def test_the_document_describes_only_the_json_api_and_health_checks(
    document: dict[str, Any],
) -> None:
    ours = (API_PREFIX, "/healthz", "/readyz")

    others = [path for path in document["paths"] if not path.startswith(ours)]

    assert not others, others


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validator = jsonschema_rs.validator_for(OPENAPI_31)

    errors = {f"{list(error.instance_path)[:3]}" for error in validator.iter_errors(document)}

    assert document["openapi"].startswith("3.1")
    assert not errors, "\n".join(sorted(errors))


# Summaries ------------------------------------------------------------------------------------


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_every_api_operation_is_summarised_from_its_docstring(
    document: dict[str, Any], routes: list[Route]
) -> None:
    problems = []
    for route in routes:
        summary = squeeze(operation(document, route).get("summary") or "")
        docstring = squeeze(inspect.getdoc(route.view) or "")
        if not summary or summary not in docstring:
            problems.append(f"{route}: summary {summary!r}, docstring {docstring!r}")

    assert not problems, "\n".join(problems)


def test_every_summary_is_a_whole_sentence(document: dict[str, Any], routes: list[Route]) -> None:
    summaries = {str(route): operation(document, route).get("summary", "") for route in routes}

    cut = [f"{r}: {s!r}" for r, s in summaries.items() if not s.rstrip().endswith((".", ")"))]

    assert not cut, "\n".join(cut)


# Statuses -------------------------------------------------------------------------------------


def test_every_api_operation_documents_a_success_status(
    document: dict[str, Any], routes: list[Route]
) -> None:
    statuses = {str(route): operation(document, route).get("responses", {}) for route in routes}

    silent = [r for r, found in statuses.items() if not any(s.startswith("2") for s in found)]

    assert not silent, "\n".join(silent)


def test_every_tracker_write_documents_401_and_403(
    document: dict[str, Any], routes: list[Route]
) -> None:
    writes = [route for route in routes if route.is_tracker and route.is_write]

    assert_documented(document, writes, {"401", "403"})


def test_every_route_with_a_project_key_documents_404(
    document: dict[str, Any], routes: list[Route]
) -> None:
    keyed = [route for route in routes if "{key}" in route.path]

    assert len(keyed) > 25
    assert_documented(document, keyed, {"404"})


def test_conditional_edits_document_412_and_428(
    document: dict[str, Any], routes: list[Route]
) -> None:
    edits = [r for r in routes if r.path in CONDITIONAL_EDITS and r.method in ("PATCH", "DELETE")]

    assert len(edits) == 4
    assert_documented(document, edits, {"412", "428"})


def header_parameters(document: dict[str, Any], route: Route) -> dict[str, bool]:
    return {
        parameter["name"]: parameter.get("required", False)
        for parameter in operation(document, route).get("parameters", [])
        if parameter["in"] == "header"
    }


def test_conditional_edits_require_if_match_and_creates_take_an_idempotency_key(
    document: dict[str, Any], routes: list[Route]
) -> None:
    edits = [r for r in routes if r.path in CONDITIONAL_EDITS and r.method in ("PATCH", "DELETE")]
    creates = [
        route
        for route in routes
        if route.endpoint in ("api_issues.create_issue", "api_comments.create_comment")
    ]

    assert len(creates) == 2
    assert all(header_parameters(document, r).get("If-Match") is True for r in edits)
    assert all(header_parameters(document, r).get("Idempotency-Key") is False for r in creates)


def takes_input(route: Route) -> bool:
    return any(
        getattr(route.view, attribute, None) is not None
        for attribute in (QUART_SCHEMA_REQUEST_ATTRIBUTE, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE)
    )


def test_every_route_with_a_body_or_query_model_documents_422(
    document: dict[str, Any], routes: list[Route]
) -> None:
    validated = [route for route in routes if takes_input(route)]

    assert len(validated) > 25
    assert_documented(document, validated, {"422"})


def takes_a_body(route: Route) -> bool:
    return getattr(route.view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None) is not None


def test_every_tracker_route_with_a_body_documents_400_for_malformed_json(
    document: dict[str, Any], routes: list[Route]
) -> None:
    bodied = [route for route in routes if route.is_tracker and takes_a_body(route)]

    assert_documented(document, bodied, {"400"})


async def test_every_account_route_with_a_body_documents_400_for_malformed_json(
    client: Client, document: dict[str, Any], routes: list[Route]
) -> None:
    bodied = [route for route in routes if not route.is_tracker and takes_a_body(route)]
    malformed = await client.post(
        "/api/v1/password-reset", data=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400

    assert_documented(document, bodied, {"400"})


def is_rate_limited(route: Route) -> bool:
    return getattr(route.view, "rate_limit_policy", None) is not None


def test_every_rate_limited_tracker_route_documents_429(
    document: dict[str, Any], routes: list[Route]
) -> None:
    limited = [route for route in routes if route.is_tracker and is_rate_limited(route)]

    assert len(limited) == len([route for route in routes if route.is_tracker])
    assert_documented(document, limited, {"429"})


def test_every_rate_limited_account_route_documents_429(
    document: dict[str, Any], routes: list[Route]
) -> None:
    limited = [route for route in routes if not route.is_tracker and is_rate_limited(route)]

    assert_documented(document, limited, {"429"})


def test_every_error_response_is_an_error_out(
    document: dict[str, Any], routes: list[Route]
) -> None:
    sample = {"error": {"code": "NOT_FOUND", "message": "No.", "details": []}}
    problems = []
    for route in routes:
        for status, response in operation(document, route).get("responses", {}).items():
            if not status.startswith(("4", "5")):
                continue
            schema = json_schema(response)
            title = resolve(document, schema).get("title")
            accepts_error = not validation_errors(document, schema, sample)
            rejects_other = bool(validation_errors(document, schema, {"message": "No."}))
            if title != "ErrorOut" or not accepts_error or not rejects_other:
                problems.append(f"{route} {status}: {title}")

    assert not problems, "\n".join(problems)


# Security and request models ------------------------------------------------------------------


def test_the_document_offers_bearer_tokens_and_the_session_cookie(
    app: Quart, document: dict[str, Any]
) -> None:
    schemes = list(document["components"]["securitySchemes"].values())

    assert {"type": "http", "scheme": "bearer"} in [
        {key: scheme.get(key) for key in ("type", "scheme")} for scheme in schemes
    ]
    assert {"type": "apiKey", "in": "cookie", "name": app.config["AUTH_COOKIE_NAME"]} in [
        {key: scheme.get(key) for key in ("type", "in", "name")} for scheme in schemes
    ]


def request_bodies(document: dict[str, Any], routes: list[Route]) -> dict[str, dict[str, Any]]:
    return {
        str(route): resolve(document, json_schema(body))
        for route in routes
        if (body := operation(document, route).get("requestBody"))
    }


def test_every_request_body_model_rejects_unknown_fields(
    document: dict[str, Any], routes: list[Route]
) -> None:
    bodies = request_bodies(document, routes)

    assert len(bodies) == len([route for route in routes if takes_a_body(route)])
    open_models = [
        name for name, schema in bodies.items() if schema.get("additionalProperties") is not False
    ]
    assert not open_models, open_models


def test_issue_update_requires_nothing_and_issue_create_requires_a_title(
    document: dict[str, Any], routes: list[Route]
) -> None:
    bodies = request_bodies(document, routes)

    create = bodies["POST /api/v1/projects/{key}/issues"]
    update = bodies["PATCH /api/v1/projects/{key}/issues/{number}"]
    assert (create["title"], create["required"]) == ("IssueCreate", ["title"])
    assert update["title"] == "IssueUpdate" and update.get("required", []) == []
    assert set(update["properties"]) >= {"title", "body", "state", "labels", "milestone"}


def security_of(document: dict[str, Any], route: Route) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = operation(document, route).get("security", document["security"])
    return found


async def test_project_reads_are_open_to_anonymous_callers_and_the_rest_is_not(
    tracker: Tracker, document: dict[str, Any], routes: list[Route]
) -> None:
    ada = await tracker.user("ada")
    await tracker.project(ada, "WEB", visibility="public")
    nobody = tracker.anonymous()
    assert (await nobody.get(PROJECTS)).status_code == 200
    assert (await nobody.get(WEB)).status_code == 200
    assert (await nobody.get("/api/v1/issues")).status_code == 401
    assert (await nobody.post(f"{WEB}/labels", {"name": "bug"})).status_code == 401

    tracker_routes = [route for route in routes if route.is_tracker]
    project_reads = [r for r in tracker_routes if not r.is_write and r.path.startswith(PROJECTS)]
    closed_reads = [str(r) for r in project_reads if {} not in security_of(document, r)]
    open_rest = [
        str(r) for r in tracker_routes if r not in project_reads and {} in security_of(document, r)
    ]

    assert len(project_reads) == 12
    assert not closed_reads, closed_reads
    assert not open_rest, open_rest
    assert all(security_of(document, r) for r in tracker_routes), "every route names its schemes"


def test_signing_up_signing_in_and_resetting_a_password_need_no_credentials(
    document: dict[str, Any], routes: list[Route]
) -> None:
    entry_points = {"POST /api/v1/account", "POST /api/v1/session", "POST /api/v1/password-reset",
                    "POST /api/v1/password-reset/confirm"}  # fmt: skip

    needing = [
        str(r) for r in routes if str(r) in entry_points and {} not in security_of(document, r)
    ]

    assert not needing, needing
    assert {"GET /api/v1/account", "GET /api/v1/tokens"} <= {
        str(r) for r in routes if {} not in security_of(document, r)
    }


# Real responses match the document ------------------------------------------------------------


@dataclass
class Call:
    who: str
    method: str
    path: str
    status: int
    body: Any = None
    data: bytes | None = None
    headers: dict[str, str] | None = None


OUR_HEADERS = ("ETag", "Link", "X-Total-Count")  # what our handlers add to a success


async def answer(
    app: Quart, document: dict[str, Any], user: ApiUser, call: Call
) -> tuple[Response, list[str]]:
    """Make the call; return the response and every way it disagrees with the document."""
    kwargs: dict[str, Any] = {"json": call.body} if call.body is not None else {}
    if call.data is not None:
        kwargs = {"data": call.data}
    headers = user.headers(call.headers)
    response = await user.client.open(call.path, method=call.method, headers=headers, **kwargs)
    what = f"{call.method} {call.path} ({call.who})"
    if response.status_code != call.status:
        return response, [f"{what}: {response.status_code}, expected {call.status}"]
    adapter = app.url_map.bind("localhost")
    rule, _args = adapter.match(call.path.partition("?")[0], method=call.method, return_rule=True)
    documented = operation_at(document, openapi_path(rule.rule), call.method).get("responses", {})
    status = str(response.status_code)
    if status not in documented:
        return response, [f"{what}: {status} is not documented"]
    problems = header_problems(response, documented[status])
    if response.status_code != 204:
        body = json.loads(await response.get_data(as_text=True))
        problems += validation_errors(document, json_schema(documented[status]), body)
    return response, [f"{what}: {problem}" for problem in problems]


def header_problems(response: Response, documented: dict[str, Any]) -> list[str]:
    """Documented headers must be sent; our own headers, when sent, must be documented."""
    listed = {name.lower() for name in documented.get("headers", {})}
    sent = {name.lower() for name, value in response.headers.items() if value}
    unsent = [f"documents {name} but did not send it" for name in sorted(listed - sent)]
    unlisted = [
        f"sent {name} but does not document it"
        for name in OUR_HEADERS
        if name.lower() in sent - listed
    ]
    return unsent + unlisted


async def test_real_responses_match_the_document(
    tracker: Tracker, document: dict[str, Any]
) -> None:
    users = {"ada": await tracker.user("ada"), "bob": await tracker.user("bob")}
    users["nobody"] = tracker.anonymous()
    await tracker.project(users["ada"], "WEB", visibility="public", members={"bob": "reporter"})
    ada = users["ada"]
    label = await ada.ok("POST", f"{WEB}/labels", {"name": "bug"}, status=201)
    milestone = await ada.ok(
        "POST", f"{WEB}/milestones", {"title": "v1", "due_on": "2030-01-31"}, status=201
    )
    await tracker.issue(
        ada, body="Steps: **click**", labels=["bug"], assignees=["bob"], milestone="v1"
    )
    comment = await ada.ok("POST", f"{ISSUE}/comments", {"body": "Seen *too*"}, status=201)
    calls = [
        Call("ada", "GET", "/api/v1/projects", 200),
        Call("nobody", "GET", WEB, 200),
        Call("ada", "GET", f"{WEB}/members", 200),
        Call("ada", "GET", f"{WEB}/labels", 200),
        Call("ada", "GET", f"{WEB}/milestones?state=all", 200),
        Call("ada", "GET", f"{WEB}/milestones/{milestone['id']}", 200),
        Call("ada", "GET", f"{WEB}/issues?labels=bug", 200),
        Call("bob", "GET", "/api/v1/issues?filter=assigned", 200),
        Call("nobody", "GET", ISSUE, 200),
        Call("ada", "GET", f"{ISSUE}/comments", 200),
        Call("ada", "GET", f"{ISSUE}/comments/{comment['id']}", 200),
        Call("bob", "POST", f"{ISSUE}/comments", 201, {"body": "Me **too**"}),
        Call("bob", "POST", f"{WEB}/issues", 201, {"title": "Another", "body": "- a\n- b"}),
        Call("ada", "PATCH", ISSUE, 200, {"state": "closed", "close_reason": "completed"},
             headers={"If-Match": "*"}),
        Call("ada", "POST", f"{ISSUE}/labels", 200, {"labels": ["bug"]}),
        Call("ada", "DELETE", f"{ISSUE}/labels/{label['id']}", 200),
        Call("ada", "GET", f"{ISSUE}/timeline", 200),
        Call("nobody", "GET", f"{WEB}/events", 200),
        Call("ada", "GET", f"{WEB}/issues/99", 404),
        Call("ada", "POST", f"{WEB}/issues", 422, {"title": 3}),
        Call("ada", "POST", f"{WEB}/issues", 400, data=b'{"title": ',
             headers={"Content-Type": "application/json"}),
        Call("nobody", "POST", f"{WEB}/issues", 401, {"title": "Anonymous"}),
        Call("bob", "POST", f"{WEB}/labels", 403, {"name": "ui"}),
        Call("ada", "POST", f"{WEB}/labels", 409, {"name": "bug"}),
        Call("ada", "PATCH", ISSUE, 428, {"title": "No If-Match"}),
        Call("ada", "PATCH", ISSUE, 412, {"title": "Stale"}, headers={"If-Match": '"1"'}),
    ]  # fmt: skip

    problems = []
    for call in calls:
        problems += (await answer(tracker.app, document, users[call.who], call))[1]

    assert not problems, "\n".join(problems)


async def test_a_deletion_answers_a_documented_status(
    tracker: Tracker, document: dict[str, Any]
) -> None:
    ada = await tracker.user("ada")
    await tracker.project(ada, "WEB")
    await tracker.issue(ada)
    comment = await ada.ok("POST", f"{ISSUE}/comments", {"body": "Oops"}, status=201)
    call = Call(
        "ada", "DELETE", f"{ISSUE}/comments/{comment['id']}", 204, headers={"If-Match": "*"}
    )

    _response, problems = await answer(tracker.app, document, ada, call)

    assert not problems, problems


async def test_a_rate_limited_answer_matches_the_document(database_url: str) -> None:
    await create_current_schema(database_url)
    unlimited = create_app(config_for(database_url))
    async with unlimited.test_app():
        document = await (await unlimited.test_client().get("/openapi.json")).get_json()
    # No API call allowed at all: with one a minute, a minute could turn between two calls
    # (windows start on the minute) and let the second through.
    none_allowed = {"api": Policy(per_address=Limit(0, 60), shared=False)}
    app = create_app(config_for(database_url, RATE_LIMIT_POLICIES=none_allowed))
    async with app.test_app():
        nobody = Tracker(app).anonymous()

        _response, problems = await answer(app, document, nobody, Call("nobody", "GET", WEB, 429))

    assert not problems, problems


async def test_documented_pages_and_health_checks_answer_a_documented_status(
    client: Client, document: dict[str, Any]
) -> None:
    paths = ("/healthz", "/readyz", "/sign-in")
    answered = {path: (await client.get(path)).status_code for path in paths}
    documented = {path: document["paths"].get(path, {}).get("get", {}) for path in paths}

    undocumented = {
        path: status
        for path, status in answered.items()
        if documented[path] and str(status) not in documented[path]["responses"]
    }

    assert not undocumented, undocumented


# The docs page --------------------------------------------------------------------------------


async def test_the_docs_page_is_served_in_development(database_url: str) -> None:
    await create_current_schema(database_url)
    app = create_app(config_for(database_url, APP_ENV="development"))
    async with app.test_app():
        response = await app.test_client().get("/docs")
        page = await response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "/openapi.json" in page


@pytest.mark.parametrize(
    "overrides",
    [
        {"APP_ENV": "production", "BASE_URL": "https://tracker.example"},
        {"APP_ENV": "development", "DOCS_ENABLED": False},
    ],
    ids=["production", "docs-disabled"],
)
async def test_the_docs_page_is_not_served_where_disabled(
    database_url: str, overrides: dict[str, Any]
) -> None:
    await create_current_schema(database_url)
    secret = {"SECRET_KEY": secrets.token_urlsafe(36)}  # production refuses to start without one
    app = create_app(config_for(database_url, **secret, **overrides))
    async with app.test_app():
        response = await app.test_client().get("/docs")

    assert response.status_code == 404
