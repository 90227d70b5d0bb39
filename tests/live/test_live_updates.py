"""Live updates reach every worker process: real hypercorn servers on one database (and Redis).

A change written through the JSON API on one server must appear on the event stream
(GET /projects/<KEY>/live) of another server: a separate process, so only Redis pub/sub or
polling the events table can carry it. The writer (A, one worker) and the viewer (B, two
workers) with REDIS_URL are shared by the tests of this module, on a database of their own;
each test works in its own project with its own people. The polling test starts its own pair
without REDIS_URL. Users, tokens and browser sessions come straight from the services.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import redis
from quart import Quart
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app import create_app
from quart_app.db import Database
from quart_app.live import POLL_SECONDS, REDIS_POLL_SECONDS, Notifier
from quart_app.models import IssueEvent, Project, TokenScope, User
from quart_app.services import comments, events
from quart_app.services.accounts import create_user
from quart_app.services.api_tokens import create_api_token
from quart_app.services.projects import create_project
from quart_app.services.sessions import start_session
from quart_app.web.live import changes_stream
from tests.factories import acting_as, open_issue
from tests.live import server
from tests.live.server import LiveServer
from tests.support import (
    ON_POSTGRES,
    TEST_DATABASE_URL,
    config_for,
    create_current_schema,
    execute_admin_sql,
    run_sync,
    with_search_path,
)

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
COOKIE = "__Host-session_id"  # the production session cookie (Secure: set by hand over HTTP)
# Generous: a change that misses its wake-up still comes with the next poll (at most
# REDIS_POLL_SECONDS, 10 s, with Redis; POLL_SECONDS, 2 s, without).
EVENT_TIMEOUT = REDIS_POLL_SECONDS + 5
# With Redis a change reaches another process in milliseconds; without the message it would
# wait for the safety-net poll. Generous, yet tells them apart.
REDIS_LATENCY = 1.5
assert REDIS_LATENCY < REDIS_POLL_SECONDS


# --- Servers and the database they share ------------------------------------------------------


def require_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI: {error}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    finally:
        client.close()


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Like the ``database_url`` fixture (SQLite file or PostgreSQL schema), for the module's
    shared servers, with the current schema."""
    if not ON_POSTGRES:
        url = f"sqlite:///{tmp_path_factory.mktemp('live-updates') / 'test.sqlite3'}"
        run_sync(create_current_schema(url))
        yield url
        return
    schema = f"test_{uuid.uuid4().hex[:16]}"
    run_sync(execute_admin_sql(f'CREATE SCHEMA "{schema}"'))
    try:
        url = with_search_path(TEST_DATABASE_URL, schema)
        run_sync(create_current_schema(url))
        yield url
    finally:
        run_sync(execute_admin_sql(f'DROP SCHEMA "{schema}" CASCADE'))


def server_environment(database_url: str, folder: Path, redis_url: str | None) -> dict[str, str]:
    environment = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(folder / "instance"),
    }
    if redis_url is not None:
        environment["REDIS_URL"] = redis_url
    return environment


def start_servers(
    environment: dict[str, str], folder: Path, workers: tuple[int, ...]
) -> list[LiveServer]:
    """Start the servers side by side (each takes a second or two to be healthy)."""
    with ThreadPoolExecutor(max_workers=len(workers)) as executor:
        futures = [
            executor.submit(
                server.start_probe_app, environment, workers=count, log_path=folder / f"{n}.log"
            )
            for n, count in enumerate(workers)
        ]
        started = []
        errors = []
        for future in futures:
            try:
                started.append(future.result())
            except Exception as error:  # stop the others before reporting
                errors.append(error)
    if errors:
        for live in started:
            live.stop()
        raise errors[0]
    return started


def stop_servers(servers: list[LiveServer]) -> None:
    """Stop them and check they shut down cleanly, with no error logged while serving."""
    with ThreadPoolExecutor(max_workers=len(servers)) as executor:
        exit_codes = list(executor.map(LiveServer.stop, servers))
    for live, exit_code in zip(servers, exit_codes, strict=True):
        log = live.log()
        assert exit_code == 0, log[-3000:]
        assert "Traceback" not in log, log[-3000:]


