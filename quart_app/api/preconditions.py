"""Lost-update protection over HTTP: ETag on reads, If-Match required on edits (RFC 9110).

The ETag is the resource's version. PATCH and DELETE without If-Match get 428; with a stale one
the service answers 412. "If-Match: *" means "whatever is there" and skips the comparison.
"""

from __future__ import annotations

from quart import request

from quart_app.errors import APIError

PRECONDITION_REQUIRED = "PRECONDITION_REQUIRED"


def etag(version: int) -> str:
    return f'"{version}"'


def etag_header(version: int) -> dict[str, str]:
    return {"ETag": etag(version)}


def required_versions() -> frozenset[int] | None:
    """The versions If-Match accepts (None for "*"); 428 when the header is missing."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise APIError(
            428, PRECONDITION_REQUIRED,
            "Send If-Match with the ETag of your last GET, so you cannot overwrite a change you "
            "have not seen.",
        )  # fmt: skip
    if header.strip() == "*":
        return None
    versions = set()
    for tag in header.split(","):
        # Proxies that compress may weaken an ETag (W/"3"): the version is what matters here.
        value = tag.strip().removeprefix("W/").strip('"')
        if value.isdigit() and len(value) < 10:
            versions.add(int(value))
    return frozenset(versions)  # empty when nothing parsed: matches no version, so 412
