"""The declarative base, naming convention and column types every table shares."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, MetaData, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations can refer to them on SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous: pass an aware UTC datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """On SQLite, the stored text (UTC, without an offset) becomes an aware datetime in one
        parse: what SQLAlchemy's parse and ``process_result_value`` give, at a ninth of their
        cost (``replace(tzinfo=...)`` alone took most of it, and a list reads hundreds).
        SQLAlchemy's way (its parse, then ``process_result_value``) stays for anything else."""
        general = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite":
            return general

        def utc_datetime(value: Any) -> datetime | None:
            if isinstance(value, str):
                try:
                    parsed = datetime.fromisoformat(value + "+00:00")
                except ValueError:
                    parsed = None
                if parsed is not None and parsed.tzinfo is not None:
                    return parsed
            # Not "YYYY-MM-DD HH:MM[:SS[.ffffff]]" (a date alone parses naive): the general way.
            return general(value) if general is not None else value

        return utc_datetime


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    # Stored as the lowercase value in a VARCHAR with a CHECK constraint: portable and readable.
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