@dataclass
class Servers:
    writer: LiveServer  # A: takes the writes (one worker)
    viewer: LiveServer  # B: serves the streams (two workers, WEB_CONCURRENCY=2)
    database_url: str


@pytest.fixture(scope="module")
def redis_servers(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Servers]:
    require_redis()
    folder = tmp_path_factory.mktemp("redis-servers")
    environment = server_environment(module_database_url, folder, REDIS_URL)
    servers = start_servers(environment, folder, workers=(1, 2))
    try:
        yield Servers(servers[0], servers[1], module_database_url)
    finally:
        stop_servers(servers)


# --- People, arranged through the services ----------------------------------------------------


@dataclass(frozen=True)
class Person:
    username: str
    token: str  # an API token, for writes through the JSON API
    cookie: str  # a browser session, for the streams of private projects

    def api_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={self.cookie}"}


async def create_people(database_url: str, *usernames: str) -> list[Person]:
    database = Database.from_config(create_app(config_for(database_url)).config)
    people = []
    try:
        async with database.write_sessions() as session:
            for username in usernames:
                user = await create_user(
                    session, username=username, email=f"{username}@example.com",
                    password="p" * 12, verified=True,
                )  # fmt: skip
                _token, secret = await create_api_token(
                    session, user, name="live", scope=TokenScope.READ_WRITE, expires_at=None
                )
                _record, cookie = await start_session(session, user, absolute_ttl_seconds=3600)
                people.append(Person(user.username, secret, cookie))
            await session.commit()
    finally:
        await database.dispose()
    return people


def unique(prefix: str) -> str:
    """A project key or username no other test of the shared database uses."""
    return f"{prefix}{uuid.uuid4().hex[:6].upper()}"


# --- Writing through the JSON API -------------------------------------------------------------


class Api:
    """One person calling the JSON API of one server."""

    def __init__(self, client: httpx.AsyncClient, person: Person) -> None:
        self.client = client
        self.person = person

    async def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = await self.client.request(
            method, f"/api/v1{path}", json=body, headers=self.person.api_headers()
        )
        assert response.status_code == status, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    async def project(self, key: str, visibility: str) -> None:
        body = {"key": key, "name": f"{key} project", "visibility": visibility}
        await self.ok("POST", "/projects", body, status=201)

    async def open_issue(self, key: str, title: str = "Live") -> int:
        issue = await self.ok("POST", f"/projects/{key}/issues", {"title": title}, status=201)
        number: int = issue["number"]
        return number

    async def comment(self, key: str, number: int, body: str = "Seen it") -> None:
        await self.ok("POST", f"/projects/{key}/issues/{number}/comments", {"body": body}, 201)

    async def set_state(self, key: str, number: int, state: str) -> None:
        response = await self.client.patch(
            f"/api/v1/projects/{key}/issues/{number}",
            json={"state": state},
            headers={**self.person.api_headers(), "If-Match": "*"},
        )
        assert response.status_code == 200, response.text


@asynccontextmanager
async def api(live: LiveServer, person: Person) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        yield Api(client, person)


# --- Reading the event stream -----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    id: int
    issue: int
    kind: str
    arrived: float = field(compare=False)  # time.monotonic() when it was read


