"""Dates come back aware and in UTC, whatever text SQLite holds, and go in only when aware."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, DateTime, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from quart_app.models.base import UTCDateTime

pytestmark = pytest.mark.unit

SQLITE = sqlite.dialect()


def sqlite_result(value: object) -> object:
    return UTCDateTime().dialect_impl(SQLITE).result_processor(SQLITE, None)(value)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-03-04 05:06:07.123456", datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)),
        ("2026-03-04 05:06:07", datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)),  # CURRENT_TIMESTAMP
        ("2026-03-04", datetime(2026, 3, 4, tzinfo=UTC)),  # a date alone: the general parse
        (None, None),
    ],
)
def test_sqlite_text_becomes_an_aware_utc_datetime(stored: str | None, expected: object) -> None:
    value = sqlite_result(stored)
    assert value == expected
    if value is not None:
        assert isinstance(value, datetime) and value.utcoffset() == timedelta(0)


def test_the_one_step_parse_agrees_with_sqlalchemys_on_random_moments() -> None:
    general = DateTime().dialect_impl(SQLITE).result_processor(SQLITE, None)
    moment = datetime(2001, 1, 1, tzinfo=UTC)
    for step in range(2000):
        moment += timedelta(days=3, seconds=7 * step, microseconds=step * 997)
        stored = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
        assert sqlite_result(stored) == general(stored).replace(tzinfo=UTC) == moment


def test_postgresql_keeps_sqlalchemys_processing() -> None:
    dialect = postgresql.dialect()
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    east = datetime(2026, 3, 4, 7, 6, tzinfo=timezone(timedelta(hours=2)))
    assert process(east) is east
    assert process(datetime(2026, 3, 4, 5, 6)) == datetime(2026, 3, 4, 5, 6, tzinfo=UTC)


def test_a_round_trip_through_sqlite_and_a_naive_value_refused() -> None:
    engine = create_engine("sqlite://", module=sqlite3)
    table = Table("moments", MetaData(), Column("at", UTCDateTime()))
    table.create(engine)
    east = timezone(timedelta(hours=2))
    with engine.begin() as connection:
        connection.execute(insert(table), [{"at": datetime(2026, 3, 4, 7, 6, 7, tzinfo=east)}])
        connection.execute(text("INSERT INTO moments VALUES ('2026-03-04 05:06')"))
        assert connection.scalars(select(table.c.at)).all() == [
            datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),  # stored as UTC
            datetime(2026, 3, 4, 5, 6, tzinfo=UTC),
        ]
        with pytest.raises(Exception, match="naive datetimes are ambiguous"):
            connection.execute(insert(table), [{"at": datetime(2026, 3, 4)}])
