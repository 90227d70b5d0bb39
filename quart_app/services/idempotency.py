"""Idempotency keys: remember the response to a create, so a retried request replays it.

Keys are per user and live for a day. A key reused for a different request is refused (422);
two requests racing with one key: the second waits on the unique index and gets a 409.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import IdempotencyKey, utcnow
from quart_app.services.errors import ConflictError, InvalidInputError

KEY_MAX = 200
KEY_LIFETIME = timedelta(hours=24)


class IdempotencyKeyReusedError(InvalidInputError):
    code = "IDEMPOTENCY_KEY_REUSED"


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


async def find_response(
    session: AsyncSession, *, user_id: int, key: str, request_fingerprint: str
) -> StoredResponse | None:
    """The stored response for this key, if the same request was made before."""
    record = await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at > utcnow() - KEY_LIFETIME,
        )
    )
    if record is None:
        return None
    if record.fingerprint != request_fingerprint:
        raise IdempotencyKeyReusedError(
            "This Idempotency-Key was used for a different request: use a new key per request.",
            [{"field": "Idempotency-Key", "message": "Already used for another request."}],
        )
    return StoredResponse(status_code=record.status_code, body=record.response_body)


async def save_response(
    session: AsyncSession,
    *,
    user_id: int,
    key: str,
    request_fingerprint: str,
    status_code: int,
    body: str,
) -> None:
    """Store the response in the request's transaction: it exists exactly when the create does."""
    expired = [IdempotencyKey.created_at <= utcnow() - KEY_LIFETIME]
    if random.random() < 0.01:  # noqa: S311 - now and then, sweep every user's old keys
        await session.execute(delete(IdempotencyKey).where(*expired))
    else:
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key, *expired
            )
        )
    session.add(
        IdempotencyKey(
            user_id=user_id, key=key, fingerprint=request_fingerprint, status_code=status_code,
            response_body=body,
        )
    )  # fmt: skip
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise ConflictError(
            "Another request with this Idempotency-Key was being handled: retry to get its "
            "response."
        ) from None
