"""Rate limits: per client address and per account, 429 with Retry-After, not dodged by headers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from quart import Quart, Response
from quart.typing import TestClientProtocol as Client

from quart_app import create_app
from quart_app.security.rate_limits import Limit, Limiter, Policy
from tests.api.helpers import AccountActions, error_code
from tests.support import config_for, create_current_schema

pytestmark = pytest.mark.integration

WRONG = "not the password at all"
GENEROUS = Limit(1000, 3600)
# Endpoints whose view functions come from Quart or quart-schema, not from this project.
FOREIGN_ENDPOINTS = {"static", "openapi"}


@pytest.fixture(autouse=True)
def clock_at_the_start_of_a_window() -> Iterator[None]:
    """Counters use fixed windows: start each test just after a boundary, so none is crossed."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with time_machine.travel(hour + timedelta(seconds=1), tick=True):
        yield


@asynccontextmanager
async def app_with(database_url: str, **policies: Policy) -> AsyncIterator[Quart]:
    await create_current_schema(database_url)
    app = create_app(config_for(database_url, RATE_LIMIT_POLICIES=policies))
    async with app.test_app():
        yield app


async def sign_in(client: Client, login: str, **kwargs: object) -> Response:
    return await client.post("/api/v1/session", json={"login": login, "password": WRONG}, **kwargs)


def assert_retry_after(response: Response, window: int) -> None:
    retry_after = response.headers.get("Retry-After", "")
    assert retry_after.isdigit(), f"Retry-After {retry_after!r} is not a whole number of seconds"
    assert 1 <= int(retry_after) <= window


async def test_the_address_limit_trips_at_the_configured_count_despite_forwarded_headers(
    database_url: str,
) -> None:
    policy = Policy(per_address=Limit(3, 60), per_account=GENEROUS)
    async with app_with(database_url, **{"sign-in": policy}) as app:
        client = app.test_client()
        statuses = []
        for attempt in range(4):
            address = f"198.51.100.{attempt + 1}"
            spoofed = {
                "X-Forwarded-For": address,
                "X-Real-IP": address,
                "Forwarded": f"for={address}",
                "True-Client-IP": address,
            }
            response = await sign_in(client, f"user{attempt}", headers=spoofed)
            statuses.append(response.status_code)
        assert statuses == [401, 401, 401, 429]
        assert await error_code(response) == "RATE_LIMITED"
        assert_retry_after(response, 60)


async def test_a_remote_addr_request_header_does_not_dodge_the_address_limit(
    database_url: str,
) -> None:
    policy = Policy(per_address=Limit(2, 60), per_account=GENEROUS)
    async with app_with(database_url, **{"sign-in": policy}) as app:
        client = app.test_client()
        statuses = [
            (await sign_in(client, f"u{n}", headers={"Remote-Addr": f"203.0.113.{n}"})).status_code
            for n in range(3)
        ]
        assert statuses == [401, 401, 429]


async def test_the_address_limit_counts_each_address_separately(database_url: str) -> None:
    policy = Policy(per_address=Limit(2, 60), per_account=GENEROUS)
    async with app_with(database_url, **{"sign-in": policy}) as app:
        client = app.test_client()
        for _ in range(2):
            await sign_in(client, "ada", scope_base={"client": ("192.0.2.1", 1000)})
        limited = await sign_in(client, "ada", scope_base={"client": ("192.0.2.1", 1000)})
        other = await sign_in(client, "ada", scope_base={"client": ("192.0.2.2", 1000)})
        assert (limited.status_code, other.status_code) == (429, 401)


async def test_the_account_limit_trips_for_one_login_across_addresses(database_url: str) -> None:
    policy = Policy(per_address=Limit(100, 60), per_account=Limit(3, 3600))
    async with app_with(database_url, **{"sign-in": policy}) as app:
        client = app.test_client()
        statuses = []
        for n in range(4):
            response = await sign_in(client, "ada", scope_base={"client": (f"10.0.0.{n}", 1234)})
            statuses.append(response.status_code)
        assert statuses == [401, 401, 401, 429]
        assert_retry_after(response, 3600)


async def test_the_account_limit_ignores_case_and_spaces_in_the_login(database_url: str) -> None:
    policy = Policy(per_address=Limit(100, 60), per_account=Limit(2, 3600))
    async with app_with(database_url, **{"sign-in": policy}) as app:
        client = app.test_client()
        statuses = [(await sign_in(client, login)).status_code for login in ("ada", "ADA", " Ada ")]
        assert statuses == [401, 401, 429]


async def test_the_account_limit_leaves_other_accounts_alone(database_url: str) -> None:
    policy = Policy(per_address=Limit(100, 60), per_account=Limit(2, 3600))
    async with app_with(database_url, **{"sign-in": policy}) as app:
        client = app.test_client()
        for n in range(3):
            await sign_in(client, "ada", scope_base={"client": (f"10.0.1.{n}", 1234)})
        other = await sign_in(client, "grace", scope_base={"client": ("10.0.1.9", 1234)})
        assert other.status_code == 401


async def test_the_page_and_the_api_share_one_sign_in_limit(database_url: str) -> None:
    policy = Policy(per_address=Limit(2, 60), per_account=GENEROUS)
    async with app_with(database_url, **{"sign-in": policy}) as app:
        actions = AccountActions(app)
        page = await actions.sign_in_with_page(app.test_client(), "ada", WRONG)
        api = await sign_in(app.test_client(), "grace")
        third = await sign_in(app.test_client(), "alan")
        assert (page.status_code, api.status_code, third.status_code) == (401, 401, 429)


