"""Checks shared by the services: text fields, and unique names that may race."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.services.errors import ConflictError, InvalidInputError


def clean_text(field: str, value: str, *, maximum: int, required: bool = True) -> str:
    """Strip ``value`` and check its length; the message names the field for the form or API."""
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidInputError.field(field, f"The {field.replace('_', ' ')} cannot be empty.")
    if len(cleaned) > maximum:
        raise InvalidInputError.field(field, f"Use at most {maximum} characters.")
    return cleaned


@asynccontextmanager
async def unique_name(
    session: AsyncSession, *, field: str, value: str, what: str
) -> AsyncIterator[None]:
    """Make the change inside this block: a unique-constraint failure on ``field`` becomes a 409
    naming it, and the request's transaction stays usable (the refused form can re-render).

    The savepoint opens *before* the change on purpose: opening one flushes everything pending
    first, so a row added earlier would fail outside it and abort the whole transaction
    (PostgreSQL). Checking for the name first would still race with a concurrent request.
    """
    try:
        async with session.begin_nested():
            yield
            await session.flush()
    except IntegrityError:
        raise ConflictError(
            f"There is already a {what} named {value!r}.",
            [{"field": field, "message": f"This {field} is taken."}],
        ) from None
