"""The database: URL normalisation, the engine, its sessions, every SQLite/PostgreSQL difference.

Nothing outside this module branches on the dialect. The engine is made at start-up (one per worker
process) and kept on ``app.extensions["db"]``; each request gets one session, opened on first use.
"""

from __future__ import annotations

import asyncio
import shlex
import sqlite3
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiosqlite
from quart import Quart, current_app, g, request
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool, PoolProxiedConnection

from quart_app.models import RateLimitCounter
from quart_app.reads import Reader, UnchangedDatabaseMemo

WRITE_INTENT = "quart_app_write"  # execution option: this transaction will write
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg2"}
SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"}
# libpq's sslmode values; asyncpg takes the same words through its ``ssl`` argument.
SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
# Query parameters asyncpg (or SQLAlchemy's asyncpg dialect) accepts as they are.
ASYNCPG_PARAMETERS = {
    "prepared_statement_cache_size", "statement_cache_size", "command_timeout",
    "target_session_attrs", "max_cached_statement_lifetime", "max_cacheable_statement_size",
}  # fmt: skip
# libpq parameters asyncpg has no use for: it negotiates SCRAM (channel binding) by itself.
IGNORED_LIBPQ_PARAMETERS = {"channel_binding", "gssencmode"}
MIGRATIONS_OPTION = "quart_app_migrations"  # execution option marking an engine for migrations
BUSY_TIMEOUT_OPTION = "quart_app_sqlite_busy_timeout_ms"  # so the read engine can match it
BUSY_RETRY_SECONDS = 0.001  # how often a SQLite writer tries again for another process's lock


P = ParamSpec("P")
T = TypeVar("T")


class DatabaseURLError(ValueError):
    """DATABASE_URL cannot be turned into an async SQLAlchemy URL."""


@dataclass(frozen=True)
class DatabaseURL:
    """A URL for the async drivers plus the driver arguments that cannot live in it."""

    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def is_in_memory(self) -> bool:
        """An in-memory SQLite database, gone when its last connection closes."""
        database = make_url(self.url).database or ""
        memory_names = {"", ":memory:", "file::memory:"}
        return self.is_sqlite and (database in memory_names or "mode=memory" in self.url)


def normalise_database_url(raw_url: str) -> DatabaseURL:
    """Accept platform-style URLs (``postgres://``, ``?sslmode=``, ``sqlite:///``) as given."""
    try:
        url = make_url(raw_url.strip())
    except (ArgumentError, ValueError) as error:
        # Never echo the URL: it usually carries the password.
        raise DatabaseURLError("it is not a database URL (expected scheme://...)") from error
    if url.drivername in SQLITE_SCHEMES:
        return DatabaseURL(url.set(drivername="sqlite+aiosqlite").render_as_string(False))
    if url.drivername in POSTGRES_SCHEMES:
        return _normalise_postgres_url(url)
    raise DatabaseURLError(
        f"scheme {url.drivername!r} is not supported: use sqlite:/// or postgresql://"
    )


def _normalise_postgres_url(url: URL) -> DatabaseURL:
    """asyncpg rejects libpq-only query parameters, so move them into connect arguments."""
    query = dict(url.query)
    connect_args: dict[str, Any] = {}
    sslmode = query.pop("sslmode", None)
    if sslmode is not None:
        if sslmode not in SSL_MODES:
            raise DatabaseURLError(f"sslmode={sslmode!r} is not one of {sorted(SSL_MODES)}")
        connect_args["ssl"] = sslmode
    server_settings = _parse_libpq_options(str(query.pop("options", "")))
    if "application_name" in query:
        server_settings["application_name"] = str(query.pop("application_name"))
    if server_settings:
        connect_args["server_settings"] = server_settings
    if "connect_timeout" in query:
        connect_args["timeout"] = _seconds(query.pop("connect_timeout"))
    for name in IGNORED_LIBPQ_PARAMETERS:
        query.pop(name, None)
    unknown = sorted(set(query) - ASYNCPG_PARAMETERS)
    if unknown:
        raise DatabaseURLError(f"unsupported query parameters: {', '.join(unknown)}")
    url = url.set(drivername="postgresql+asyncpg", query=query)
    return DatabaseURL(url.render_as_string(False), connect_args)