async def test_the_limit_holds_across_two_workers_sharing_the_database(
    database_url: str,
) -> None:
    policy = Policy(per_address=Limit(3, 60), per_account=GENEROUS)
    await create_current_schema(database_url)
    first = create_app(config_for(database_url, RATE_LIMIT_POLICIES={"sign-in": policy}))
    second = create_app(config_for(database_url, RATE_LIMIT_POLICIES={"sign-in": policy}))
    async with first.test_app(), second.test_app():
        statuses = [
            (await sign_in(worker.test_client(), f"u{n}")).status_code
            for n, worker in enumerate([first, second, first, second])
        ]
    assert statuses == [401, 401, 401, 429]


async def test_openapi_json_is_rate_limited(database_url: str) -> None:
    async with app_with(database_url, api=Policy(per_address=Limit(2, 60), shared=False)) as app:
        client = app.test_client()
        statuses = [(await client.get("/openapi.json")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


async def test_password_reset_requests_are_limited_per_address_by_default(client: Client) -> None:
    statuses = [
        (
            await client.post("/api/v1/password-reset", json={"email": f"u{n}@example.com"})
        ).status_code
        for n in range(11)
    ]
    assert statuses == [202] * 10 + [429]


async def test_password_reset_requests_are_limited_per_account_by_default(
    actions: AccountActions,
) -> None:
    await actions.sign_up(actions.new_client(), "ada")
    statuses = []
    for n in range(4):
        response = await actions.new_client().post(
            "/api/v1/password-reset",
            json={"email": "ada@example.com"},
            scope_base={"client": (f"10.0.2.{n}", 1234)},
        )
        statuses.append(response.status_code)
    assert statuses == [202, 202, 202, 429]
    assert len(await actions.emails_to("ada@example.com")) == 1 + 3


async def test_the_reset_limit_treats_unknown_addresses_like_known_ones(
    actions: AccountActions,
) -> None:
    """Otherwise the 429 (or its absence) would tell which addresses have accounts."""
    await actions.sign_up(actions.new_client(), "ada")
    known: list[int] = []
    unknown: list[int] = []
    for n in range(4):
        for email, statuses in (("ada@example.com", known), ("nobody@example.com", unknown)):
            response = await actions.new_client().post(
                "/api/v1/password-reset",
                json={"email": email},
                scope_base={"client": (f"10.0.3.{n}", 1234)},
            )
            statuses.append(response.status_code)
    assert known == unknown == [202, 202, 202, 429]


async def test_sign_ups_are_limited_per_email_by_default(actions: AccountActions) -> None:
    statuses = []
    for n in range(4):
        response = await actions.new_client().post(
            "/api/v1/account",
            json={"username": f"ada{n}", "email": "ada@example.com", "password": WRONG},
            scope_base={"client": (f"10.0.4.{n}", 1234)},
        )
        statuses.append(response.status_code)
    assert statuses == [202, 202, 202, 429]


async def test_verification_resends_are_limited_per_account_by_default(
    actions: AccountActions,
) -> None:
    client = actions.new_client()
    await actions.sign_up(client, "ada")
    await actions.sign_in_with_page(client, "ada")
    csrf = await actions.csrf_headers(client)
    statuses = []
    for n in range(4):
        response = await client.post(
            "/api/v1/account/verification",
            headers=csrf,
            scope_base={"client": (f"10.0.5.{n}", 1234)},
        )
        statuses.append(response.status_code)
    assert statuses == [202, 202, 202, 429]


def test_convention_every_endpoint_has_a_rate_limit_or_an_exemption(app: Quart) -> None:
    missing = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in FOREIGN_ENDPOINTS
        and not hasattr(app.view_functions[rule.endpoint], "rate_limit_policy")
        and not hasattr(app.view_functions[rule.endpoint], "rate_limit_exempt")
    )
    assert not missing, (
        "add @rate_limit(policy) or @rate_exempt(reason) to these endpoints: " + ", ".join(missing)
    )


def test_convention_quart_and_quart_schema_endpoints_are_limited_or_exempt(app: Quart) -> None:
    limiter: Limiter = app.extensions["rate_limiter"]
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} & FOREIGN_ENDPOINTS
    assert endpoints, "expected static and quart-schema's endpoints in the URL map"
    uncovered = sorted(
        endpoint
        for endpoint in endpoints
        if limiter.policy_for(endpoint, app.view_functions[endpoint]) is None
        and not limiter.is_exempt(endpoint, app.view_functions[endpoint])
    )
    assert not uncovered, f"no rate limit and no exemption: {uncovered}"


def test_convention_every_policy_named_by_a_route_exists(app: Quart) -> None:
    limiter: Limiter = app.extensions["rate_limiter"]
    unknown = sorted(
        f"{rule.endpoint} -> {policy!r}"
        for rule in app.url_map.iter_rules()
        if (policy := limiter.policy_for(rule.endpoint, app.view_functions[rule.endpoint]))
        and policy not in limiter.policies
    )
    assert not unknown, f"routes naming a policy that does not exist: {unknown}"
