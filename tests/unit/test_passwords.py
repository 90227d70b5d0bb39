"""Password policy and argon2id hashing: long, unicode passwords kept whole; weak hashes upgrade."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from quart_app.security.passwords import (
    MAXIMUM_LENGTH,
    MINIMUM_LENGTH,
    check_password,
    common_passwords,
    hash_password,
    password_problems,
    verify_password,
)

# About hashing itself: the production argon2 parameters, not the suite's cheap ones.
pytestmark = [pytest.mark.unit, pytest.mark.real_password_hashing]

LONG_PASSPHRASE = "correct horse battery staple, then a long walk along the river bank"[:64]


def weak_hash(password: str) -> str:
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(password)


def test_a_password_of_the_minimum_length_is_accepted() -> None:
    assert password_problems("k" * (MINIMUM_LENGTH - 1) + "q") == []


def test_a_password_one_character_too_short_is_rejected() -> None:
    problems = password_problems("kq3!zv7")
    assert len("kq3!zv7") == MINIMUM_LENGTH - 1
    assert problems == [f"Use at least {MINIMUM_LENGTH} characters."]


def test_long_passphrases_are_accepted_up_to_the_cap() -> None:
    assert password_problems("word " * (MAXIMUM_LENGTH // 5)) == []
    assert password_problems("x" * MAXIMUM_LENGTH) == []
    assert password_problems("x" * (MAXIMUM_LENGTH + 1)) == [
        f"Use at most {MAXIMUM_LENGTH} characters."
    ]


def test_unicode_passwords_are_accepted_and_counted_in_characters() -> None:
    assert password_problems("пароль—ключ") == []
    assert password_problems("🔑🔒🔑🔒🔑🔒🔑🔒") == []  # 8 characters, 32 bytes
    assert password_problems("🔑🔒🔑🔒🔑🔒🔑") != []  # 7 characters, 28 bytes


@pytest.mark.parametrize("password", ["password", "12345678", "PassWord", "qwertyuiop"])
def test_common_passwords_are_rejected_whatever_their_case(password: str) -> None:
    assert password.lower() in common_passwords()
    assert password_problems(password) == [
        "This password is one of the most common ones; choose another."
    ]


def test_the_shipped_common_password_list_is_loaded_without_its_comments() -> None:
    passwords = common_passwords()
    assert len(passwords) > 9000
    assert not any(entry.startswith("#") for entry in passwords)


@pytest.mark.parametrize(
    "password",
    [
        "adalovelace",
        "AdaLovelace",
        "lovelace.a@example.com",
        "LOVELACE.A@EXAMPLE.COM",
        "lovelace.a",
    ],
    ids=["username", "username-other-case", "email", "email-other-case", "email-local-part"],
)
def test_a_password_equal_to_the_username_or_email_is_rejected(password: str) -> None:
    assert password_problems(password, username="adalovelace", email="lovelace.a@example.com") == [
        "The password must not be your username or email address."
    ]


def test_a_password_merely_containing_the_username_is_accepted() -> None:
    assert password_problems("adalovelace rocks", username="adalovelace") == []


async def test_hashes_are_argon2id() -> None:
    assert (await hash_password("a fine passphrase")).startswith("$argon2id$")


async def test_the_same_password_hashes_differently_each_time() -> None:
    assert await hash_password("a fine passphrase") != await hash_password("a fine passphrase")


async def test_a_64_character_password_is_not_truncated() -> None:
    assert len(LONG_PASSPHRASE) == 64
    stored = await hash_password(LONG_PASSPHRASE)
    assert await verify_password(stored, LONG_PASSPHRASE)
    assert not await verify_password(stored, LONG_PASSPHRASE[:-1])
    assert not await verify_password(stored, LONG_PASSPHRASE + "!")


async def test_a_very_long_password_differs_from_one_sharing_its_first_kilobyte_minus_one() -> None:
    password = "z" * (MAXIMUM_LENGTH - 1) + "a"
    stored = await hash_password(password)
    assert await verify_password(stored, password)
    assert not await verify_password(stored, "z" * (MAXIMUM_LENGTH - 1) + "b")


async def test_unicode_passwords_verify_exactly() -> None:
    stored = await hash_password("пароль—ключ🔑")
    assert await verify_password(stored, "пароль—ключ🔑")
    assert not await verify_password(stored, "пароль—ключ")
    assert not await verify_password(stored, "ПАРОЛЬ—КЛЮЧ🔑")


async def test_a_current_hash_needs_no_upgrade() -> None:
    stored = await hash_password("a fine passphrase")
    verification = await check_password(stored, "a fine passphrase")
    assert verification.valid
    assert verification.new_hash is None


async def test_a_weak_hash_is_upgraded_on_a_correct_password() -> None:
    stored = weak_hash("a fine passphrase")
    verification = await check_password(stored, "a fine passphrase")
    assert verification.valid
    assert verification.new_hash is not None
    assert verification.new_hash.startswith("$argon2id$")
    assert verification.new_hash != stored
    assert await verify_password(verification.new_hash, "a fine passphrase")
    assert (await check_password(verification.new_hash, "a fine passphrase")).new_hash is None


async def test_an_argon2i_hash_is_upgraded_to_argon2id() -> None:
    stored = PasswordHasher(type=Type.I).hash("a fine passphrase")
    verification = await check_password(stored, "a fine passphrase")
    assert verification.valid
    assert verification.new_hash is not None
    assert verification.new_hash.startswith("$argon2id$")


async def test_a_weak_hash_with_a_wrong_password_is_not_upgraded() -> None:
    verification = await check_password(weak_hash("a fine passphrase"), "a wrong passphrase")
    assert not verification.valid
    assert verification.new_hash is None


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$garbage"])
async def test_a_malformed_stored_hash_never_verifies(stored: str) -> None:
    verification = await check_password(stored, "a fine passphrase")
    assert not verification.valid
    assert verification.new_hash is None