def _seconds(value: object) -> float:
    try:
        return float(str(value))
    except ValueError as error:
        raise DatabaseURLError(f"connect_timeout={value!r} is not a number of seconds") from error


def _parse_libpq_options(options: str) -> dict[str, str]:
    """Turn libpq ``options=-c search_path=x -c statement_timeout=5s`` into asyncpg settings."""
    settings: dict[str, str] = {}
    words = iter(shlex.split(options))
    for word in words:
        assignment = next(words, "") if word == "-c" else word.removeprefix("-c")
        name, equals, value = assignment.partition("=")
        if not equals or not name:
            raise DatabaseURLError(f"options={options!r}: expected '-c name=value' pairs")
        settings[name] = value
    return settings


def needs_batch_migrations(dialect_name: str) -> bool:
    """SQLite cannot ALTER most things, so Alembic must rebuild its tables (batch mode)."""
    return dialect_name == "sqlite"


def make_engine(
    database: DatabaseURL,
    *,
    pool_size: int = 5,
    max_overflow: int = 5,
    sqlite_busy_timeout_ms: int = 5000,
    echo: bool = False,
    for_migrations: bool = False,
) -> AsyncEngine:
    """Make the engine for one process, configured for several worker processes.

    ``for_migrations``: no pool, and (SQLite) foreign keys off, which batch-mode table rebuilds
    need; the migration functions refuse any other engine.
    """
    if database.is_sqlite:
        engine = _create_sqlite_engine(
            database,
            busy_timeout_ms=sqlite_busy_timeout_ms,
            echo=echo,
            foreign_keys=not for_migrations,
        )
    else:
        engine = _create_postgres_engine(
            database,
            pool_size=pool_size,
            max_overflow=max_overflow,
            echo=echo,
            pooled=not for_migrations,
        )
    return engine.execution_options(**{MIGRATIONS_OPTION: True}) if for_migrations else engine


def is_migrations_engine(engine: AsyncEngine) -> bool:
    return bool(engine.get_execution_options().get(MIGRATIONS_OPTION))


def _create_postgres_engine(
    database: DatabaseURL, *, pool_size: int, max_overflow: int, echo: bool, pooled: bool
) -> AsyncEngine:
    pool_args: dict[str, Any] = (
        # Recycle before typical proxy/NAT idle cut-offs (often 30-60 min) silently drop them.
        {"pool_size": pool_size, "max_overflow": max_overflow, "pool_recycle": 1800}
        if pooled
        else {"poolclass": NullPool}
    )
    return create_async_engine(
        database.url,
        connect_args=database.connect_args,
        pool_pre_ping=True,
        echo=echo,
        **pool_args,
    )


def _create_sqlite_engine(
    database: DatabaseURL, *, busy_timeout_ms: int, echo: bool, foreign_keys: bool
) -> AsyncEngine:
    _create_parent_folder(database.url)
    if database.is_in_memory:  # one database per connection: aiosqlite's own pool and thread
        engine = create_async_engine(database.url, connect_args=database.connect_args, echo=echo)
        _configure_sqlite(engine, busy_timeout_ms=busy_timeout_ms, foreign_keys=foreign_keys)
        return engine.execution_options(**{BUSY_TIMEOUT_OPTION: busy_timeout_ms})
    # One write connection per process: SQLite lets one writer in at a time anyway, and the
    # ones waiting queue fairly in the pool instead of in SQLite's busy handler, which sleeps
    # and retries. With ten per process, 32 concurrent creators got "database is locked" after
    # busy_timeout (load/README.md). Reads have an engine of their own (make_read_engine).
    # Its calls run inline, like the reads': a write transaction then holds the lock for the
    # CPU time of its statements instead of a thread hand-off each (~0.5 ms, more when the loop
    # is busy). SQLite's busy handler would sleep on the event loop while another process holds
    # the lock, so it is off (busy_timeout 0) and the connection waits with asyncio instead.
    path = make_url(database.url).database or ""

    async def connect_inline() -> Any:
        connector = partial(sqlite3.connect, path, isolation_level=None, check_same_thread=False)
        connection = InlineSQLiteConnection(connector, 64, wait_when_busy_ms=busy_timeout_ms)
        return await connection

    engine = create_async_engine(
        database.url, async_creator=connect_inline, echo=echo, pool_size=1, max_overflow=0
    )
    _configure_sqlite(engine, busy_timeout_ms=0, foreign_keys=foreign_keys)
    return engine.execution_options(**{BUSY_TIMEOUT_OPTION: busy_timeout_ms})  # for reads


