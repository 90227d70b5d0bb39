"""Rate limits: every route has a policy or an explicit exemption (a convention test checks).

Account policies (sign-in, sign-up, password reset, verification resends) count per client
address and per account in a store all workers share: Redis when REDIS_URL is set, else the
database. Their hits are short transactions of their own, taken before the handler starts its
(write) transaction. General policies count per worker process in memory, or in Redis.

The client address is the connection's peer (``request.remote_addr``), never a client-supplied
X-Forwarded-For: behind a proxy, set TRUSTED_PROXY_HOPS so hypercorn's ProxyFix rewrites it.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from quart import Quart, current_app, request
from sqlalchemy import delete

from quart_app.db import increment_counter, write_session
from quart_app.errors import APIError
from quart_app.models import RateLimitCounter

F = TypeVar("F", bound=Callable[..., Any])
RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


@dataclass(frozen=True)
class Policy:
    per_address: Limit | None = None
    per_account: Limit | None = None
    shared: bool = True  # False: counted per worker in memory when Redis is not configured


DEFAULT_POLICIES: dict[str, Policy] = {
    "sign-in": Policy(per_address=Limit(10, 60), per_account=Limit(10, 3600)),
    "sign-up": Policy(per_address=Limit(10, 3600), per_account=Limit(3, 3600)),
    "password-reset": Policy(per_address=Limit(10, 3600), per_account=Limit(3, 3600)),
    "verification": Policy(per_address=Limit(10, 3600), per_account=Limit(3, 3600)),
    "account": Policy(per_address=Limit(60, 60), shared=False),  # other account changes
    "api": Policy(per_address=Limit(1200, 60), shared=False),
    "pages": Policy(per_address=Limit(600, 60), shared=False),
    "forms": Policy(per_address=Limit(120, 60), shared=False),  # the tracker's web forms
}


class Store(Protocol):
    async def hit(self, key: str, window_start: int, seconds: int) -> int: ...


class DatabaseStore:
    async def hit(self, key: str, window_start: int, seconds: int) -> int:
        async with write_session() as session:
            if random.random() < 0.01:  # noqa: S311 - now and then, sweep windows long gone
                await session.execute(
                    delete(RateLimitCounter).where(RateLimitCounter.expires_at < time.time())
                )
            return await increment_counter(
                session, key=key, window_start=window_start, expires_at=window_start + seconds
            )


class MemoryStore:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}

    async def hit(self, key: str, window_start: int, seconds: int) -> int:
        now = time.time()
        if len(self.counts) > 100_000:  # keep memory bounded: drop finished windows
            self.counts = {k: v for k, v in self.counts.items() if k[1] + seconds > now}
        count = self.counts.get((key, window_start), 0) + 1
        self.counts[(key, window_start)] = count
        return count


class RedisStore:
    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url)

    async def hit(self, key: str, window_start: int, seconds: int) -> int:
        name = f"quart_app:rate:{key}:{window_start}"
        async with self.redis.pipeline(transaction=True) as pipeline:  # MULTI: atomic
            pipeline.incr(name)
            pipeline.expire(name, seconds + 1, nx=True)
            count, _ = await pipeline.execute()
        return int(count)

    async def close(self) -> None:
        await self.redis.aclose()


@dataclass
class Limiter:
    policies: dict[str, Policy]
    shared_store: Store
    local_store: Store
    enabled: bool = True
    # For endpoints whose view functions are not ours (Quart's static, quart-schema's OpenAPI).
    endpoint_policies: dict[str, str] = field(default_factory=dict)
    exempt_endpoints: dict[str, str] = field(default_factory=dict)

    def policy_for(self, endpoint: str, view: object) -> str | None:
        return getattr(view, "rate_limit_policy", None) or self.endpoint_policies.get(endpoint)

    def is_exempt(self, endpoint: str, view: object) -> bool:
        return hasattr(view, "rate_limit_exempt") or endpoint in self.exempt_endpoints

    async def hit(self, policy_name: str, kind: str, value: str) -> None:
        """Count one hit; raise 429 with Retry-After once the limit is passed."""
        policy = self.policies[policy_name]
        limit = policy.per_address if kind == "address" else policy.per_account
        if not self.enabled or limit is None:
            return
        now = time.time()
        window_start = int(now // limit.seconds * limit.seconds)
        store = self.shared_store if policy.shared else self.local_store
        # Hash the value: logins and addresses can be long, and keys must fit their column.
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        count = await store.hit(f"{policy_name}:{kind}:{digest}", window_start, limit.seconds)
        if count > limit.count:
            retry_after = max(1, math.ceil(window_start + limit.seconds - now))
            raise APIError(
                429, RATE_LIMITED, f"Too many requests; try again in {retry_after} seconds.",
                headers={"Retry-After": str(retry_after)},
            )  # fmt: skip


def rate_limit(policy_name: str) -> Callable[[F], F]:
    """Limit this route per client address under ``policy_name`` (see DEFAULT_POLICIES)."""

    def mark(view: F) -> F:
        view.rate_limit_policy = policy_name  # type: ignore[attr-defined]
        return view

    return mark


def rate_exempt(reason: str) -> Callable[[F], F]:
    """Exempt this route from rate limits; ``reason`` says why, for the reader."""

    def mark(view: F) -> F:
        view.rate_limit_exempt = reason  # type: ignore[attr-defined]
        return view

    return mark


def limiter() -> Limiter:
    found: Limiter = current_app.extensions["rate_limiter"]
    return found


async def limit_account(policy_name: str, account: str) -> None:
    """Count a hit against one account (a username or email), whatever address it comes from."""
    await limiter().hit(policy_name, "account", account.strip().lower())


async def enforce_route_policy() -> None:
    """before_request: the per-address limit of the route's policy."""
    endpoint = request.endpoint or ""
    policy_name = limiter().policy_for(endpoint, current_app.view_functions.get(endpoint))
    if policy_name is not None:
        await limiter().hit(policy_name, "address", request.remote_addr or "unknown")


def init_app(app: Quart) -> None:
    redis_url = app.config["REDIS_URL"]
    policies = {**DEFAULT_POLICIES, **app.config.get("RATE_LIMIT_POLICIES", {})}
    redis = RedisStore(redis_url) if redis_url else None
    app.extensions["rate_limiter"] = Limiter(
        policies=policies,
        shared_store=redis or DatabaseStore(),
        local_store=redis or MemoryStore(),
        enabled=app.config["RATE_LIMITS_ENABLED"],
        endpoint_policies={"openapi": "api"},
        exempt_endpoints={"static": "plain files; pages must style even when a client is limited"},
    )
    app.before_request(enforce_route_policy)
    if redis is not None:
        app.after_serving(redis.close)
