"""The OpenAPI document: quart-schema's, completed with what its decorators cannot say.

quart-schema documents models and statuses. This adds, from small decorators on the views:
request headers (If-Match, Idempotency-Key), response headers (ETag, Link), routes open to
anonymous callers; and for every operation: the errors any API call can get, a JSON body is
required when it has a model, and a route that documents no success status answers 204.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from quart_schema import OpenAPIProvider
from werkzeug.routing import BaseConverter, Rule

from quart_app.api.common import ErrorOut
from quart_app.security.inputs import DatabaseIdConverter

F = TypeVar("F", bound=Callable[..., Any])
EXTRAS = "_openapi_extras"
BEARER, COOKIE = "bearerToken", "sessionCookie"
# Security alternatives: {} means "no credentials" is one of them (the route is public).
SIGNED_IN: list[dict[str, list[str]]] = [{BEARER: []}, {COOKIE: []}]
ANYONE: list[dict[str, list[str]]] = [{}, *SIGNED_IN]

IF_MATCH = {
    "name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
    "description": 'The ETag of your last read, like "3" (or * to overwrite): 428 without '
    "it, 412 when the resource changed since.",
}  # fmt: skip
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "Retry safely: the same key and body replay the first response; the same "
    "key with another body is 422.",
}  # fmt: skip
ETAG_HEADER = {"ETag": {"description": "The version, for If-Match", "schema": {"type": "string"}}}
PAGE_HEADERS = {
    "Link": {
        "description": "first, prev, next, last pages (RFC 8288)",
        "schema": {"type": "string"},
    },
    "X-Total-Count": {"description": "matching items", "schema": {"type": "integer"}},
}


def _extend(view: F, **extras: Any) -> F:
    merged = {**getattr(view, EXTRAS, {}), **extras}
    setattr(view, EXTRAS, merged)
    return view


def public(view: F) -> F:
    """Anyone may call this route, signed in or not (what they see depends on who they are)."""
    return _extend(view, security=ANYONE)


def needs_if_match(view: F) -> F:
    return _extend(view, parameters=[IF_MATCH], response_headers=ETAG_HEADER)


def takes_idempotency_key(view: F) -> F:
    return _extend(view, parameters=[IDEMPOTENCY_KEY], response_headers=ETAG_HEADER)


def sends_etag(view: F) -> F:
    return _extend(view, response_headers=ETAG_HEADER)


def paginated(view: F) -> F:
    return _extend(view, response_headers=PAGE_HEADERS)


API_PREFIX = "/api/"
# What any API call can get, whatever the route: a malformed body or a token in the URL (400),
# an unknown token (401), a NUL character in the query (422), the rate limit (429).
COMMON_ERRORS = (400, 401, 422, 429)


class ApiDocument(OpenAPIProvider):
    def generate_rules(self) -> Iterable[Rule]:
        """The JSON API only: pages and probes are not part of the contract."""
        return (rule for rule in super().generate_rules() if rule.rule.startswith(API_PREFIX))

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, DatabaseIdConverter):
            parameter["schema"].update(minimum=converter.minimum, maximum=converter.maximum)
        return parameter

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        paths, components = super().build_paths(rule)
        extras = getattr(self._app.view_functions[rule.endpoint], EXTRAS, {})
        error, error_components = self.build_response_object(ErrorOut, None)
        components.update(error_components)
        for operations in paths.values():
            for method, operation in operations.items():
                operation = complete_operation(copy.deepcopy(operation), extras)
                for status in COMMON_ERRORS:
                    operation["responses"].setdefault(status, error)
                operations[method] = operation
        return paths, components


def complete_operation(operation: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    if "requestBody" in operation:
        operation["requestBody"]["required"] = True
    responses = operation["responses"]
    if not any(200 <= int(status) < 300 for status in responses):
        responses[204] = {"description": "Done; no content."}
    if "security" in extras:
        operation["security"] = extras["security"]
    operation["parameters"].extend(extras.get("parameters", []))
    for status, response in responses.items():
        if 200 <= int(status) < 300 and "content" in response:
            response["headers"] = {
                **response.get("headers", {}),
                **extras.get("response_headers", {}),
            }
    return operation
