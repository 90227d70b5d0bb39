"""The tables, one module per area; import them from here."""

from quart_app.models.accounts import ApiToken, OneTimeToken, TokenScope, User, UserSession
from quart_app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from quart_app.models.idempotency import IdempotencyKey
from quart_app.models.limits import RateLimitCounter
from quart_app.models.search import IssueSearchDocument
from quart_app.models.tracker import (
    CloseReason,
    Comment,
    Issue,
    IssueAssignee,
    IssueEvent,
    IssueLabel,
    IssueState,
    Label,
    Membership,
    Milestone,
    Project,
    Role,
    Visibility,
)

__all__ = [
    "ApiToken",
    "Base",
    "CloseReason",
    "Comment",
    "IdempotencyKey",
    "Issue",
    "IssueAssignee",
    "IssueEvent",
    "IssueLabel",
    "IssueSearchDocument",
    "IssueState",
    "Label",
    "Membership",
    "Milestone",
    "OneTimeToken",
    "Project",
    "RateLimitCounter",
    "Role",
    "TimestampMixin",
    "TokenScope",
    "UTCDateTime",
    "User",
    "UserSession",
    "Visibility",
    "utcnow",
]  # fmt: skip
