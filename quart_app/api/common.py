"""What every API module shares: base models, the error model, committing and sending emails."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from quart_schema import document_response

from quart_app.models import User

F = TypeVar("F", bound=Callable[..., Any])


class RequestModel(BaseModel):
    """Requests reject unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorOut(BaseModel):
    error: ErrorBody


class MessageOut(BaseModel):
    message: str


class AccountOut(BaseModel):
    id: int
    username: str
    display_name: str
    email: str
    email_verified: bool
    is_admin: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> AccountOut:
        return cls(
            id=user.id, username=user.username, display_name=user.display_name, email=user.email,
            email_verified=user.email_verified_at is not None, is_admin=user.is_admin,
            created_at=user.created_at,
        )  # fmt: skip


def errors(*statuses: int) -> Callable[[F], F]:
    """Document the error statuses a route can answer with (all share ErrorOut)."""

    def decorate(view: F) -> F:
        for status in statuses:
            view = document_response(ErrorOut, status)(view)
        return view

    return decorate
