"""Reads on the driver's own cursor, for the hottest requests (``db.run_read``).

A ``Query`` is a SQLAlchemy Core SELECT, compiled once per database (and once per length of each
IN list); a ``Reader`` runs it on the driver (DBAPI) connection and converts the values as
SQLAlchemy's results would (SQLite's dates, enums, JSON). What it skips is SQLAlchemy's work
around every execution (execution context, parameter processing, result object): two thirds of
a cached Core statement's time, and half of the CPU of a get-issue request (docs/performance.md).

Statements stay SQLAlchemy constructs, so they are written once for SQLite and PostgreSQL. Rows
come back as dicts keyed by the statement's column labels, as ``Result.mappings()`` gives them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any]
Row = dict[str, Any]
T = TypeVar("T")
# Called with the SQL of every statement a Reader sends (the tests count statements per request).
statement_listeners: list[Callable[[str], None]] = []


@dataclass(frozen=True)
class _Argument:
    """One positional parameter: the caller's value ``name`` (item ``index`` of an IN list),
    or a value written into the statement (``constant``, already converted for the driver)."""

    name: str | None
    index: int | None = None
    processor: Processor | None = None
    constant: Any = None


@dataclass(frozen=True)
class _Plan:
    """A statement as one database runs it: SQL, how to order the arguments, how to read rows."""

    sql: str
    arguments: tuple[_Argument, ...]
    keys: tuple[str, ...]
    # The columns whose values need converting (SQLite's dates, enums), by position.
    conversions: tuple[tuple[int, Processor], ...]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        ordered = []
        for argument in self.arguments:
            if argument.name is None:
                ordered.append(argument.constant)
                continue
            value = values[argument.name]
            if argument.index is not None:
                value = value[argument.index]
            ordered.append(value if argument.processor is None else argument.processor(value))
        return tuple(ordered)

    def row(self, values: Any) -> Row:
        return dict(zip(self.keys, self.converted(values), strict=True))

    def converted(self, values: Any) -> Any:
        if not self.conversions:
            return values
        values = list(values)
        for position, process in self.conversions:
            values[position] = process(values[position])
        return values


@dataclass(frozen=True)
class _Compiled:
    compiled: SQLCompiler
    required: frozenset[str]  # the values the caller must give
    expanding: tuple[str, ...]  # the caller's IN lists: their lengths change the SQL


class Query:
    """A Core SELECT to run through a ``Reader``; build it once (at import, or cached)."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self.keys = tuple(statement.selected_columns.keys())
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._plans: dict[tuple[Any, ...], _Plan] = {}

    def plan(self, dialect: Dialect, values: Mapping[str, Any]) -> _Plan:
        dialect_key = (dialect.name, dialect.driver)
        compiled = self._compiled.get(dialect_key)
        if compiled is None:
            compiled = self._compiled[dialect_key] = self._compile(dialect)
        if missing := compiled.required - values.keys():
            raise TypeError(f"this Query needs a value for {', '.join(sorted(missing))}")
        lengths = tuple(len(values[name]) for name in compiled.expanding)
        plan = self._plans.get((dialect_key, lengths))
        if plan is None:
            plan = self._make_plan(compiled.compiled, dialect, values)
            self._plans[(dialect_key, lengths)] = plan
        return plan

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.positiontup is None:
            raise TypeError(f"{dialect.name}: Query needs a driver with positional parameters")
        binds = compiled.binds.values()
        if any(bind.literal_execute for bind in binds):
            raise TypeError("Query cannot cache SQL that renders parameter values into it")
        required = frozenset(bind.key for bind in binds if bind.required)
        expanding = tuple(bind.key for bind in binds if bind.expanding and bind.required)
        return _Compiled(compiled, required, expanding)

    def _make_plan(
        self, compiled: SQLCompiler, dialect: Dialect, values: Mapping[str, Any]
    ) -> _Plan:
        state = compiled.construct_expanded_state(dict(values))
        assert state.positiontup is not None  # checked in _compile
        expanded_from = {
            expanded: (name, index)
            for name, expanded_names in state.parameter_expansion.items()
            for index, expanded in enumerate(expanded_names)
        }
        arguments = []
        for name in state.positiontup:
            original, index = expanded_from.get(name, (name, None))
            bind = compiled.binds[original]
            # The expanded state holds the processors of the IN lists' items only.
            processor = state.processors.get(name) or _bind_processor(bind.type, dialect)
            if bind.required:
                arguments.append(_Argument(bind.key, index, processor))
            else:
                constant = state.parameters[name]
                arguments.append(_Argument(None, constant=_converted(processor, constant)))
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.selected_columns
        ]
        conversions = tuple(
            (position, process) for position, process in enumerate(processors) if process
        )
        return _Plan(state.statement, tuple(arguments), self.keys, conversions)


