"""The tables, one module per area; import them from here."""

from quart_app.models.accounts import User
from quart_app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
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
    "Base", "CloseReason", "Comment", "Issue", "IssueAssignee", "IssueEvent", "IssueLabel",
    "IssueState", "Label", "Membership", "Milestone", "Project", "Role", "TimestampMixin",
    "UTCDateTime", "User", "Visibility", "utcnow",
]  # fmt: skip
