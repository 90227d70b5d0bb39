"""Random secrets for cookies, emails and API tokens; only their SHA-256 is ever stored."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits: far beyond guessing, so a fast hash (not argon2) is enough to store


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
