"""What one SQLite statement costs by each way the app can send it.

    .venv/bin/python load/statement_cost.py [path/to/database.sqlite3]

1. aiosqlite as it comes: each call goes to aiosqlite's thread and back (what the app did first);
2. the app's async sessions: the same calls, inline on the event loop (InlineSQLiteConnection);
3. ``db.run_read``: a synchronous Core function on the sqlite3 driver, no async adaptation.

The query is trivial, so the differences are what each path adds around it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from quart_app.db import Database, DatabaseURL

STATEMENTS = 2_000


async def per_statement_ms(sessions: async_sessionmaker[Any]) -> float:
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        started = time.perf_counter()
        for _ in range(STATEMENTS):
            await session.execute(text("SELECT 1"))
        return (time.perf_counter() - started) * 1000 / STATEMENTS


def run_read_ms(connection: Connection) -> float:
    connection.execute(text("SELECT 1"))
    started = time.perf_counter()
    for _ in range(STATEMENTS):
        connection.execute(text("SELECT 1"))
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
        core = await database.run_read(run_read_ms)
    finally:
        await database.dispose()
        await plain.dispose()
    print(
        f"a statement: aiosqlite thread {threaded:.3f} ms; app session, inline {inline:.3f} ms; "
        f"run_read, sync Core {core:.3f} ms"
    )


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(tempfile.mkdtemp()) / "cost.sqlite3")
    asyncio.run(main(target))
