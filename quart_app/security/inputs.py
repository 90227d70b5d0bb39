"""Input every route gets for free: ids that fit the database, and text the database can store."""

from __future__ import annotations

from typing import Any

from quart import Quart, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from quart_app.db import SAFE_METHODS
from quart_app.errors import APIError

MAXIMUM_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; a bigger one cannot exist: 404, not 500
NUL = "\x00"


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route: ids are 1 to 2**31-1 (documented so in OpenAPI).

    The range is checked after routing (``refuse_impossible_ids``), not here: a converter that
    refuses a value makes the route not match, and werkzeug then answers 405 for a PATCH when
    a GET shares the path, where 404 is the truth.
    """

    minimum, maximum = 1, MAXIMUM_ID


def refuse_impossible_ids(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """url_value_preprocessor: an id out of range cannot exist (and would overflow PostgreSQL)."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 1 <= value <= MAXIMUM_ID:
            raise NotFound()


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, dict):
        return [
            p for key, item in value.items() for p in _nul_paths(item, f"{path}.{key}".lstrip("."))
        ]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _nul_paths(item, f"{path}.{index}")]
    return []


async def refuse_nul_characters() -> None:
    """before_request: PostgreSQL cannot store NUL in text, and no person types one."""
    fields = ["path"] if NUL in request.path else []
    fields += [name for name, value in request.args.items(multi=True) if NUL in name + value]
    if request.method not in SAFE_METHODS:
        form = await request.form
        fields += [name for name, value in form.items(multi=True) if NUL in name + value]
        fields += _nul_paths(await _json_body(), "")
    if fields:
        details = [
            {"field": name or None, "message": "Remove the NUL character."} for name in fields
        ]
        raise APIError(422, "VALIDATION_ERROR", "The request contains a NUL character.", details)


async def _json_body() -> Any:
    try:
        return await request.get_json(silent=True)
    except RecursionError:  # get_json(silent=True) only swallows ValueError
        raise APIError(400, "BAD_REQUEST", "The JSON body is nested too deeply.") from None


def init_app(app: Quart) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter
    app.url_value_preprocessor(refuse_impossible_ids)
    app.before_request(refuse_nul_characters)
