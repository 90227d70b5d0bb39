"""The access log prints what hypercorn's own would, for every atom, without building them all."""

from __future__ import annotations

import asyncio
import io
import logging
import os
from typing import Any

import pytest
from hypercorn.logging import AccessLogAtoms, Logger

from quart_app import access_log
from quart_app.access_log import AccessLogger, LazyAtoms
from quart_app.serving import hypercorn_config

REQUEST: dict[str, Any] = {
    "type": "http",
    "http_version": "1.1",
    "method": "POST",
    "scheme": "https",
    "path": "/projects/NAV/issues/7/comments",
    "query_string": b"page=2&q=caf\xc3\xa9",
    "client": ("203.0.113.9", 51234),
    "headers": [
        (b"host", b"tracker.example"),
        (b"user-agent", b"Mozilla/5.0 (X11) \xc3\xa9"),
        (b"referer", b"https://tracker.example/projects/NAV"),
        (b"x-request-id", b"first"),
        (b"x-request-id", b"second"),
    ],
}
RESPONSE: dict[str, Any] = {
    "status": 302,
    "headers": [(b"content-length", b"0"), (b"Location", b"/projects/NAV/issues/7")],
}
ATOMS = [
    "h", "l", "r", "R", "s", "st", "S", "m", "U", "Uq", "q", "H", "b", "B", "f", "a", "T", "D",
    "L", "p", "{user-agent}i", "{X-Request-Id}i", "{location}o", "{content-length}o",
    "{no-such-header}i", "{path}e", "nonsense",
]  # fmt: skip


def line(atoms: Any, log_format: str) -> str:
    return log_format % atoms


@pytest.mark.parametrize("atom", ATOMS)
@pytest.mark.parametrize(
    ("request_scope", "response"),
    [
        (REQUEST, RESPONSE),
        ({**REQUEST, "client": None, "headers": []}, None),  # no client, no response
        ({**REQUEST, "client": ("unix.sock",)}, {"status": 599, "headers": []}),
        ({**REQUEST, "type": "websocket", "client": ("a", 1, "b")}, RESPONSE),
    ],
    ids=["full", "bare", "unix socket, unknown status", "websocket, odd client"],
)
def test_every_atom_prints_as_hypercorn_prints_it(
    atom: str, request_scope: dict[str, Any], response: dict[str, Any] | None
) -> None:
    log_format = f"[%({atom})s]"
    expected = line(AccessLogAtoms(request_scope, response, 0.0123456), log_format)  # type: ignore[arg-type]
    assert line(LazyAtoms(request_scope, response, 0.0123456), log_format) == expected  # type: ignore[arg-type]


def refuse(*_: object) -> None:
    raise AssertionError("every atom was built for a format that uses seven")


def test_the_served_format_needs_none_of_the_other_atoms(monkeypatch: pytest.MonkeyPatch) -> None:
    served_format = hypercorn_config({}).access_log_format
    expected = line(AccessLogAtoms(REQUEST, RESPONSE, 0.5), served_format)  # type: ignore[arg-type]
    monkeypatch.setattr(access_log, "AccessLogAtoms", refuse)
    assert line(LazyAtoms(REQUEST, RESPONSE, 0.5), served_format) == expected  # type: ignore[arg-type]


def test_the_served_logger_writes_the_line_hypercorns_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = hypercorn_config({})
    assert config.logger_class is AccessLogger

    def logged(logger_class: type[Logger]) -> str:
        stream = io.StringIO()
        monkeypatch.setattr("sys.stdout", stream)  # accesslog = "-": hypercorn logs to stdout
        logging.getLogger("hypercorn.access").handlers.clear()
        logger = logger_class(config)
        asyncio.run(logger.access(REQUEST, RESPONSE, 0.25))  # type: ignore[arg-type]
        return stream.getvalue()

    theirs = logged(Logger)
    monkeypatch.setattr(access_log, "AccessLogAtoms", refuse)  # logging's checks build none
    ours = logged(AccessLogger)
    assert ours == theirs
    assert ours.endswith(f'"Mozilla/5.0 (X11) Ã©" <{os.getpid()}>\n')