class Stream:
    """One text/event-stream connection, read in the background: changes queue up as they come."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.changes: asyncio.Queue[Change] = asyncio.Queue()
        self.retry: str | None = None
        self.opened = asyncio.Event()  # set when the retry: line arrived
        self.reader: asyncio.Task[None]  # ends when the server ends the stream

    async def read(self) -> None:
        fields: dict[str, str] = {}
        async for line in self.response.aiter_lines():
            if line:
                name, _, value = line.partition(":")
                if name:  # a line starting with ":" is a comment (keep-alive)
                    fields[name] = value.removeprefix(" ")
                continue
            if "retry" in fields:
                self.retry = fields["retry"]
                self.opened.set()
            if fields.get("event") == "change":
                data = json.loads(fields["data"])
                assert set(data) == {"event", "issue", "kind"}, data
                # `id:` is where a reconnect resumes (the newest id sent); `event` is this one's
                assert int(fields["id"]) >= data["event"]
                change = Change(data["event"], data["issue"], data["kind"], time.monotonic())
                self.changes.put_nowait(change)
            fields = {}

    async def next(self, timeout: float = EVENT_TIMEOUT) -> Change:
        """The next change; TimeoutError if none comes in time, AssertionError if the stream
        ended (or sent something malformed) first."""
        getting = asyncio.ensure_future(self.changes.get())
        done, _ = await asyncio.wait(
            {getting, self.reader}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if getting in done:
            return getting.result()
        getting.cancel()
        if self.reader in done:
            raise AssertionError(f"the stream ended: {self.reader.exception()!r}")
        raise TimeoutError

    async def take(self, count: int, timeout: float = EVENT_TIMEOUT) -> list[Change]:
        """The next ``count`` changes, each within ``timeout`` (the failure shows what came)."""
        taken: list[Change] = []
        started = time.monotonic()
        while len(taken) < count:
            try:
                taken.append(await self.next(timeout))
            except TimeoutError:
                waited = time.monotonic() - started
                pytest.fail(f"{len(taken)} of {count} changes after {waited:.1f}s: {taken}")
        return taken

    async def assert_quiet(self, seconds: float) -> None:
        """Nothing more arrives (no duplicate, nothing unexpected) for ``seconds``."""
        await asyncio.sleep(seconds)
        assert self.changes.empty(), [
            self.changes.get_nowait() for _ in range(self.changes.qsize())
        ]


async def get_stream(
    live: LiveServer, key: str, headers: dict[str, str] | None = None, **params: str
) -> httpx.Response:
    """A request for the stream that is not expected to open (the response is read whole)."""
    async with httpx.AsyncClient(base_url=live.base_url, timeout=EVENT_TIMEOUT) as client:
        return await client.get(f"/projects/{key}/live", headers=headers, params=params)


@asynccontextmanager
async def stream(
    live: LiveServer, key: str, headers: dict[str, str] | None = None, **params: str
) -> AsyncIterator[Stream]:
    """An open stream (its own connection), ready when this enters: the retry: line arrived."""
    timeout = httpx.Timeout(EVENT_TIMEOUT, read=None)  # a quiet stream is not a stalled one
    async with (
        httpx.AsyncClient(base_url=live.base_url, timeout=timeout) as client,
        client.stream("GET", f"/projects/{key}/live", headers=headers, params=params) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        opened = Stream(response)
        opened.reader = asyncio.create_task(opened.read())
        try:
            await asyncio.wait_for(opened.opened.wait(), EVENT_TIMEOUT)
            yield opened
        finally:
            opened.reader.cancel()
            await asyncio.gather(opened.reader, return_exceptions=True)


def summary(changes: list[Change]) -> list[tuple[int, str]]:
    return [(change.issue, change.kind) for change in changes]


async def events_in_database(database_url: str, key: str) -> list[int]:
    """The ids of the project's events, in order: what a stream must send, each once."""
    database = Database.from_config(create_app(config_for(database_url)).config)
    try:
        async with database.read_sessions() as session:
            ids = await session.scalars(
                select(IssueEvent.id)
                .join(Project, Project.id == IssueEvent.project_id)
                .where(Project.key == key)
                .order_by(IssueEvent.id)
            )
            return list(ids)
    finally:
        await database.dispose()


# --- The tests --------------------------------------------------------------------------------


async def test_a_change_written_on_one_server_reaches_a_stream_on_another_through_redis(
    redis_servers: Servers,
) -> None:
    key = unique("RD")
    [owner] = await create_people(redis_servers.database_url, unique("owner"))
    async with api(redis_servers.writer, owner) as writer:
        await writer.project(key, "public")
        number = await writer.open_issue(key)
        [opened_id] = await events_in_database(redis_servers.database_url, key)
        # Anonymous (a public project), from just before the issue was opened: the stream's
        # first read sends it, so afterwards the stream is certainly waiting for news.
        async with stream(redis_servers.viewer, key, after=str(opened_id - 1)) as viewer:
            assert viewer.retry == "2000"
            opened = await viewer.next()

            await writer.comment(key, number)
            written = time.monotonic()
            commented = await viewer.next()
            comment_latency = commented.arrived - written

            await writer.set_state(key, number, "closed")
            written = time.monotonic()
            closed = await viewer.next()
            close_latency = closed.arrived - written
            await viewer.assert_quiet(0.3)

    assert summary([opened, commented, closed]) == [
        (number, "opened"), (number, "commented"), (number, "closed")
    ]  # fmt: skip
    assert [opened.id, commented.id, closed.id] == await events_in_database(
        redis_servers.database_url, key
    )
    # Through pub/sub, not the safety-net poll (which would take up to 10 s).
    assert comment_latency < REDIS_LATENCY, comment_latency
    assert close_latency < REDIS_LATENCY, close_latency


