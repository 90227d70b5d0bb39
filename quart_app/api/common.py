"""What every API module shares: base models, the error model, users as others see them, pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, model_validator
from quart import request
from quart_schema import document_response

from quart_app.models import User
from quart_app.services.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE, Page, PageRequest

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


class UserRef(BaseModel):
    """Someone, as other people see them; null where the account was deleted."""

    username: str
    display_name: str = Field(description="the username when they gave no name")

    @model_validator(mode="after")
    def name_them(self) -> UserRef:
        if not self.display_name:
            self.display_name = self.username
        return self

    @classmethod
    def of(cls, user: User | None) -> UserRef | None:
        if user is None:
            return None
        return cls(username=user.username, display_name=user.display_name)


class PageQuery(RequestModel):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)

    def page_request(self) -> PageRequest:
        return PageRequest(page=self.page, per_page=self.per_page)


class PageOut(BaseModel):
    """What every list answers with besides its items (the Link header has the same pages)."""

    total: int
    page: int
    per_page: int
    last_page: int

    @classmethod
    def of(cls, page: Page[Any]) -> PageOut:
        return cls(
            total=page.total, page=page.request.page, per_page=page.request.per_page,
            last_page=page.last_page,
        )  # fmt: skip


P = TypeVar("P", bound=PageOut)


def page_response(
    model: type[P], items: list[Any], page: Page[Any]
) -> tuple[P, int, dict[str, str]]:
    """A list's answer: the items with the page's numbers, and its Link headers."""
    return model(items=items, **PageOut.of(page).model_dump()), 200, page_headers(page)


def page_headers(page: Page[Any]) -> dict[str, str]:
    """RFC 8288 ``Link`` (first, prev, next, last) and ``X-Total-Count``, as GitHub does.

    The links are relative: they keep the request's filters and never trust the Host header.
    """
    current = page.request.page
    targets = {"first": 1, "prev": current - 1, "next": current + 1, "last": page.last_page}
    links = [
        f'<{_page_url(number)}>; rel="{rel}"'
        for rel, number in targets.items()
        if 1 <= number <= page.last_page and not (rel in ("prev", "next") and number == current)
    ]
    return {"Link": ", ".join(links), "X-Total-Count": str(page.total)}


def _page_url(number: int) -> str:
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "page"]
    return f"{request.path}?{urlencode([*args, ('page', str(number))])}"
