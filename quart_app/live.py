"""Live updates: wake the streams watching a project when one of its issues changes.

The events table is the source of truth: a stream reads the events after the last one it sent.
This module only says *when* to look. A commit that wrote issue events publishes the project's
id; with Redis (REDIS_URL) the message reaches the streams of every worker process at once,
without it only those of the same process, and the others find the change on their next poll
(``POLL_SECONDS``). Nothing is lost either way: a wake-up is a hint, never the data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from quart import Quart, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from quart_app.models import IssueEvent
from quart_app.services.events import CHANGED_PROJECTS

logger = logging.getLogger(__name__)
CHANNEL_PREFIX = "quart_app:project:"
POLL_SECONDS = 2.0  # how late a change made by another worker may appear without Redis
REDIS_POLL_SECONDS = 10.0  # with Redis, polling is only the safety net for a lost message
ON_COMMIT = "on_commit"  # in Session.info (set by the sessionmaker): called with those projects


class Notifier:
    """In-process wake-ups: ``wake`` sets the events of everyone ``listening`` to the project."""

    poll_seconds = POLL_SECONDS

    def __init__(self) -> None:
        self._waiters: dict[int, set[asyncio.Event]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @contextmanager
    def listening(self, project_id: int) -> Iterator[asyncio.Event]:
        """An event set by every wake-up of the project while the block runs.

        Listen *before* reading the events table and clear the event before each read: a change
        announced during the read then ends the next wait at once instead of being missed.
        """
        woken = asyncio.Event()
        self._waiters.setdefault(project_id, set()).add(woken)
        try:
            yield woken
        finally:
            waiters = self._waiters.get(project_id, set())
            waiters.discard(woken)
            if not waiters:
                self._waiters.pop(project_id, None)

    def wake(self, project_id: int) -> None:
        for woken in self._waiters.get(project_id, ()):
            woken.set()

    async def publish(self, project_ids: Iterable[int]) -> None:
        for project_id in project_ids:
            self.wake(project_id)

    def publish_soon(self, project_ids: set[int]) -> None:
        """From synchronous code (a session event): publish without waiting for it."""
        task = asyncio.get_running_loop().create_task(self.publish(project_ids))
        self._tasks.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        """Nothing to connect to in-process."""

    async def stop(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1)


class RedisNotifier(Notifier):
    """Wake-ups shared by every worker through Redis publish/subscribe."""

    poll_seconds = REDIS_POLL_SECONDS

    def __init__(self, url: str) -> None:
        super().__init__()
        from redis.asyncio import Redis  # the redis extra; only needed with REDIS_URL

        self.redis = Redis.from_url(url)
        self._listener: asyncio.Task[None] | None = None

    async def publish(self, project_ids: Iterable[int]) -> None:
        for project_id in project_ids:
            try:
                await self.redis.publish(f"{CHANNEL_PREFIX}{project_id}", b"1")
            except Exception:  # Redis down: viewers on other workers still poll
                logger.warning("could not publish a live update", exc_info=True)
                self.wake(project_id)

    async def start(self) -> None:
        self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
                    async for message in pubsub.listen():
                        self._dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # reconnect; meanwhile streams keep polling
                logger.warning("live updates lost Redis; retrying", exc_info=True)
                await asyncio.sleep(POLL_SECONDS)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") != "pmessage":
            return
        channel = message["channel"]
        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
        project_id = channel.removeprefix(CHANNEL_PREFIX)
        if project_id.isdigit():
            self.wake(int(project_id))

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await super().stop()
        await self.redis.aclose()


@event.listens_for(Session, "after_flush")
def _remember_changed_projects(session: Session, _flush_context: Any) -> None:
    changed = {item.project_id for item in session.new if isinstance(item, IssueEvent)}
    if changed:
        session.info.setdefault(CHANGED_PROJECTS, set()).update(changed)


@event.listens_for(Session, "after_commit")
def _publish_changed_projects(session: Session) -> None:
    changed: set[int] = session.info.pop(CHANGED_PROJECTS, set())
    on_commit: Callable[[set[int]], None] | None = session.info.get(ON_COMMIT)
    if changed and on_commit is not None:
        on_commit(changed)


@event.listens_for(Session, "after_rollback")
def _forget_changed_projects(session: Session) -> None:
    session.info.pop(CHANGED_PROJECTS, None)


async def wait_for_wake_up(woken: asyncio.Event, seconds: float) -> None:
    """Until ``woken`` is set or ``seconds`` pass, whichever comes first."""
    with suppress(TimeoutError):
        await asyncio.wait_for(woken.wait(), seconds)


def get_notifier() -> Notifier:
    notifier: Notifier = current_app.extensions["live"]
    return notifier


def init_app(app: Quart) -> None:
    """Start the notifier with the worker, and have the app's write sessions publish to it."""

    @app.before_serving
    async def start_notifier() -> None:
        redis_url = app.config["REDIS_URL"]
        notifier = RedisNotifier(redis_url) if redis_url else Notifier()
        await notifier.start()
        app.extensions["live"] = notifier
        app.extensions["db"].write_sessions.kw.setdefault("info", {})[ON_COMMIT] = (
            notifier.publish_soon
        )

    @app.after_serving
    async def stop_notifier() -> None:
        notifier: Notifier | None = app.extensions.pop("live", None)
        if notifier is not None:
            await notifier.stop()