def _configure_sqlite(
    engine: AsyncEngine | Engine, *, busy_timeout_ms: int, foreign_keys: bool
) -> None:
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync_engine, "connect")
    def configure_connection(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN: the driver's implicit deferred BEGIN is
        # what makes a read-then-write transaction fail with "database is locked".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # Migrations rebuild tables (batch mode); enforcing foreign keys then would cascade deletes.
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def begin_transaction(connection: Any) -> None:
        # A writer takes the write lock up front, so it waits (busy_timeout) instead of failing;
        # readers keep a deferred BEGIN and never block anyone under WAL. Unmarked transactions
        # count as writes: taking the lock needlessly is slow, not taking it is an error.
        writes = connection.get_execution_options().get(WRITE_INTENT, True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def make_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine for reads: ``engine`` itself, or for a SQLite file one whose calls run inline.

    aiosqlite runs every call on a thread of its own and hands the result back to the event
    loop; on this stack that hand-off costs ~0.4 ms per statement, while a cached SQLite read
    takes microseconds, so a page of eight statements spent most of its time changing threads.
    Reads never wait for a lock under WAL, so running them on the event loop blocks it for no
    longer than the query itself. Writes keep the thread: they can wait up to busy_timeout for
    another process's write lock, and must not stop the event loop meanwhile.
    """
    read_options = {WRITE_INTENT: False}
    url = engine.url
    memory = DatabaseURL(url.render_as_string(False)).is_in_memory
    if url.get_dialect().name != "sqlite" or memory or is_migrations_engine(engine):
        return engine.execution_options(**read_options)  # an in-memory database is per engine
    path = url.database or ""
    busy_timeout_ms = int(engine.get_execution_options().get(BUSY_TIMEOUT_OPTION, 5000))

    async def connect_inline() -> Any:
        connector = partial(sqlite3.connect, path, isolation_level=None, check_same_thread=False)
        return await InlineSQLiteConnection(connector, iter_chunk_size=64)

    read_engine = create_async_engine(
        url, async_creator=connect_inline, echo=engine.echo, pool_size=10, max_overflow=20
    )
    _configure_sqlite(read_engine, busy_timeout_ms=busy_timeout_ms, foreign_keys=True)
    return read_engine.execution_options(**read_options)


def make_inline_reads(engine: AsyncEngine) -> InlineReads | None:
    """For a SQLite file, ``run_read``'s inline connection; None for any other database.

    The hottest reads are synchronous functions of a ``Reader`` (quart_app/reads.py). On SQLite
    they run inline through the standard sqlite3 driver, without the async adaptation around
    each call (greenlet, aiosqlite's API), which costs several times a read
    (load/statement_cost.py; docs/performance.md).
    """
    url = engine.url
    memory = DatabaseURL(url.render_as_string(False)).is_in_memory
    if url.get_dialect().name != "sqlite" or memory or is_migrations_engine(engine):
        return None
    busy_timeout_ms = int(engine.get_execution_options().get(BUSY_TIMEOUT_OPTION, 5000))
    inline = create_engine(
        url.set(drivername="sqlite+pysqlite"),
        connect_args={"check_same_thread": False, "isolation_level": None},
        echo=engine.echo,
        pool_size=1,
        max_overflow=0,
    )

    @event.listens_for(inline, "connect")
    def configure_connection(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        dbapi_connection.execute("PRAGMA query_only = ON")  # a read that writes fails loudly

    return InlineReads(inline)


class InlineReads:
    """``run_read`` on a SQLite file: on the event loop's thread, through one sqlite3 connection.

    A read function runs from start to end without an await, so a process never runs two at
    once: one connection, opened on first use and kept, serves them all, with no pool to check
    it out of at every call. Each call is one deferred transaction, so its statements read one
    snapshot of the database.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # its dialect compiles the statements; its pool holds the connection
        self._connection: PoolProxiedConnection | None = None
        # What Reader.remembered keeps: data versions belong to one connection, and so does it.
        self._memo = UnchangedDatabaseMemo()

    def run(
        self, function: Callable[Concatenate[Reader, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self._connection is None:
            self._connection = self.engine.raw_connection()
            self._memo = UnchangedDatabaseMemo()
        driver_connection = self._connection.driver_connection
        assert driver_connection is not None
        driver_connection.execute("BEGIN")
        try:
            reader = Reader(driver_connection, self.engine.dialect, self._memo)
            return function(reader, *args, **kwargs)
        finally:
            driver_connection.execute("ROLLBACK")

    def forget_remembered(self) -> None:
        """Read everything again from the next call on (tests count every statement)."""
        self._memo = UnchangedDatabaseMemo()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()  # back to the pool, which dispose() then closes
            self._connection = None
        self.engine.dispose()


class InlineSQLiteConnection(aiosqlite.Connection):
    """aiosqlite's connection without its thread: every call runs at once, on the caller's.

    ``wait_when_busy_ms`` (writes): a statement that finds the database locked by another
    connection outside a transaction (a BEGIN IMMEDIATE, in practice) changed nothing, so it is
    retried every millisecond or so for up to that long, the event loop serving meanwhile.
    Use it with SQLite's own busy timeout at 0, whose handler would sleep on the loop instead.
    """

    def __init__(
        self,
        connector: Callable[[], sqlite3.Connection],
        iter_chunk_size: int,
        *,
        wait_when_busy_ms: int = 0,
    ) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _RunAtOnce()  # type: ignore[assignment]  # SQLAlchemy queues calls here too
        self._wait_when_busy = wait_when_busy_ms / 1000

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        if not self._wait_when_busy:
            return fn(*args, **kwargs)
        deadline = asyncio.get_running_loop().time() + self._wait_when_busy
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if not self._may_retry(error, deadline):
                    raise
            await asyncio.sleep(BUSY_RETRY_SECONDS)

    def _may_retry(self, error: sqlite3.OperationalError, deadline: float) -> bool:
        busy = error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
        # In a transaction, the failed statement may have been part of it: not ours to repeat.
        idle = self._connection is not None and not self._connection.in_transaction
        return busy and idle and asyncio.get_running_loop().time() < deadline

    async def _connect(self) -> InlineSQLiteConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineSQLiteConnection]:
        return self._connect().__await__()  # aiosqlite would start its thread here

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its thread: runs each call as it is queued."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to the waiting caller
            if future is None:
                raise
            future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


def _create_parent_folder(url: str) -> None:
    path = make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


@dataclass
class Database:
    """One process's engine and the sessionmakers for reading and writing requests.

    ``get_session()`` is the request's session; ``write_sessions()``/``read_sessions()`` open
    sessions of your own (CLI, tests, background work); ``read_engine`` is for probes.
    """

    engine: AsyncEngine
    read_engine: AsyncEngine
    write_sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]
    inline_reads: InlineReads | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], *, for_migrations: bool = False) -> Database:
        engine = make_engine(
            DatabaseURL(config["DATABASE_URL"], config.get("DATABASE_CONNECT_ARGS", {})),
            pool_size=config["DATABASE_POOL_SIZE"],
            max_overflow=config["DATABASE_MAX_OVERFLOW"],
            sqlite_busy_timeout_ms=config["SQLITE_BUSY_TIMEOUT_MS"],
            echo=config["DATABASE_ECHO"],
            for_migrations=for_migrations,
        )
        return cls.for_engine(engine)

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> Database:
        read_engine = make_read_engine(engine)
        return cls(
            engine=engine,
            read_engine=read_engine,
            write_sessions=async_sessionmaker(engine, expire_on_commit=False),
            read_sessions=async_sessionmaker(read_engine, expire_on_commit=False),
            inline_reads=make_inline_reads(engine),
        )

    async def run_read(
        self, function: Callable[Concatenate[Reader, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``function(reader, ...)`` in one read transaction: inline on a SQLite file, through
        the async driver (``run_sync``) on any other database."""
        if self.inline_reads is not None:
            return self.inline_reads.run(function, *args, **kwargs)
        async with self.read_engine.connect() as connection:
            return await connection.run_sync(read_in_transaction, function, *args, **kwargs)

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.read_engine.dispose()  # a no-op when it shares the engine's pool
        if self.inline_reads is not None:
            self.inline_reads.close()


def init_app(app: Quart) -> None:
    """Open the engine when a worker starts serving, close it when it stops."""

    @app.before_serving
    async def open_database() -> None:
        app.extensions["db"] = Database.from_config(app.config)

    @app.after_serving
    async def close_database() -> None:
        # aiosqlite's worker threads are not daemons: an undisposed engine hangs process exit.
        database: Database | None = app.extensions.pop("db", None)
        if database is not None:
            await database.dispose()

    app.teardown_appcontext(close_request_session)


def get_database() -> Database:
    database: Database = current_app.extensions["db"]
    return database


def get_session() -> AsyncSession:
    """The current request's session, opened on first use.

    Requests with a safe method read in a deferred transaction; the others open a write transaction
    (on SQLite: BEGIN IMMEDIATE). A GET that must write uses ``write_session()`` instead.
    """
    session: AsyncSession | None = g.get("db_session")
    if session is None:
        database = get_database()
        writes = request.method not in SAFE_METHODS
        session = (database.write_sessions if writes else database.read_sessions)()
        g.db_session = session
    return session


@asynccontextmanager
async def write_session() -> AsyncIterator[AsyncSession]:
    """A separate write transaction, committed when the block ends without an error.

    Use it in GET requests, or in a POST before the request session has run anything: on SQLite
    the request session of a POST holds the write lock, and this would wait for it.
    """
    async with get_database().write_sessions() as session, session.begin():
        yield session


@asynccontextmanager
async def lookup_session() -> AsyncIterator[AsyncSession]:
    """A session for reads done before the handler (who is signing in?).

    Safe methods reuse the request's read session. Other methods get a short read session of
    their own, so the request's write transaction (and SQLite's write lock) starts no earlier
    than the handler, after the rate limits have recorded their hits.
    """
    if request.method in SAFE_METHODS:
        yield get_session()
        return
    async with get_database().read_sessions() as session:
        yield session


def read_in_transaction(
    connection: Connection,
    function: Callable[Concatenate[Reader, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``function(reader, ...)`` on a synchronous SQLAlchemy connection, in one transaction."""
    with connection.begin():
        return function(Reader.over(connection), *args, **kwargs)


async def run_read(
    function: Callable[Concatenate[Reader, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run a synchronous Core read in the current app's database (see ``Database.run_read``)."""
    return await get_database().run_read(function, *args, **kwargs)


async def increment_counter(
    session: AsyncSession, *, key: str, window_start: int, expires_at: int
) -> int:
    """Add one to a rate-limit counter and return the new count, atomically (an upsert)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    insert = sqlite_insert(RateLimitCounter) if sqlite else postgresql_insert(RateLimitCounter)
    statement = (
        insert.values(key=key, window_start=window_start, count=1, expires_at=expires_at)
        .on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"count": RateLimitCounter.count + 1}
        )
        .returning(RateLimitCounter.count)
    )
    return int((await session.execute(statement)).scalar_one())


async def close_request_session(_error: BaseException | None) -> None:
    session: AsyncSession | None = g.pop("db_session", None)
    if session is not None:
        await session.close()  # rolls back whatever the edge did not commit
