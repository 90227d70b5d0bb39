"""Pages rendered by Jinja's synchronous engine.

Quart renders templates with Jinja in async mode, which wraps every call a template makes
(macros, filters, globals) in a check for an awaitable and every loop in an async iterator:
the issue page, with its timeline, forms and pick lists, took 40% longer to render that way
(docs/performance.md). Nothing the templates call is async (a test checks), so pages render
synchronously, in an overlay of Quart's environment: the same loader, globals and filters.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from quart import Quart, current_app
from quart.signals import before_render_template, template_rendered

EXTENSION = "sync_jinja_env"


def synchronous_environment(app: Quart) -> Environment:
    environment: Environment | None = app.extensions.get(EXTENSION)
    if environment is None:
        # A cache of its own: the async environment's cache holds templates compiled for
        # async rendering, which this one must not reuse.
        environment = app.jinja_env.overlay(enable_async=False, cache_size=400)
        app.extensions[EXTENSION] = environment
    return environment


async def render_template(template_name: str, **context: Any) -> str:
    """What ``quart.render_template`` does (context processors, signals), rendered in one go."""
    app: Quart = current_app._get_current_object()  # type: ignore[attr-defined]
    await app.update_template_context(context)
    template = synchronous_environment(app).get_template(template_name)
    wrapper: Any = app.ensure_async  # as quart.templating passes it (its type is overloaded)
    await before_render_template.send_async(
        app, _sync_wrapper=wrapper, template=template, context=context
    )
    rendered = template.render(context)
    await template_rendered.send_async(
        app, _sync_wrapper=wrapper, template=template, context=context
    )
    return rendered
