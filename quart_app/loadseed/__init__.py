"""The load-test dataset (``quart_app seed-load``): fill an empty, migrated database quickly with
data the app itself could have written, and write the credentials the locust personas use.

Planned in Python from a seed (cast.py, history.py, prose.py), written with bulk Core inserts in
one transaction (writer.py): a failure leaves nothing behind, and a database that already has
users is refused, so load data can never mix with real data. All load users share one random
password, hashed once (argon2 is slow on purpose); each gets one read-write API token. The
dataset is the same for the same seed; the password and tokens are new secrets every time.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from quart_app.db import Database
from quart_app.loadseed.cast import Cast, LoadSizes, plan_cast
from quart_app.loadseed.credentials import (
    credentials_document,
    discard,
    publish,
    write_private_draft,
)
from quart_app.loadseed.history import plan_issues
from quart_app.loadseed.writer import Ids, write_issues, write_projects, write_users
from quart_app.migrate import ensure_schema_current
from quart_app.models import (
    ApiToken,
    Comment,
    Issue,
    IssueAssignee,
    IssueEvent,
    IssueLabel,
    IssueSearchDocument,
    Label,
    Membership,
    Milestone,
    Project,
    User,
    utcnow,
)
from quart_app.security.passwords import hash_password
from quart_app.security.tokens import new_token
from quart_app.services.api_tokens import TOKEN_PREFIX

__all__ = ["DatabaseNotEmptyError", "LoadSizes", "SeedReport", "seed_load"]

Progress = Callable[[str], None]
SEEDED_TABLES = tuple(
    model.__tablename__
    for model in (
        User, ApiToken, Project, Membership, Label, Milestone, Issue, IssueLabel, IssueAssignee,
        Comment, IssueEvent, IssueSearchDocument,
    )
)  # fmt: skip


class DatabaseNotEmptyError(RuntimeError):
    """The database has users already: load data goes into an empty database only."""


@dataclass(frozen=True)
class SeedReport:
    users: int
    projects: int
    issues: int
    comments: int
    events: int
    seconds: float


def _quiet(_message: str) -> None:
    pass


async def seed_load(
    database: Database, sizes: LoadSizes, credentials_path: Path, *, progress: Progress = _quiet
) -> SeedReport:
    """Seed the dataset in one transaction, then move the credentials file into place."""
    problems = sizes.problems()
    if problems:
        raise ValueError("; ".join(problems))
    await ensure_schema_current(database.engine)
    started = time.perf_counter()
    password = secrets.token_urlsafe(18)
    tokens = [new_token(TOKEN_PREFIX) for _ in range(sizes.users)]
    password_hash = await hash_password(password)
    cast = plan_cast(sizes, utcnow().replace(microsecond=0))
    draft: Path | None = None
    try:
        async with database.engine.begin() as connection:
            await refuse_unless_empty(connection)
            events = await write_dataset(
                connection, cast, sizes.seed, password_hash, tokens, progress
            )
            document = credentials_document(cast, password, tokens)
            draft = await asyncio.to_thread(write_private_draft, credentials_path, document)
    except BaseException:
        if draft is not None:
            await asyncio.to_thread(discard, draft)
        raise
    await asyncio.to_thread(publish, draft, credentials_path)
    return SeedReport(
        users=len(cast.users), projects=len(cast.projects), issues=sizes.issues,
        comments=sizes.comments, events=events, seconds=time.perf_counter() - started,
    )  # fmt: skip


async def refuse_unless_empty(connection: AsyncConnection) -> None:
    users = await connection.scalar(select(func.count()).select_from(User))
    if users:
        raise DatabaseNotEmptyError(
            f"the database already has {users} user(s): seed-load fills only an empty database, "
            "so load data never mixes with real data (nothing was changed)"
        )


async def write_dataset(
    connection: AsyncConnection,
    cast: Cast,
    seed: int,
    password_hash: str,
    tokens: list[str],
    progress: Progress,
) -> int:
    """Write everything; returns how many issue events were written."""
    ids = Ids()
    ids.users = await write_users(connection, cast, password_hash, tokens)
    await write_projects(connection, cast, ids)
    progress(f"{len(cast.users)} users with tokens, {len(cast.projects)} projects")
    written = 0
    for project in cast.projects:
        started = time.perf_counter()
        issues = plan_issues(project, cast, seed)
        events = await write_issues(connection, cast, ids, project, issues)
        written += events
        seconds = time.perf_counter() - started
        progress(
            f"{project.key} ({project.visibility.value}, {len(project.members)} members): "
            f"{project.issue_count} issues, {project.comment_count} comments, {events} events "
            f"in {seconds:.1f} s"
        )
    if connection.dialect.name == "postgresql":
        # Autovacuum would analyse these tables within a minute or so; a benchmark started right
        # away would otherwise meet plans made for empty tables.
        # Only ours: a bare ANALYZE would visit every schema of the database.
        await connection.execute(text(f"ANALYZE {', '.join(SEEDED_TABLES)}"))
    return written
