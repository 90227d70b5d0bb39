"""Lost-update protection over HTTP: ETag on reads, If-Match required on edits (RFC 9110).

The ETag is the resource's version. The services refuse PATCH and DELETE without If-Match (428)
or with a stale one (412). "If-Match: *" means "whatever is there" and skips the comparison.
"""

from __future__ import annotations

from quart import request

from quart_app.services.versions import ANY_VERSION, NOT_GIVEN, IfMatch


def etag(version: int) -> str:
    return f'"{version}"'


def etag_header(version: int) -> dict[str, str]:
    return {"ETag": etag(version)}


def if_match() -> IfMatch:
    """What If-Match says; the service refuses a missing one (428) or a stale one (412)."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        return NOT_GIVEN
    if header.strip() == "*":
        return ANY_VERSION
    versions = set()
    for tag in header.split(","):
        # Proxies that compress may weaken an ETag (W/"3"): the version is what matters here.
        value = tag.strip().removeprefix("W/")
        digits = value[1:-1] if len(value) > 2 and value[0] == value[-1] == '"' else ""
        if digits.isascii() and digits.isdigit() and len(digits) < 10:
            versions.add(int(digits))
    return IfMatch(frozenset(versions))  # nothing parsed: matches no version, so 412
