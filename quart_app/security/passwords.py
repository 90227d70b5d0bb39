"""Passwords: the policy, and argon2id hashing off the event loop (one hash costs ~50 ms of CPU)."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MINIMUM_LENGTH = 8
# Long passphrases are welcome; the cap only stops a megabyte "password" from eating CPU.
MAXIMUM_LENGTH = 1024

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile (t=3, m=64 MiB, p=4).
# When they change, hashes made with the old ones are upgraded at the next sign-in.
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Verification:
    valid: bool
    new_hash: str | None = None  # set when the stored hash should be replaced (weaker parameters)


@functools.cache
def common_passwords() -> frozenset[str]:
    text = resources.files("quart_app.security").joinpath("common_passwords.txt").read_text()
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def password_problems(password: str, *, username: str = "", email: str = "") -> list[str]:
    """Why this password is not acceptable; empty when it is. Never truncates or alters it."""
    if len(password) < MINIMUM_LENGTH:
        return [f"Use at least {MINIMUM_LENGTH} characters."]
    if len(password) > MAXIMUM_LENGTH:
        return [f"Use at most {MAXIMUM_LENGTH} characters."]
    lowered = password.lower()
    if lowered in common_passwords():
        return ["This password is one of the most common ones; choose another."]
    if lowered in {username.lower(), email.lower(), email.lower().partition("@")[0]}:
        return ["The password must not be your username or email address."]
    return []


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    return (await check_password(password_hash, password)).valid


async def check_password(password_hash: str, password: str) -> Verification:
    """Verify, and say whether the hash needs upgrading to the current parameters."""

    def check() -> Verification:
        try:
            _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return Verification(valid=False)
        if _hasher.check_needs_rehash(password_hash):
            return Verification(valid=True, new_hash=_hasher.hash(password))
        return Verification(valid=True)

    return await asyncio.to_thread(check)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("a password nobody has")


async def spend_time_like_a_verification(password: str) -> None:
    """For unknown users: do the same work as a real check, so timing reveals nothing."""
    await check_password(_dummy_hash(), password)
