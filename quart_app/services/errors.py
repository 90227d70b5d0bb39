"""What a service can refuse with; the edges turn each into an HTTP status and one error shape."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    code = "ERROR"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInputError(ServiceError):
    """One or more fields are not acceptable; ``details`` names them."""

    code = "VALIDATION_ERROR"

    @classmethod
    def field(cls, name: str, message: str) -> InvalidInputError:
        return cls(message, [{"field": name, "message": message}])


class InvalidTokenError(ServiceError):
    """An email link's token is unknown, used already, or expired."""

    code = "INVALID_TOKEN"


class NotFoundError(ServiceError):
    code = "NOT_FOUND"


class ForbiddenError(ServiceError):
    code = "FORBIDDEN"


class ConflictError(ServiceError):
    code = "CONFLICT"


class PreconditionFailedError(ServiceError):
    """The client edited a version that is no longer current (someone else changed it)."""

    code = "PRECONDITION_FAILED"


class PreconditionRequiredError(ServiceError):
    """An edit that must say which version it changes did not (no If-Match)."""

    code = "PRECONDITION_REQUIRED"
