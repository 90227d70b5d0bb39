"""What templates get: context processors (every one async, so no render waits for a thread)
and the helpers that build HTML in Python."""

from __future__ import annotations

import inspect

import pytest
from quart import Quart, render_template_string

from quart_app.models import User
from quart_app.services.issue_view import Member
from quart_app.web.templating import member_options

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
