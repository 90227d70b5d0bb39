"""How pages render: synchronously (quart_app/rendering.py), with every context processor
async (so no render waits for a thread), and the helpers that build HTML in Python."""

from __future__ import annotations

import inspect

import pytest
import quart
from flask.templating import _default_template_ctx_processor as flask_default_processor
from jinja2 import Environment
from quart import Quart, render_template_string

from quart_app.models import User
from quart_app.rendering import render_template, synchronous_environment
from quart_app.security.csrf import csrf_token
from quart_app.services.issue_view import Member
from quart_app.web.templating import (
    avatar,
    avatar_colour,
    csrf_field,
    drop_flask_context_processors,
    member_options,
)

pytestmark = pytest.mark.web


def test_every_context_processor_is_async(app: Quart) -> None:
    """Quart runs a synchronous processor in a worker thread on every render; each blueprint
    brings Flask's (synchronous) default one, which create_app must have removed."""
    found = {
        (blueprint, processor.__module__): inspect.iscoroutinefunction(processor)
        for blueprint, processors in app.template_context_processors.items()
        for processor in processors
    }
    assert found[(None, "quart.templating")]  # Quart's own: g, request and session
    assert all(found.values()), [where for where, is_async in found.items() if not is_async]


async def test_a_blueprint_s_page_still_sees_the_request(app: Quart) -> None:
    async with app.test_request_context("/projects/WEB/issues/1?tab=x"):
        assert await render_template_string("{{ request.args.tab }}") == "x"


def test_the_assignee_options_escape_names_and_skip_the_assigned() -> None:
    hostile = Member(1, "eve", '<script>alert("x")</script> & co')
    assigned = User(username="ada", email="ada@example.com", password_hash="x")
    assigned.id = 2
    ada = Member(2, "ada", "")

    options = member_options([hostile, ada], [assigned])

    assert str(options) == (
        '<option value="eve">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'
        " (@eve)</option>"
    )


def test_the_assignee_options_follow_a_renamed_member() -> None:
    """The escaped options are kept per member list: a new name is a new list."""
    before = member_options((Member(1, "eve", "Eve"),), [])
    after = member_options((Member(1, "eve", "Eve <Admin>"),), [])

    assert str(before) == '<option value="eve">Eve (@eve)</option>'
    assert str(after) == '<option value="eve">Eve &lt;Admin&gt; (@eve)</option>'


@pytest.mark.parametrize(
    ("template", "context"),
    [("error.html", {"status": 404, "message": "No <such> page"}), ("docs.html", {})],
)
async def test_a_page_renders_as_quart_s_async_rendering_would(
    app: Quart, template: str, context: dict[str, object]
) -> None:
    async with app.test_request_context("/docs"):
        ours = await render_template(template, **context)
        quarts = await quart.render_template(template, **context)
    assert ours == quarts
    assert "&lt;such&gt;" in ours or template != "error.html"


async def test_nothing_a_template_can_call_is_async(app: Quart) -> None:
    """The synchronous renderer would print a coroutine where an async global or filter ran."""
    environment: Environment = synchronous_environment(app)
    assert not environment.is_async
    callables = {**environment.globals, **environment.filters, **environment.tests}
    async with app.test_request_context("/"):  # g and request are proxies to the request's
        asynchronous = sorted(
            name for name, function in callables.items() if inspect.iscoroutinefunction(function)
        )
    assert "csrf_token" in callables
    assert asynchronous == []


def test_an_avatar_follows_a_changed_name() -> None:  # its markup is built once, and kept
    assert ">AL</span>" in str(avatar(Member(1, "ada", "Ada Lovelace")))
    assert ">AK</span>" in str(avatar(Member(1, "ada", "Ada King")))
    assert ">AD</span>" in str(avatar(Member(1, "ada-dev", "")))


async def test_avatars_and_csrf_fields_are_built_escaped(app: Quart) -> None:
    someone = Member(7, "o-brien", "<b>O'Brien</b> Jr")
    assert str(avatar(someone, size="small")) == (
        f'<span class="avatar avatar-{avatar_colour(someone)} avatar-small" aria-hidden="true">'
        "&lt;J</span>"
    )
    assert str(avatar(None)) == '<span class="avatar avatar-0" aria-hidden="true">?</span>'
    async with app.test_request_context("/"):
        token = csrf_token()
        assert str(csrf_field()) == f'<input type="hidden" name="csrf_token" value="{token}">'


def test_only_flask_s_own_processor_is_dropped(app: Quart) -> None:
    """A synchronous processor of ours is kept (and fails the test above), never lost."""

    def ours() -> dict[str, str]:
        return {"x": "y"}

    app.template_context_processors["web_issues"].append(flask_default_processor)
    app.template_context_processors["web_issues"].append(ours)

    drop_flask_context_processors(app)

    assert app.template_context_processors["web_issues"] == [ours]
