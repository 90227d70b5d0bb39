"""Account services: sign-up without enumeration, sign-in, profile, and deleting an account."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.db import Database
from quart_app.models import Issue, Membership, Role, User, utcnow
from quart_app.security.passwords import verify_password
from quart_app.services.accounts import (
    authenticate,
    create_user,
    delete_account,
    sign_up,
    update_profile,
)
from quart_app.services.credentials import verify_email
from quart_app.services.errors import ConflictError, InvalidInputError
from quart_app.services.notices import EmailMessage
from quart_app.services.projects import create_project
from tests.factories import add_member, open_issue

pytestmark = pytest.mark.integration

PASSWORD = "a fine passphrase"
BASE_URL = "https://tracker.example"
VERIFY_TTL = 48 * 3600


async def make_user(session: AsyncSession, name: str) -> User:
    """A verified account: only verified accounts may create or join projects."""
    return await create_user(
        session, username=name, email=f"{name}@example.com", password=PASSWORD, verified=True
    )


async def user_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def sign_up_as(
    session: AsyncSession, username: str, email: str, *, base_url: str = BASE_URL
) -> list[EmailMessage]:
    return await sign_up(
        session,
        username=username,
        email=email,
        password=PASSWORD,
        base_url=base_url,
        verify_ttl=VERIFY_TTL,
    )


def link_in(message: EmailMessage) -> str:
    links: list[str] = re.findall(r"https?://\S+", message.body)
    assert len(links) == 1, links
    return links[0]


# sign_up


async def test_sign_up_creates_an_unverified_account_and_a_verify_link(
    session: AsyncSession,
) -> None:
    [message] = await sign_up_as(session, " Ada ", "Ada@Example.COM")

    user = await session.scalar(select(User).where(User.username == "ada"))
    assert user is not None
    assert user.email == "ada@example.com"
    assert user.email_verified_at is None
    assert await verify_password(user.password_hash, PASSWORD)
    assert (message.to, message.subject) == ("ada@example.com", "Confirm your email address")
    url = urlsplit(link_in(message))
    assert (url.scheme, url.netloc, url.path) == ("https", "tracker.example", "/verify-email")
    assert parse_qs(url.query)["token"][0]


async def test_the_sign_up_link_verifies_the_new_account(session: AsyncSession) -> None:
    [message] = await sign_up_as(session, "ada", "ada@example.com")
    token = parse_qs(urlsplit(link_in(message)).query)["token"][0]

    user = await verify_email(session, token)

    assert user.username == "ada"
    assert user.email_verified_at is not None


async def test_a_base_url_with_a_trailing_slash_gives_a_verify_link_with_one_slash(
    session: AsyncSession,
) -> None:
    [message] = await sign_up_as(session, "ada", "ada@example.com", base_url=BASE_URL + "/")
    assert link_in(message).startswith("https://tracker.example/verify-email?token=")


async def test_a_base_url_with_a_trailing_slash_gives_token_less_links_with_one_slash(
    session: AsyncSession,
) -> None:
    await make_user(session, "ada")
    [message] = await sign_up_as(session, "someone", "ada@example.com", base_url=BASE_URL + "/")
    assert "https://tracker.example/sign-in" in message.body
    assert "//sign-in" not in message.body


async def test_signing_up_with_a_registered_email_creates_nobody_and_tells_its_owner(
    session: AsyncSession,
) -> None:
    await make_user(session, "ada")

    [message] = await sign_up_as(session, "someone", "ADA@example.com")

    assert await user_count(session) == 1
    assert await session.scalar(select(User).where(User.username == "someone")) is None
    assert (message.to, message.subject) == ("ada@example.com", "You already have an account")
    assert "https://tracker.example/sign-in" in message.body
    assert "https://tracker.example/forgot-password" in message.body
    assert "token=" not in message.body


async def test_signing_up_with_a_taken_username_tells_the_new_address(
    session: AsyncSession,
) -> None:
    await make_user(session, "ada")

    [message] = await sign_up_as(session, "ada", "newcomer@example.com")

    assert await user_count(session) == 1
    assert await session.scalar(select(User).where(User.email == "newcomer@example.com")) is None
    assert (message.to, message.subject) == ("newcomer@example.com", "Choose another username")
    assert "'ada'" in message.body
    assert "https://tracker.example/sign-up" in message.body


async def test_a_registered_address_is_told_it_has_an_account_even_if_the_username_is_taken(
    session: AsyncSession,
) -> None:
    await make_user(session, "ada")
    await make_user(session, "bob")

    [message] = await sign_up_as(session, "ada", "bob@example.com")

    assert await user_count(session) == 2
    assert (message.to, message.subject) == ("bob@example.com", "You already have an account")


async def test_sign_up_names_every_invalid_field(session: AsyncSession) -> None:
    with pytest.raises(InvalidInputError) as raised:
        await sign_up(
            session,
            username="a!",
            email="not-an-email",
            password="short",
            base_url=BASE_URL,
            verify_ttl=VERIFY_TTL,
        )

    assert {detail["field"] for detail in raised.value.details} == {"username", "email", "password"}
    assert all(detail["message"] for detail in raised.value.details)
    assert await user_count(session) == 0


@pytest.mark.parametrize(
    ("username", "email", "password", "field"),
    [
        ("admin", "ada@example.com", PASSWORD, "username"),
        ("-ada", "ada@example.com", PASSWORD, "username"),
        ("ada", "ada@example", PASSWORD, "email"),
        ("ada", "ada@example.com", "password", "password"),
        ("ada", "ada@example.com", "ada@example.com", "password"),
    ],
    ids=["reserved-name", "leading-dash", "no-tld", "common-password", "password-is-email"],
)
async def test_sign_up_rejects_a_single_bad_field(
    session: AsyncSession, username: str, email: str, password: str, field: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        await sign_up(
            session,
            username=username,
            email=email,
            password=password,
            base_url=BASE_URL,
            verify_ttl=VERIFY_TTL,
        )

    assert [detail["field"] for detail in raised.value.details] == [field]
    assert await user_count(session) == 0


# authenticate


@pytest.mark.parametrize("login", ["ada", " ADA ", "ada@example.com", "Ada@Example.com"])
async def test_users_sign_in_by_username_or_email(session: AsyncSession, login: str) -> None:
    ada = await make_user(session, "ada")
    assert await authenticate(session, login=login, password=PASSWORD) is ada


async def test_a_wrong_password_signs_nobody_in(session: AsyncSession) -> None:
    await make_user(session, "ada")
    assert await authenticate(session, login="ada", password=PASSWORD + "!") is None


async def test_an_unknown_login_signs_nobody_in(session: AsyncSession) -> None:
    await make_user(session, "ada")
    assert await authenticate(session, login="bob", password=PASSWORD) is None


async def test_a_disabled_user_cannot_sign_in_even_with_the_right_password(
    session: AsyncSession,
) -> None:
    ada = await make_user(session, "ada")
    ada.disabled_at = utcnow()
    await session.flush()
    assert await authenticate(session, login="ada", password=PASSWORD) is None


@pytest.mark.real_password_hashing
async def test_signing_in_upgrades_a_weak_hash(database: Database) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    async with database.write_sessions() as session:
        ada = await make_user(session, "ada")
        ada.password_hash = weak
        await session.commit()

    async with database.write_sessions() as session:
        user = await authenticate(session, login="ada", password=PASSWORD)
        assert user is not None
        await session.commit()

    async with database.write_sessions() as session:
        stored = await session.scalar(select(User.password_hash).where(User.id == ada.id))
    assert stored is not None
    assert stored != weak
    assert stored.startswith("$argon2id$")
    assert await verify_password(stored, PASSWORD)


@pytest.mark.real_password_hashing
async def test_a_failed_sign_in_leaves_a_weak_hash_alone(session: AsyncSession) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    ada = await make_user(session, "ada")
    ada.password_hash = weak
    assert await authenticate(session, login="ada", password="not the passphrase") is None
    assert ada.password_hash == weak


# update_profile


async def test_update_profile_sets_a_trimmed_display_name(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    await update_profile(session, ada, display_name="  Ada Lovelace  ")
    assert ada.display_name == "Ada Lovelace"
    await update_profile(session, ada, display_name="   ")
    assert ada.display_name == ""


async def test_update_profile_refuses_a_display_name_over_100_characters(
    session: AsyncSession,
) -> None:
    ada = await make_user(session, "ada")
    await update_profile(session, ada, display_name="x" * 100)
    with pytest.raises(InvalidInputError) as raised:
        await update_profile(session, ada, display_name="y" * 101)
    assert [detail["field"] for detail in raised.value.details] == ["display_name"]
    assert ada.display_name == "x" * 100


# delete_account


async def test_deleting_an_account_needs_the_right_password(session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    with pytest.raises(InvalidInputError) as raised:
        await delete_account(session, ada, password="not the passphrase")
    assert [detail["field"] for detail in raised.value.details] == ["password"]
    assert await session.get(User, ada.id) is not None


async def test_the_sole_owner_of_a_project_cannot_delete_their_account(
    session: AsyncSession,
) -> None:
    ada = await make_user(session, "ada")
    await create_project(session, owner=ada, key="WEB", name="Website")
    with pytest.raises(ConflictError):
        await delete_account(session, ada, password=PASSWORD)
    assert await session.get(User, ada.id) is not None


async def test_deleting_an_account_keeps_its_issues_without_an_author(database: Database) -> None:
    async with database.write_sessions() as session:
        ada, bob = await make_user(session, "ada"), await make_user(session, "bob")
        project = await create_project(session, owner=ada, key="WEB", name="Website")
        issue = await open_issue(session, project, bob, title="Broken")
        await session.commit()

    async with database.write_sessions() as session:
        await delete_account(session, await session.get_one(User, bob.id), password=PASSWORD)
        await session.commit()

    async with database.write_sessions() as session:
        assert await session.get(User, bob.id) is None
        kept = await session.get(Issue, issue.id)
        assert kept is not None
        assert (kept.title, kept.author_id) == ("Broken", None)


async def test_deleting_a_member_removes_the_user_and_memberships_and_keeps_issues(
    database: Database,
) -> None:
    async with database.write_sessions() as session:
        ada, bob = await make_user(session, "ada"), await make_user(session, "bob")
        project = await create_project(session, owner=ada, key="WEB", name="Website")
        await add_member(session, project, bob, Role.REPORTER)
        issue = await open_issue(session, project, bob, title="Broken")
        await session.commit()

    async with database.write_sessions() as session:
        await delete_account(session, await session.get_one(User, bob.id), password=PASSWORD)
        await session.commit()

    async with database.write_sessions() as session:
        assert await session.get(User, bob.id) is None
        members = await session.scalars(select(Membership.user_id))
        assert list(members) == [ada.id]
        kept = await session.get_one(Issue, issue.id)
        assert kept.author_id is None


async def test_a_co_owner_can_delete_their_account(database: Database) -> None:
    async with database.write_sessions() as session:
        ada, bob = await make_user(session, "ada"), await make_user(session, "bob")
        project = await create_project(session, owner=ada, key="WEB", name="Website")
        await add_member(session, project, bob, Role.OWNER)
        await session.commit()

    async with database.write_sessions() as session:
        await delete_account(session, await session.get_one(User, ada.id), password=PASSWORD)
        await session.commit()

    async with database.write_sessions() as session:
        assert await session.get(User, ada.id) is None
        owners = await session.scalars(
            select(Membership.user_id).where(Membership.project_id == project.id)
        )
        assert list(owners) == [bob.id]


@pytest.mark.real_password_hashing
async def test_signing_in_through_the_api_saves_the_upgraded_hash(
    client: Any, database: Database
) -> None:
    """The password is checked before the write transaction; the upgrade is merged into it."""
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    async with database.write_sessions() as session:
        ada = await make_user(session, "ada")
        ada.password_hash = weak
        await session.commit()

    response = await client.post("/api/v1/session", json={"login": "ada", "password": PASSWORD})

    assert response.status_code == 200, await response.get_data(as_text=True)
    async with database.read_sessions() as session:
        stored = await session.scalar(select(User.password_hash).where(User.id == ada.id))
    assert stored is not None and stored != weak and stored.startswith("$argon2id$")