async def test_without_redis_a_change_on_one_server_reaches_another_by_polling(
    database_url: str, tmp_path: Path
) -> None:
    await create_current_schema(database_url)
    environment = server_environment(database_url, tmp_path, redis_url=None)
    writer_server, viewer_server = await asyncio.to_thread(
        start_servers, environment, tmp_path, (1, 1)
    )
    try:
        key = unique("PL")
        [owner] = await create_people(database_url, "owner")
        async with api(writer_server, owner) as writer:
            await writer.project(key, "public")
            async with stream(viewer_server, key) as viewer:
                number = await writer.open_issue(key)
                await writer.comment(key, number)
                await writer.set_state(key, number, "closed")
                written = time.monotonic()
                received = await viewer.take(3)
                await viewer.assert_quiet(0.3)
    finally:
        await asyncio.to_thread(stop_servers, [writer_server, viewer_server])

    assert summary(received) == [(number, "opened"), (number, "commented"), (number, "closed")]
    assert [change.id for change in received] == await events_in_database(database_url, key)
    assert received[-1].arrived - written < POLL_SECONDS + 2  # the next poll found them


async def test_reconnecting_with_last_event_id_gets_what_was_missed_once(
    redis_servers: Servers,
) -> None:
    key = unique("RS")
    [owner] = await create_people(redis_servers.database_url, unique("owner"))
    async with api(redis_servers.writer, owner) as writer:
        await writer.project(key, "public")
        first_issue = await writer.open_issue(key)  # the page showed this one
        [page_rendered_at] = await events_in_database(redis_servers.database_url, key)
        second_issue = await writer.open_issue(key)  # news to the page

        async with stream(redis_servers.viewer, key, after=str(page_rendered_at)) as viewer:
            seen = await viewer.take(1)
            await writer.comment(key, second_issue)
            seen += await viewer.take(1)

        # Disconnected: three changes happen meanwhile.
        await writer.comment(key, first_issue)
        await writer.set_state(key, first_issue, "closed")
        await writer.comment(key, second_issue)

        # The browser reconnects (here to the other server) with the id of the last event it
        # got, keeping the page's original ?after= in the URL, as EventSource does.
        headers = {"Last-Event-ID": str(seen[-1].id)}
        async with stream(
            redis_servers.writer, key, headers, after=str(page_rendered_at)
        ) as resumed:
            missed = await resumed.take(3)
            await writer.set_state(key, first_issue, "open")  # and live again
            missed += await resumed.take(1)
            await resumed.assert_quiet(0.5)

    assert summary(seen) == [(second_issue, "opened"), (second_issue, "commented")]
    assert summary(missed) == [
        (first_issue, "commented"), (first_issue, "closed"), (second_issue, "commented"),
        (first_issue, "reopened"),
    ]  # fmt: skip
    every_id = [change.id for change in seen + missed]
    database_ids = await events_in_database(redis_servers.database_url, key)
    assert every_id == [event_id for event_id in database_ids if event_id > page_rendered_at]
    assert len(set(every_id)) == len(every_id)  # none twice


