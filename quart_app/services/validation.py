"""Checks shared by the services: text fields, and unique names that may race."""

from __future__ import annotations

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


async def flush_unique(session: AsyncSession, *, field: str, value: str, what: str) -> None:
    """Flush, turning a unique-constraint failure on ``field`` into a 409 naming it.

    The savepoint keeps the request's transaction usable (PostgreSQL aborts it otherwise);
    checking first would still race with a concurrent request.
    """
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise ConflictError(
            f"There is already a {what} named {value!r}.",
            [{"field": field, "message": f"This {field} is taken."}],
        ) from None
