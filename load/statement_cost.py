"""What one SQLite statement costs through the app's engines: aiosqlite's thread against inline.

    .venv/bin/python load/statement_cost.py [path/to/database.sqlite3]

The write engine sends each call to aiosqlite's thread and back; the read engine runs it on the
event loop (quart_app.db.make_read_engine). The query is trivial, so the difference is the hand-off.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from quart_app.db import Database, DatabaseURL

STATEMENTS = 2_000


async def per_statement_ms(database: Database, *, inline: bool) -> float:
    sessions = database.read_sessions if inline else database.write_sessions
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        started = time.perf_counter()
        for _ in range(STATEMENTS):
            await session.execute(text("SELECT 1"))
        return (time.perf_counter() - started) * 1000 / STATEMENTS


async def main(path: str) -> None:
    config = {
        "DATABASE_URL": DatabaseURL(f"sqlite+aiosqlite:///{path}").url, "DATABASE_POOL_SIZE": 5,
        "DATABASE_MAX_OVERFLOW": 5, "SQLITE_BUSY_TIMEOUT_MS": 5000, "DATABASE_ECHO": False,
    }  # fmt: skip
    database = Database.from_config(config)
    try:
        threaded = await per_statement_ms(database, inline=False)
        inline = await per_statement_ms(database, inline=True)
    finally:
        await database.dispose()
    print(f"aiosqlite thread: {threaded:.3f} ms a statement; inline: {inline:.3f} ms")


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(tempfile.mkdtemp()) / "cost.sqlite3")
    asyncio.run(main(target))