async def test_a_private_stream_is_for_members_and_refused_once_a_member_is_removed(
    redis_servers: Servers,
) -> None:
    key = unique("PV")
    owner, member, outsider = await create_people(
        redis_servers.database_url, unique("owner"), unique("member"), unique("outsider")
    )
    async with api(redis_servers.writer, owner) as writer:
        await writer.project(key, "private")
        body = {"username": member.username, "role": "reporter"}
        await writer.ok("POST", f"/projects/{key}/members", body, status=201)
        number = await writer.open_issue(key)

        anonymous = await get_stream(redis_servers.viewer, key, after="0")
        stranger = await get_stream(redis_servers.viewer, key, outsider.cookie_header(), after="0")
        # A Bearer token counts on the API only: on a page it is nobody.
        bearer = await get_stream(redis_servers.viewer, key, member.api_headers(), after="0")
        async with stream(redis_servers.viewer, key, member.cookie_header(), after="0") as viewer:
            assert summary(await viewer.take(1)) == [(number, "opened")]

        await writer.ok("DELETE", f"/projects/{key}/members/{member.username}", status=204)
        removed = await get_stream(redis_servers.viewer, key, member.cookie_header())
        removed_elsewhere = await get_stream(redis_servers.writer, key, member.cookie_header())
        resuming = {**member.cookie_header(), "Last-Event-ID": "0"}
        removed_resuming = await get_stream(redis_servers.viewer, key, resuming)

    refused = [anonymous, stranger, bearer, removed, removed_elsewhere, removed_resuming]
    for response in refused:
        assert response.status_code == 404, response.text
        assert not response.headers["content-type"].startswith("text/event-stream")
        assert "event: change" not in response.text


async def test_every_stream_on_a_two_worker_server_gets_every_change_once(
    redis_servers: Servers,
) -> None:
    """Eight streams on B's two workers; writes on A and on B, so each stream sees changes made
    by another server, by the other worker of its own server (the kernel spreads connections,
    usually over both) and, for some, by its own worker (an in-process wake-up)."""
    key = unique("FN")
    [owner] = await create_people(redis_servers.database_url, unique("owner"))
    async with (
        api(redis_servers.writer, owner) as on_a,
        api(redis_servers.viewer, owner) as on_b,
        AsyncExitStack() as streams_open,
    ):
        await on_a.project(key, "public")
        first, second = await on_a.open_issue(key), await on_b.open_issue(key)
        streams = [
            await streams_open.enter_async_context(stream(redis_servers.viewer, key, after="0"))
            for _ in range(8)
        ]
        received = list(await asyncio.gather(*(s.take(2) for s in streams)))
        latencies = []
        for write in (
            on_a.comment(key, first),
            on_b.comment(key, second),
            on_b.set_state(key, first, "closed"),
            on_a.set_state(key, second, "closed"),
        ):
            await write
            written = time.monotonic()
            changes = await asyncio.gather(*(s.take(1) for s in streams))
            latencies.append(max(change.arrived for [change] in changes) - written)
            for taken, [change] in zip(received, changes, strict=True):
                taken.append(change)
        await asyncio.gather(*(s.assert_quiet(0.3) for s in streams))

    database_ids = await events_in_database(redis_servers.database_url, key)
    expected = [
        (first, "opened"), (second, "opened"), (first, "commented"), (second, "commented"),
        (first, "closed"), (second, "closed"),
    ]  # fmt: skip
    for every_change in received:
        assert summary(every_change) == expected
        assert [change.id for change in every_change] == database_ids
    assert max(latencies) < REDIS_LATENCY, latencies


# --- Bugs -------------------------------------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has one writer at a time: ids commit in order")
async def test_an_event_committed_after_a_later_one_still_reaches_the_stream(
    redis_servers: Servers,
) -> None:
    key = unique("OO")
    [owner] = await create_people(redis_servers.database_url, unique("owner"))
    database = Database.from_config(create_app(config_for(redis_servers.database_url)).config)
    try:
        async with api(redis_servers.writer, owner) as writer:
            await writer.project(key, "public")
            slow_issue, fast_issue = await writer.open_issue(key), await writer.open_issue(key)
            async with stream(redis_servers.viewer, key) as viewer:
                async with database.write_sessions() as session:  # a slower request
                    project = await session.scalar(select(Project).where(Project.key == key))
                    author = await session.scalar(
                        select(User).where(User.username == owner.username)
                    )
                    assert project is not None and author is not None
                    await comments.add_comment(
                        session, acting_as(project, author), slow_issue, body="slow"
                    )
                    await session.flush()  # its event has its id now
                    await writer.comment(key, fast_issue)  # a later id, committed first
                    fast = await viewer.next()
                    await session.commit()
                await writer.comment(key, fast_issue)  # wakes the stream (Redis) once more
                received = [fast, await viewer.next()]
                await asyncio.sleep(1)  # anything else on its way
                while not viewer.changes.empty():
                    received.append(viewer.changes.get_nowait())
    finally:
        await database.dispose()

    database_ids = await events_in_database(redis_servers.database_url, key)
    slow_id = database_ids[2]
    assert slow_id < fast.id  # the situation: the earlier id committed later
    assert sorted(change.id for change in received) == database_ids[2:]


