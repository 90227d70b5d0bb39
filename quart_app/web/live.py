"""Live updates over Server-Sent Events: the changes to a project's issues as they happen.

A stream sends each new event of the project (``id`` is the event id, ``data`` the issue number
and what happened) and then ends after ``STREAM_SECONDS``; the browser reconnects by itself with
``Last-Event-ID``, so nothing is missed, and access is checked again on every connection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from quart import Blueprint, Response, request

from quart_app.db import Database, get_database, get_session
from quart_app.live import Notifier, get_notifier, wait_for_wake_up
from quart_app.security.auth import current_user
from quart_app.security.rate_limits import rate_limit
from quart_app.services import events
from quart_app.services.access import load_project
from quart_app.web.forms import whole_number

blueprint = Blueprint("web_live", __name__)
STREAM_SECONDS = 55.0  # then the browser reconnects: bounded work per connection, fresh access
KEEPALIVE_SECONDS = 15.0  # a comment line, so proxies do not close a quiet stream
RETRY_MILLISECONDS = 2000
LOOKBACK_IDS = 200  # how far behind the newest event a late-committing one is still found


def resume_after() -> int:
    """The last event the page has seen: Last-Event-ID on a reconnect, else ``?after=``."""
    value = request.headers.get("Last-Event-ID") or request.args.get("after", "")
    after = whole_number(value)
    return after if after is not None else -1


@blueprint.get("/projects/<string:key>/live")
@rate_limit("pages")
async def project_changes(key: str) -> Response:
    """A text/event-stream of the project's issue changes (for its pages' scripts)."""
    session = get_session()
    access = await load_project(session, key, current_user())
    after = resume_after()
    if after < 0:
        after = await events.latest_event_id(session, access.project.id)
    # The request's session closes when the handler returns; the stream opens its own.
    stream = changes_stream(get_database(), get_notifier(), access.project.id, after)
    response = Response(stream, content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    response.timeout = None  # Quart's RESPONSE_TIMEOUT would cut the stream
    return response


async def changes_stream(
    database: Database, notifier: Notifier, project_id: int, after: int
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STREAM_SECONDS
    quiet_since = loop.time()
    yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
    # On PostgreSQL an event id is taken at insert and seen at commit: a slow transaction can
    # commit id 3 after id 4 was sent. Each read looks back LOOKBACK_IDS below the newest id
    # and sends what it has not sent; the ids the browser already had count as sent.
    async with database.read_sessions() as session:
        window = await events.changes_since(session, project_id, max(0, after - LOOKBACK_IDS))
    sent = {change.id for change in window if change.id <= after}
    with notifier.listening(project_id) as woken:
        while loop.time() < deadline:
            woken.clear()  # before the read: a wake-up during it ends the next wait at once
            async with database.read_sessions() as session:
                changes = await events.changes_since(
                    session, project_id, max(0, after - LOOKBACK_IDS), limit=LOOKBACK_IDS + 100
                )
            for change in changes:
                if change.id in sent:
                    continue
                sent.add(change.id)
                after = max(after, change.id)
                data = json.dumps(
                    {"event": change.id, "issue": change.issue_number, "kind": change.kind}
                )
                yield f"id: {after}\nevent: change\ndata: {data}\n\n".encode()
                quiet_since = loop.time()
            sent = {event_id for event_id in sent if event_id > after - LOOKBACK_IDS}
            if loop.time() - quiet_since > KEEPALIVE_SECONDS:
                quiet_since = loop.time()
                yield b": still here\n\n"
            await wait_for_wake_up(woken, min(deadline - loop.time(), notifier.poll_seconds))
