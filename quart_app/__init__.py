"""quart_app: an async issue tracker for small teams. ``create_app`` is the only way in."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hypercorn.middleware import ProxyFixMiddleware
from pydantic import BaseModel
from quart import Quart
from quart_schema import APIKeySecurityScheme, HttpSecurityScheme, Info, QuartSchema, conversion

from quart_app import api, db, errors, health, live, mail, web
from quart_app.api.openapi import ApiDocument
from quart_app.config import load_config
from quart_app.migrate import ensure_schema_current
from quart_app.security import auth, csrf, headers, inputs, rate_limits
from quart_app.web import templating

__all__ = ["create_app"]


def create_app(overrides: Mapping[str, Any] | None = None) -> Quart:
    """Build an app: defaults, then the environment, then ``overrides`` (tests pass these)."""
    app = Quart(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None)
    app.config.update(load_config(overrides=overrides, instance_path=Path(app.instance_path)))
    _configure_logging(app.config["LOG_LEVEL"])
    _init_openapi(app)
    _trust_proxies(app)
    db.init_app(app)
    live.init_app(app)  # after db: it hooks the write sessions
    errors.init_app(app)
    mail.init_app(app)
    inputs.init_app(app)  # before any route is registered: it replaces the int converter
    # Order matters: who is asking, then CSRF (needs the session), then the rate limits.
    auth.init_app(app)
    csrf.init_app(app)
    rate_limits.init_app(app)
    headers.init_app(app)
    app.register_blueprint(health.blueprint)
    api.init_app(app)
    web.init_app(app)
    templating.drop_flask_context_processors(app)  # after every blueprint

    @app.before_serving
    async def refuse_outdated_schema() -> None:
        database = db.get_database()
        try:
            await ensure_schema_current(database.read_engine)
        except BaseException:
            # after_serving will not run when start-up fails; an open aiosqlite engine hangs exit.
            del app.extensions["db"]
            await database.dispose()
            raise

    return app


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_skip_hypercorn_records)


def _skip_hypercorn_records(record: logging.LogRecord) -> bool:
    # hypercorn prints its error and access logs through handlers of its own; don't print twice.
    return not record.name.startswith("hypercorn.")


def _trust_proxies(app: Quart) -> None:
    """Behind N reverse proxies, take the client address from their X-Forwarded-For entries."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops > 0:
        app.asgi_app = ProxyFixMiddleware(app.asgi_app, mode="legacy", trusted_hops=hops)  # type: ignore[method-assign]


def _cache_response_type_adapters() -> None:
    """Build quart-schema's response converters once per type, not once per response.

    For every dict or list a view returns (and every dict of headers, such as an ETag),
    quart-schema 0.25 constructs a new pydantic ``TypeAdapter(type(value))``: about 0.1 ms per
    response, measured under load. The adapter depends on the type alone, so a cache is safe.
    """
    adapter: Any = getattr(conversion, "TypeAdapter")  # noqa: B009 - not exported, on purpose
    if not hasattr(adapter, "cache_info"):
        setattr(conversion, "TypeAdapter", functools.lru_cache(maxsize=64)(adapter))  # noqa: B010


def _init_openapi(app: Quart) -> None:
    _cache_response_type_adapters()
    cookie_name = app.config["AUTH_COOKIE_NAME"]
    QuartSchema(
        app,
        info=Info(title="quart_app", version="1", description="An issue tracker for small teams."),
        security_schemes={
            "bearerToken": HttpSecurityScheme(scheme="bearer"),
            "sessionCookie": APIKeySecurityScheme(in_="cookie", name=cookie_name),
        },
        security=[{"bearerToken": []}, {"sessionCookie": []}],
        openapi_path="/openapi.json",
        swagger_ui_path=None,  # its page loads Swagger UI from a CDN: web/pages.py serves ours
        redoc_ui_path=None,
        openapi_provider_class=ApiDocument,
        scalar_ui_path=None,
        # Responses become JSON-ready values in pydantic's own (compiled) serialiser: dates as
        # ISO 8601 text, as before, without a Python fallback called for each date. quart-schema
        # passes these to model_dump() and dump_python(), which take "mode"; its type omits it.
        pydantic_dump_options={"mode": "json"},  # type: ignore[arg-type]
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # fields in their models' order
    _serialise_models_to_json_directly(app)


def _serialise_models_to_json_directly(app: Quart) -> None:
    """Turn a response model into JSON text in one step, in pydantic's compiled serialiser.

    quart-schema's ``make_response`` dumps a model to Python values (``model_dump``), which
    Quart's JSON provider then encodes in Python: both steps were 12 % of an API list request
    under load (docs/performance.md). ``model_dump_json`` writes the same JSON (the models'
    field order, dates as ISO 8601) without the intermediate values. Wrapped around
    quart-schema's ``make_response``, which still converts everything else, header models too.
    """
    convert_and_make_response = app.make_response

    async def make_response(result: Any) -> Any:
        value, *status_and_headers = result if isinstance(result, tuple) else (result,)
        if isinstance(value, BaseModel):
            body = value.model_dump_json() + "\n"  # Quart's JSON provider ends with a newline
            value = app.response_class(body, mimetype="application/json")
            result = (value, *status_and_headers) if status_and_headers else value
        return await convert_and_make_response(result)

    app.make_response = make_response  # type: ignore[method-assign]
