"""Rate-limit counters shared by every worker process (when Redis is not configured)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from quart_app.models.base import Base


class RateLimitCounter(Base):
    """Hits on one key (e.g. "sign-in:ip:10.0.0.1") in one fixed time window."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # unix seconds
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)  # unix seconds; for clean-up
