"""Which version of an issue or comment an edit was made against (HTTP's If-Match).

Checked after the permission checks, on the locked row: a caller who may not edit learns that
first, and two editors of one version cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass

from quart_app.services.errors import PreconditionFailedError, PreconditionRequiredError


@dataclass(frozen=True)
class IfMatch:
    """The versions the client accepts; ``versions=None`` is "any" (If-Match: *)."""

    versions: frozenset[int] | None
    given: bool = True

    def check(self, current: int, what: str) -> None:
        if not self.given:
            raise PreconditionRequiredError(
                "Send If-Match with the ETag of your last read, so you cannot overwrite a change "
                "you have not seen."
            )
        if self.versions is not None and current not in self.versions:
            raise PreconditionFailedError(
                f"{what} changed since you read it (it is now version {current}): reload it and "
                "apply your change again."
            )


ANY_VERSION = IfMatch(versions=None)
NOT_GIVEN = IfMatch(versions=frozenset(), given=False)
