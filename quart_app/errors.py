"""One error type, and handlers giving every error one shape: JSON for the API, a page for people.

JSON errors look like ``{"error": {"code": "NOT_FOUND", "message": "...", "details": [...]}}``;
``details`` lists the fields that were wrong, as ``{"field": "title", "message": "..."}``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from quart import Quart, Response, jsonify, request
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

from quart_app.rendering import render_template
from quart_app.services.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionRequiredError,
    ServiceError,
)

logger = logging.getLogger(__name__)

VALIDATION_ERROR = "VALIDATION_ERROR"
INTERNAL_ERROR = "INTERNAL_ERROR"
JSON_PATH_PREFIXES = ("/api/", "/openapi", "/healthz", "/readyz")
SERVICE_ERROR_STATUS: dict[type[ServiceError], int] = {
    InvalidInputError: 422,
    InvalidTokenError: 400,
    NotFoundError: 404,
    ForbiddenError: 403,
    ConflictError: 409,
    PreconditionFailedError: 412,
    PreconditionRequiredError: 428,
}


@dataclass
class APIError(Exception):
    """Raise from an edge to answer with ``status`` and a machine-readable UPPER_SNAKE ``code``."""

    status: int
    code: str
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def wants_json() -> bool:
    if request.path.startswith(JSON_PATH_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


async def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> Response:
    if wants_json():
        response = jsonify(error_body(code, message, details))
    else:
        html = await render_template("error.html", status=status, message=message)
        response = Response(html, content_type="text/html; charset=utf-8")
    response.status_code = status
    return response


def _code_for(exception: HTTPException) -> str:
    return (exception.name or "error").upper().replace(" ", "_").replace("'", "")


def validation_details(error: RequestSchemaValidationError) -> list[dict[str, Any]]:
    """Turn a pydantic error list into ``[{"field": "title", "message": "..."}]``."""
    validation_error: Any = error.validation_error
    if not hasattr(validation_error, "errors"):
        return [{"field": None, "message": str(validation_error)}]
    return [
        {"field": ".".join(str(part) for part in item["loc"]) or None, "message": item["msg"]}
        for item in validation_error.errors(include_url=False)
    ]


def init_app(app: Quart) -> None:
    @app.errorhandler(APIError)
    async def handle_api_error(error: APIError) -> Response:
        response = await error_response(error.status, error.code, error.message, error.details)
        response.headers.update(error.headers)
        return response

    @app.errorhandler(ServiceError)
    async def handle_service_error(error: ServiceError) -> Response:
        # The nearest class with a status: subclasses (IdempotencyKeyReusedError) inherit it.
        status = next(
            (SERVICE_ERROR_STATUS[c] for c in type(error).__mro__ if c in SERVICE_ERROR_STATUS), 400
        )
        return await error_response(status, error.code, error.message, error.details)

    @app.errorhandler(RequestSchemaValidationError)
    async def handle_validation_error(error: RequestSchemaValidationError) -> Response:
        details = validation_details(error)
        return await error_response(422, VALIDATION_ERROR, "The request is not valid.", details)

    @app.errorhandler(UnicodeDecodeError)
    async def handle_undecodable_body(error: UnicodeDecodeError) -> Response:
        # Parsing a JSON or form body that is not UTF-8 raises this, not a BadRequest.
        return await error_response(400, "BAD_REQUEST", "The request body is not valid UTF-8.")

    @app.errorhandler(HTTPException)
    async def handle_http_exception(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 500:
            return await handle_internal_error(error)
        response = await error_response(status, _code_for(error), error.description or error.name)
        # Keep what the exception says about itself: Allow on a 405, Retry-After on a 503, ...
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(500)
    async def handle_internal_error(error: Exception) -> Response:
        # The traceback goes to the log, never to the client.
        logger.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
        return await error_response(500, INTERNAL_ERROR, "Something went wrong on our side.")
