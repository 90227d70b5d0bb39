"""hypercorn's access log, with each line's values worked out only when the format uses them.

hypercorn builds every atom it knows for every request before formatting the line: one entry
per request header, per response header and per environment variable (`{name}e`), a timestamp
and the status phrase. That was ~30 µs a request, about 1.5% of an issue page's time in a
worker (docs/performance.md), for a line that uses seven of them. ``LazyAtoms`` answers the
common atoms directly and hands any other one to hypercorn's own ``AccessLogAtoms``, built on
first use, so every format hypercorn documents still prints what it would have.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from hypercorn.logging import AccessLogAtoms, Logger
from hypercorn.typing import ResponseSummary, WWWScope


class AccessLogger(Logger):
    """hypercorn's Logger, set as ``Config.logger_class`` by quart_app.serving."""

    def atoms(
        self, request: WWWScope, response: ResponseSummary | None, request_time: float
    ) -> Mapping[str, str]:
        return LazyAtoms(request, response, request_time)


class LazyAtoms(Mapping[str, Any]):
    """The atoms of one access-log line, as ``access_log_format % atoms`` asks for them."""

    def __init__(
        self, request: WWWScope, response: ResponseSummary | None, request_time: float
    ) -> None:
        self.request = request
        self.response = response
        self.request_time = request_time
        self._every_atom: AccessLogAtoms | None = None

    def __getitem__(self, key: str) -> Any:
        common = COMMON_ATOMS.get(key)
        if common is not None:
            return common(self)
        if self._every_atom is None:
            self._every_atom = AccessLogAtoms(self.request, self.response, self.request_time)
        return self._every_atom[key]

    def __bool__(self) -> bool:  # logging tests the mapping; len() would build every atom
        return True

    def __iter__(self) -> Iterator[str]:  # never needed to format a line: every atom
        if self._every_atom is None:
            self._every_atom = AccessLogAtoms(self.request, self.response, self.request_time)
        return iter(self._every_atom)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def remote_address(self) -> str | None:
        client = self.request.get("client")
        if client is None:
            return None
        if len(client) == 2:
            return f"{client[0]}:{client[1]}"
        return str(client[0]) if len(client) == 1 else f"<???{client}???>"

    def request_line(self) -> str:
        method = self.request["method"] if self.request["type"] == "http" else "GET"
        return f"{method} {self.request['path']} {self.request.get('http_version', 'ws')}"

    def status(self) -> str:
        return "-" if self.response is None else str(self.response["status"])

    def response_length(self) -> str:
        return _header(self.response.get("headers", []) if self.response else [], b"content-length")

    def user_agent(self) -> str:
        return _header(self.request["headers"], b"user-agent")

    def request_seconds(self) -> str:
        return f"{self.request_time:.6f}"

    def process(self) -> str:
        return f"<{os.getpid()}>"


def _header(headers: Any, name: bytes) -> str:
    """The header's last value (as hypercorn keeps it), or "-"."""
    found = "-"
    for header_name, value in headers:
        if header_name.lower() == name:
            found = value.decode("latin1")
    return found


COMMON_ATOMS: dict[str, Callable[[LazyAtoms], str | None]] = {
    "h": LazyAtoms.remote_address,
    "r": LazyAtoms.request_line,
    "s": LazyAtoms.status,
    "b": LazyAtoms.response_length,
    "B": LazyAtoms.response_length,
    "a": LazyAtoms.user_agent,
    "L": LazyAtoms.request_seconds,
    "p": LazyAtoms.process,
}
