"""What one SQLite statement costs by each way the app can send it.

    .venv/bin/python load/statement_cost.py [path/to/database.sqlite3]

1. aiosqlite as it comes: each call goes to aiosqlite's thread and back (what the app did first);
2. the app's async sessions: the same calls, inline on the event loop (InlineSQLiteConnection);
3. SQLAlchemy Core on a synchronous connection of the sqlite3 driver (``db.run_read`` until
   it took a Reader);
4. ``db.run_read`` now: a Reader's Query on the sqlite3 driver's own cursor (quart_app/reads.py).

The query is trivial, so the differences are what each path adds around it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, literal_column, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from quart_app.db import Database, DatabaseURL
from quart_app.reads import Query, Reader

STATEMENTS = 2_000
ONE = Query(select(literal_column("1").label("one")))


async def per_statement_ms(sessions: async_sessionmaker[Any]) -> float:
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        started = time.perf_counter()
        for _ in range(STATEMENTS):
            await session.execute(text("SELECT 1"))
        return (time.perf_counter() - started) * 1000 / STATEMENTS


def core_ms(connection: Connection) -> float:
    connection.execute(ONE.statement)
    started = time.perf_counter()
    for _ in range(STATEMENTS):
        connection.execute(ONE.statement)
    return (time.perf_counter() - started) * 1000 / STATEMENTS


def reader_ms(reader: Reader) -> float:
    reader.first(ONE)
    started = time.perf_counter()
    for _ in range(STATEMENTS):
        reader.first(ONE)
    return (time.perf_counter() - started) * 1000 / STATEMENTS


async def main(path: str) -> None:
    config = {
        "DATABASE_URL": DatabaseURL(f"sqlite+aiosqlite:///{path}").url, "DATABASE_POOL_SIZE": 5,
        "DATABASE_MAX_OVERFLOW": 5, "SQLITE_BUSY_TIMEOUT_MS": 5000, "DATABASE_ECHO": False,
    }  # fmt: skip
    database = Database.from_config(config)
    plain = create_async_engine(config["DATABASE_URL"])
    try:
        threaded = await per_statement_ms(async_sessionmaker(plain))
        inline = await per_statement_ms(database.read_sessions)
        assert database.inline_reads is not None  # a SQLite file
        with database.inline_reads.engine.connect() as connection:
            core = core_ms(connection)
        reader = await database.run_read(reader_ms)
    finally:
        await database.dispose()
        await plain.dispose()
    print(
        f"a statement: aiosqlite thread {threaded:.3f} ms; app session, inline {inline:.3f} ms; "
        f"sync Core {core:.3f} ms; run_read, Reader {reader:.3f} ms"
    )


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(tempfile.mkdtemp()) / "cost.sqlite3")
    asyncio.run(main(target))