def _bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _converted(processor: Processor | None, value: Any) -> Any:
    return value if processor is None else processor(value)


class UnchangedDatabaseMemo:
    """Results of reads, kept for as long as the database has not changed.

    For SQLite's inline reads (db.InlineReads): ``PRAGMA data_version`` changes whenever another
    connection, in this process or another, commits; the reading connection itself never
    writes. Read inside a transaction, it is the version of that transaction's snapshot (it
    starts the snapshot when it is the first statement), so a result remembered under one
    version is exactly what the same read would give in any snapshot with that version.
    Any commit anywhere forgets everything: this pays where reads far outnumber writes.
    """

    MAX_ENTRIES = 1024  # plenty for the pick lists and counts of a busy minute

    def __init__(self) -> None:
        self.version: int | None = None
        self.values: dict[Hashable, Any] = {}

    def check(self, driver_connection: Any) -> None:
        """Forget everything if the snapshot of the open transaction is of a newer version."""
        (version,) = driver_connection.execute("PRAGMA data_version").fetchone()
        if version != self.version:
            self.values.clear()
            self.version = version

    def store(self, key: Hashable, value: Any) -> None:
        if len(self.values) >= self.MAX_ENTRIES:
            self.values.clear()
        self.values[key] = value


class Reader:
    """Runs ``Query``s on one driver connection, inside a transaction its owner opened."""

    def __init__(
        self, driver_connection: Any, dialect: Dialect, memo: UnchangedDatabaseMemo | None = None
    ) -> None:
        self.driver_connection = driver_connection  # for what a Query cannot say
        self.dialect = dialect
        self._memo = memo  # None: nothing is remembered (PostgreSQL, tests' own connections)
        self._memo_checked = False

    def remembered(self, key: Hashable, read: Callable[[], T]) -> T:
        """``read()``, or what it gave earlier on the same version of the database.

        ``key`` must name everything the result depends on, and the result must not be
        changed by its users (tuples, not lists): it is shared with later requests.
        """
        memo = self._memo
        if memo is None:
            return read()
        if not self._memo_checked:
            memo.check(self.driver_connection)
            self._memo_checked = True
        if key in memo.values:
            return memo.values[key]  # type: ignore[no-any-return]
        value = read()
        memo.store(key, value)
        return value

    def count(self, query: Query, /, **values: Any) -> int:
        """The whole number ``query`` selects, remembered while the database is unchanged."""
        plan = query.plan(self.dialect, values)
        key = ("count", plan.sql, plan.parameters(values))
        return self.remembered(key, lambda: int(self.scalar(query, **values)))

    @classmethod
    def over(cls, connection: Connection) -> Reader:
        """A reader on the driver connection beneath a SQLAlchemy one (its transaction too)."""
        return cls(connection.connection.dbapi_connection, connection.dialect)

    def all(self, query: Query, /, **values: Any) -> list[Row]:
        plan = query.plan(self.dialect, values)
        return [plan.row(row) for row in self._fetch(plan, values)]

    def tuples(self, query: Query, /, **values: Any) -> list[Any]:
        """The rows as sequences in the statement's column order: no dict for each row."""
        plan = query.plan(self.dialect, values)
        return [plan.converted(row) for row in self._fetch(plan, values)]

    def first(self, query: Query, /, **values: Any) -> Row | None:
        plan = query.plan(self.dialect, values)
        rows = self._fetch(plan, values, limit=1)
        return plan.row(rows[0]) if rows else None

    def scalar(self, query: Query, /, **values: Any) -> Any:
        """The first column of the first row; None when there is no row."""
        row = self.first(query, **values)
        return None if row is None else next(iter(row.values()))

    def _fetch(self, plan: _Plan, values: Mapping[str, Any], limit: int = 0) -> list[Any]:
        for listener in statement_listeners:
            listener(plan.sql)
        cursor = self.driver_connection.cursor()
        try:
            cursor.execute(plan.sql, plan.parameters(values))
            return list(cursor.fetchmany(limit) if limit else cursor.fetchall())
        finally:
            cursor.close()
