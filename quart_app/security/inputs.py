"""Input every route gets for free: ids that fit the database, and text the database can store."""

from __future__ import annotations

from typing import Any

from quart import Quart, request
from werkzeug.routing import IntegerConverter

from quart_app.db import SAFE_METHODS
from quart_app.errors import APIError

MAXIMUM_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; a bigger one cannot exist: 404, not 500
NUL = "\x00"


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route: 1 to 2**31-1, so a huge id is a 404, not a database error."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAXIMUM_ID)
        super().__init__(map, *args, **kwargs)


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
    fields = [name for name, value in request.args.items(multi=True) if NUL in name + value]
    if request.method not in SAFE_METHODS:
        form = await request.form
        fields += [name for name, value in form.items(multi=True) if NUL in name + value]
        fields += _nul_paths(await request.get_json(silent=True), "")
    if fields:
        details = [
            {"field": name or None, "message": "Remove the NUL character."} for name in fields
        ]
        raise APIError(422, "VALIDATION_ERROR", "The request contains a NUL character.", details)


def init_app(app: Quart) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(refuse_nul_characters)
