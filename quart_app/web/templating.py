"""What templates need to show people and events: initials, dates, sentences for events."""

from __future__ import annotations

import functools
import html
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask.templating import _default_template_ctx_processor as flask_default_processor
from markupsafe import Markup, escape
from quart import Quart, request

from quart_app.models import IssueEvent, User
from quart_app.security.csrf import csrf_token
from quart_app.services import events
from quart_app.services.issue_view import Member

AVATAR_COLOURS = 8  # .avatar-0 … .avatar-7 in app.css, each with enough contrast for its text
CLOSE_REASONS = {"completed": "completed", "not_planned": "not planned", "duplicate": "a duplicate"}
SENTENCES = {
    events.OPENED: "opened this issue",
    events.TITLE_CHANGED: "changed the title from “{before}” to “{after}”",
    events.BODY_EDITED: "edited the description",
    events.CLOSED: "closed this as {reason}",
    events.REOPENED: "reopened this issue",
    events.LABELED: "added the label {after}",
    events.UNLABELED: "removed the label {before}",
    events.ASSIGNED: "assigned {after}",
    events.UNASSIGNED: "unassigned {before}",
    events.COMMENTED: "commented",
}


def initials(user: User | Member | None) -> str:
    return _initials(user.username, user.display_name) if user is not None else "?"


def _initials(username: str, display_name: str) -> str:
    words = (display_name or username).replace("_", " ").replace("-", " ").split()
    return "".join(word[0] for word in words[:2]).upper() or "?"


def avatar_colour(user: User | Member | None) -> int:
    """The same colour for a person on every page (it decorates; the name is always there)."""
    return _colour(user.username) if user is not None else 0


def _colour(username: str) -> int:
    return zlib.crc32(username.encode()) % AVATAR_COLOURS


def person(user: User | Member | None) -> str:
    return (user.display_name or user.username) if user is not None else "a deleted account"


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.isoformat()


def describe(event: IssueEvent) -> str:
    """What an event did, as the rest of a sentence that starts with who did it."""
    data = {key: str(value) for key, value in event.data.items()}
    if event.kind == events.MILESTONED:
        if event.data.get("after") is None:
            return f"removed the milestone {data.get('before')}"
        return f"moved this to the milestone {data['after']}"
    if event.kind == events.CLOSED:
        data["reason"] = CLOSE_REASONS.get(data.get("reason", ""), "completed")
    sentence = SENTENCES.get(event.kind, event.kind.replace("_", " "))
    return sentence.format_map(defaultdict(str, data))


def url_with(**changes: object) -> str:
    """This page's URL with some query parameters changed (filters kept, for tabs and pages).

    Built by hand, not with url_for: a query parameter named like one of url_for's own
    arguments (``_external``, ``endpoint``) must stay a query parameter.
    """
    args = request.args.to_dict(flat=False)
    args.update({name: [str(value)] for name, value in changes.items()})
    return f"{request.path}?{urlencode(args, doseq=True)}"


def init_app(app: Quart) -> None:
    for function in (initials, avatar_colour, avatar, person, when, iso, describe):
        app.add_template_filter(function)
    app.jinja_env.globals["close_reason_names"] = CLOSE_REASONS
    app.add_template_global(url_with)
    app.add_template_global(member_options)
    app.add_template_global(csrf_field)


# Called for every person and every form on a page (the issue page: ~50 avatars, ~60 forms):
# as Python functions, not Jinja macros, which cost three times as much a call.


def avatar(user: User | Member | None, size: str = "") -> Markup:
    """A person's initials in their colour; decoration only (the name is always beside it).

    A filter (``person|avatar``), not a global function: Jinja calls filters directly.
    """
    if user is None:
        return _avatar_markup("", "", size)
    return _avatar_markup(user.username, user.display_name, size)


@functools.lru_cache(maxsize=1024)
def _avatar_markup(username: str, display_name: str, size: str) -> Markup:
    # A page shows the same few people again and again: each one's markup is built once.
    if not username:  # a deleted account
        colour, letters = 0, "?"
    else:
        colour, letters = _colour(username), _initials(username, display_name)
    classes = f"avatar avatar-{colour}" + (f" avatar-{escape(size)}" if size else "")
    return Markup(f'<span class="{classes}" aria-hidden="true">{escape(letters)}</span>')  # noqa: S704 - escaped


def csrf_field() -> Markup:
    """The hidden field that carries this page's CSRF token in a form."""
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">')  # noqa: S704 - escaped


def member_options(members: Sequence[Member], assigned: Iterable[User]) -> Markup:
    """The assignee pick list's ``<option>``s: the members not yet assigned, by name.

    Built here, not in the template: a project can have hundreds of members, and the same loop
    in Jinja (whose async mode awaits every call in it) took three times as long. Each member's
    option is escaped once for a given member list (the same on every view of the project).
    """
    taken = {user.id for user in assigned}
    options = _escaped_options(tuple(members))
    return Markup("".join(option for member_id, option in options if member_id not in taken))  # noqa: S704 - escaped


@functools.lru_cache(maxsize=64)
def _escaped_options(members: tuple[Member, ...]) -> tuple[tuple[int, str], ...]:
    options = []
    for member in members:
        username = html.escape(member.username)
        name = html.escape(person(member))
        options.append((member.id, f'<option value="{username}">{name} (@{username})</option>'))
    return tuple(options)


def drop_flask_context_processors(app: Quart) -> None:
    """Remove the synchronous template context processor each blueprint brings (Flask's default).

    Quart runs a synchronous processor in a worker thread, on every page: a thread hop per render
    that cost the issue page a sixth of its time under load (docs/performance.md). Flask's one
    reads Flask's own context, which Quart never sets, so it only ever returned an empty dict;
    Quart's async equivalent (``g``, ``request``, ``session``) stays in place for every page.
    Only Flask's is removed: a synchronous processor of ours fails a test instead, to be made
    async. Call this after the last blueprint is registered.
    """
    for processors in app.template_context_processors.values():
        processors[:] = [
            processor for processor in processors if processor is not flask_default_processor
        ]
