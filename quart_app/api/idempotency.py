"""Safe retries of creates: the Idempotency-Key header (draft-ietf-httpapi-idempotency-key).

A create handler asks ``idempotency_key()`` for the request's key, returns ``replay()`` when
there is a stored response, and calls ``remember()`` before it commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from quart import request
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.errors import APIError
from quart_app.models import User
from quart_app.services import idempotency

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    fingerprint: str
    user_id: int


async def idempotency_key(user: User) -> IdempotencyKey | None:
    """The request's key with the fingerprint of what it asks for, or None without the header."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > idempotency.KEY_MAX or not key.isascii() or not key.isprintable():
        raise APIError(
            400, "INVALID_IDEMPOTENCY_KEY",
            f"An {HEADER} is 1 to {idempotency.KEY_MAX} printable ASCII characters (a UUID is "
            "ideal).",
            [{"field": HEADER, "message": "Not a valid key."}],
        )  # fmt: skip
    # The parsed JSON, canonically ordered: a retry that re-serialises the body still matches.
    data = await request.get_json(silent=True)
    body = json.dumps(data, sort_keys=True).encode() if data is not None else b""
    fingerprint = idempotency.fingerprint(request.method, request.path, body)
    return IdempotencyKey(key=key, fingerprint=fingerprint, user_id=user.id)


async def replay(
    session: AsyncSession, key: IdempotencyKey | None
) -> tuple[dict[str, Any], int, dict[str, str]] | None:
    """The first response to this request, when it was made already with this key."""
    if key is None:
        return None
    stored = await idempotency.find_response(
        session, user_id=key.user_id, key=key.key, request_fingerprint=key.fingerprint
    )
    if stored is None:
        return None
    saved = json.loads(stored.body)
    return saved["body"], stored.status_code, {**saved["headers"], REPLAYED_HEADER: "true"}


async def remember(
    session: AsyncSession,
    key: IdempotencyKey | None,
    body: BaseModel,
    status_code: int,
    headers: dict[str, str],
) -> None:
    if key is None:
        return
    saved = json.dumps({"body": body.model_dump(mode="json"), "headers": headers})
    await idempotency.save_response(
        session, user_id=key.user_id, key=key.key, request_fingerprint=key.fingerprint,
        status_code=status_code, body=saved,
    )  # fmt: skip
