"""The stores behind the rate limits count correctly, including under concurrency."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from quart import Quart

from quart_app.security.rate_limits import DatabaseStore, MemoryStore, RedisStore

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def redis_store() -> AsyncIterator[RedisStore]:
    store = RedisStore(REDIS_URL)
    try:
        await store.redis.ping()
    except OSError as error:
        await store.close()
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI: {error}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield store
    await store.close()


def window() -> int:
    return int(time.time())


async def test_database_store_counts_concurrent_hits_exactly(app: Quart) -> None:
    store, start = DatabaseStore(), window()
    async with app.app_context():
        counts = await asyncio.gather(
            *(store.hit("sign-in:address:1.2.3.4", start, 60) for _ in range(20))
        )
    assert sorted(counts) == list(range(1, 21))


async def test_database_store_keeps_windows_and_keys_apart(app: Quart) -> None:
    store, start = DatabaseStore(), window()
    async with app.app_context():
        assert await store.hit("a", start, 60) == 1
        assert await store.hit("a", start, 60) == 2
        assert await store.hit("a", start + 60, 60) == 1
        assert await store.hit("b", start, 60) == 1


async def test_redis_store_counts_concurrent_hits_exactly(redis_store: RedisStore) -> None:
    key, start = f"test:{uuid.uuid4().hex}", window()
    counts = await asyncio.gather(*(redis_store.hit(key, start, 60) for _ in range(20)))
    assert sorted(counts) == list(range(1, 21))


async def test_redis_store_sets_an_expiry_so_keys_do_not_pile_up(redis_store: RedisStore) -> None:
    key, start = f"test:{uuid.uuid4().hex}", window()
    await redis_store.hit(key, start, 60)
    ttl = await redis_store.redis.ttl(f"quart_app:rate:{key}:{start}")
    assert 0 < ttl <= 61


async def test_memory_store_counts_per_window() -> None:
    store, start = MemoryStore(), window()
    assert [await store.hit("k", start, 60) for _ in range(3)] == [1, 2, 3]
    assert await store.hit("k", start + 60, 60) == 1
