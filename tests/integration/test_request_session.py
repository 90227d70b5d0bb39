"""One session per request: reads for safe methods, writes for the rest, closed at the end."""

from __future__ import annotations

import pytest
from quart import Quart
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.db import WRITE_INTENT, get_session, write_session
from quart_app.models import Project

pytestmark = pytest.mark.integration


def intends_to_write(session: AsyncSession) -> bool:
    bind = session.get_bind()
    return bool(bind.get_execution_options().get(WRITE_INTENT, True))


@pytest.mark.parametrize(("method", "writes"), [("GET", False), ("HEAD", False), ("POST", True)])
async def test_request_method_decides_whether_the_session_writes(
    app: Quart, method: str, writes: bool
) -> None:
    async with app.test_request_context("/", method=method):
        assert intends_to_write(get_session()) is writes


async def test_a_request_gets_the_same_session_each_time(app: Quart) -> None:
    async with app.test_request_context("/", method="POST"):
        assert get_session() is get_session()


async def test_the_request_session_is_closed_and_uncommitted_work_discarded(app: Quart) -> None:
    async with app.test_request_context("/", method="POST"):
        session = get_session()
        session.add(Project(key="GONE", name="never committed"))
        await session.flush()
        assert session.in_transaction()
    assert not session.in_transaction()  # closed at teardown, which rolled it back
    async with app.test_request_context("/", method="GET"):
        assert await get_session().scalar(select(func.count()).select_from(Project)) == 0


async def test_write_session_commits_when_the_block_ends(app: Quart) -> None:
    async with app.test_request_context("/", method="GET"):
        async with write_session() as session:
            session.add(Project(key="KEPT", name="committed from a GET"))
        count = await get_session().scalar(select(func.count()).select_from(Project))
        assert count == 1


async def test_write_session_rolls_back_on_error(app: Quart) -> None:
    async with app.test_request_context("/", method="GET"):
        with pytest.raises(RuntimeError):
            async with write_session() as session:
                session.add(Project(key="LOST", name="rolled back"))
                await session.flush()
                raise RuntimeError("boom")
        assert await get_session().scalar(select(func.count()).select_from(Project)) == 0