class SafetyNetPolling(Notifier):
    poll_seconds = REDIS_POLL_SECONDS  # as with Redis: polling is only for lost messages


class WakeAfterTheQuery:
    """The app's database, except that once, just after a stream's query ran (while its session
    closes), another request commits a change and the wake-up for it arrives: what a Redis
    message landing in that moment does."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.write: Any = None

    @asynccontextmanager
    async def read_sessions(self) -> AsyncIterator[AsyncSession]:
        async with self.database.read_sessions() as session:
            yield session
        if self.write is not None:
            write, self.write = self.write, None
            await write()


async def test_a_wake_up_during_the_query_is_not_lost(app: Quart) -> None:
    """In-process (the timing cannot be forced across processes): the real stream generator."""
    database: Database = app.extensions["db"]
    async with database.write_sessions() as session:
        owner = await create_user(
            session, username="owner", email="o@example.com", password="p" * 12, verified=True
        )
        project = await create_project(session, owner=owner, key="WAKE", name="Wake")
        await open_issue(session, project, owner)
        await session.commit()
        after = await events.latest_event_id(session, project.id)
        owner_id, project_id = owner.id, project.id
    notifier = SafetyNetPolling()
    wrapper = WakeAfterTheQuery(database)

    async def comment_and_announce() -> None:
        async with database.write_sessions() as session:
            author = await session.get(User, owner_id)
            mine = await session.get(Project, project_id)
            assert author is not None and mine is not None
            await comments.add_comment(session, acting_as(mine, author), 1, body="now")
            await session.commit()
        notifier.wake(project_id)

    stream = changes_stream(cast(Database, wrapper), notifier, project_id, after)
    changes = cast(AsyncGenerator[bytes], stream)  # an async generator function
    try:
        assert (await anext(changes)).startswith(b"retry:")
        wrapper.write = comment_and_announce
        # The change is committed and announced: it should come now, not at the next poll.
        chunk = await asyncio.wait_for(anext(changes), 2)
    finally:
        await changes.aclose()
    assert b'"kind": "commented"' in chunk


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="BUG: an open live stream does not end when the server shuts down: SIGTERM waits out "
    "hypercorn's graceful_timeout (5 s) for it, then cuts the connection mid-body and logs an "
    "asyncio ERROR with a CancelledError traceback. Every deploy while someone has a project page "
    "open takes the whole grace period and logs a traceback per open page.",
)
async def test_an_open_stream_ends_promptly_and_cleanly_at_shutdown(
    database_url: str, tmp_path: Path
) -> None:
    await create_current_schema(database_url)
    environment = server_environment(database_url, tmp_path, redis_url=None)
    [live] = await asyncio.to_thread(start_servers, environment, tmp_path, (1,))
    try:
        [owner] = await create_people(database_url, "owner")
        async with api(live, owner) as writer:
            await writer.project("DOWN", "public")
        async with stream(live, "DOWN") as viewer:
            started = time.monotonic()
            stopping = asyncio.create_task(asyncio.to_thread(live.stop))  # SIGTERM, as on deploy
            await asyncio.wait([viewer.reader], timeout=EVENT_TIMEOUT)
            stream_ended_after = time.monotonic() - started
            cut = viewer.reader.exception() if viewer.reader.done() else None
            exit_code = await stopping
            stopped_after = time.monotonic() - started
    finally:
        await asyncio.to_thread(live.stop)
    assert exit_code == 0
    assert cut is None, f"the stream was cut mid-body after {stream_ended_after:.1f}s: {cut!r}"
    assert stream_ended_after < 2, stream_ended_after  # it ends itself; the browser reconnects
    assert stopped_after < 4, stopped_after
    assert "Traceback" not in live.log(), live.log()[-3000:]
