"""The ``quart_app`` command: migrate, create users, seed demo or load data, run for development."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from quart import Quart
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app import create_app, migrate
from quart_app.config import ConfigError
from quart_app.db import Database
from quart_app.services.accounts import AccountExistsError, create_user
from quart_app.services.errors import InvalidInputError

T = TypeVar("T")


def load_app() -> Quart:
    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error


def run_with_database(
    operation: Callable[[Database], Awaitable[T]], *, migrations: bool = False
) -> T:
    """Open the configured database, run ``operation`` on it, and always dispose the engine."""

    async def run() -> T:
        database = Database.from_config(load_app().config, for_migrations=migrations)
        try:
            return await operation(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def run_in_transaction(operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``operation`` in one write transaction, committed when it returns."""

    async def in_transaction(database: Database) -> T:
        async with database.write_sessions() as session, session.begin():
            return await operation(session)

    return run_with_database(in_transaction)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """quart_app: an async issue tracker for small teams."""


@main.command("migrate")
@click.option("--revision", default="head", show_default=True, help="Revision to upgrade to.")
def migrate_command(revision: str) -> None:
    """Upgrade the database schema (creates the SQLite file on first run)."""
    run_with_database(lambda database: migrate.upgrade(database.engine, revision), migrations=True)
    click.echo(f"Database schema is at {revision}.")


@main.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Downgrade the database schema to REVISION ("base" removes every table)."""
    run_with_database(
        lambda database: migrate.downgrade(database.engine, revision), migrations=True
    )
    click.echo(f"Database schema is at {revision}.")


@main.command("create-user")
@click.option("--username", prompt=True)
@click.option("--email", prompt=True)
@click.password_option(help="Prompted for (twice) when not given.")
@click.option("--admin", is_flag=True, help="Make the user a site administrator.")
def create_user_command(username: str, email: str, password: str, admin: bool) -> None:
    """Create a verified user account (use --admin for the first administrator)."""

    async def create(session: AsyncSession) -> Any:
        return await create_user(
            session,
            username=username,
            email=email,
            password=password,
            is_admin=admin,
            verified=True,
        )

    try:
        user = run_in_transaction(create)
    except AccountExistsError as error:
        raise click.ClickException(str(error)) from error
    except InvalidInputError as error:
        problems = "".join(f"\n  {d['field']}: {d['message']}" for d in error.details)
        raise click.ClickException(f"{error.message}{problems}") from error
    click.echo(f"Created {'administrator' if admin else 'user'} {user.username} <{user.email}>.")


@main.command("seed-demo")
def seed_demo_command() -> None:
    """Fill an empty database with demo users, a project, labels, issues and comments."""
    from quart_app.demo import DEMO_PASSWORD, seed_demo

    app = load_app()
    if app.config["APP_ENV"] == "production":
        raise click.ClickException(
            "refusing to seed demo data (with a public password) in production"
        )
    created = run_in_transaction(seed_demo)
    if not created:
        raise click.ClickException("demo data is already there (user 'alice' exists)")
    click.echo(f"Seeded demo data. Sign in as alice, bob or carol with password {DEMO_PASSWORD!r}.")


@main.command("seed-load")
@click.option("--projects", default=20, show_default=True, type=click.IntRange(1, 999))
@click.option("--issues", default=50_000, show_default=True, type=click.IntRange(0))
@click.option("--comments", default=200_000, show_default=True, type=click.IntRange(0))
@click.option("--users", default=500, show_default=True, type=click.IntRange(1, 999_999))
@click.option("--labels-per-project", default=12, show_default=True, type=click.IntRange(0, 500))
@click.option("--milestones-per-project", default=6, show_default=True, type=click.IntRange(0, 500))
@click.option(
    "--credentials",
    "credentials_path",
    default=Path("load/credentials.json"),
    show_default=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the users' password and tokens (JSON, mode 0600).",
)
@click.option("--seed", default=1, show_default=True, help="The same seed makes the same data.")
def seed_load_command(
    projects: int,
    issues: int,
    comments: int,
    users: int,
    labels_per_project: int,
    milestones_per_project: int,
    credentials_path: Path,
    seed: int,
) -> None:
    """Fill an EMPTY, migrated database with a load-test dataset; write its credentials file."""
    from quart_app.loadseed import DatabaseNotEmptyError, LoadSizes, seed_load
    from quart_app.migrate import SchemaOutOfDateError

    sizes = LoadSizes(
        projects=projects, issues=issues, comments=comments, users=users,
        labels_per_project=labels_per_project, milestones_per_project=milestones_per_project,
        seed=seed,
    )  # fmt: skip
    try:
        report = run_with_database(
            lambda database: seed_load(database, sizes, credentials_path, progress=click.echo)
        )
    except (DatabaseNotEmptyError, SchemaOutOfDateError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Seeded {report.users} users, {report.projects} projects, {report.issues} issues, "
        f"{report.comments} comments and {report.events} events in {report.seconds:.1f} s. "
        f"Credentials: {credentials_path}"
    )


@main.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")  # noqa: S104
@click.option(
    "--allow-non-production", is_flag=True, help="Serve an APP_ENV other than production."
)
def serve_command(host: str, allow_non_production: bool) -> None:
    """Production server: hypercorn on $PORT (8000) with $WEB_CONCURRENCY (2) workers."""
    from quart_app.migrate import SchemaOutOfDateError
    from quart_app.serving import ServeSettingsError, serve

    try:
        exit_code = serve(host, allow_non_production=allow_non_production)
    except (ConfigError, SchemaOutOfDateError, ServeSettingsError) as error:
        raise click.ClickException(str(error)) from error
    except (SQLAlchemyError, OSError) as error:
        raise click.ClickException(f"the database cannot be reached: {error}") from error
    raise SystemExit(exit_code)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--reload/--no-reload", default=True, show_default=True)
def run_command(host: str, port: int, reload: bool) -> None:
    """Development server: migrate the database, then serve with the development config."""
    app = load_app()
    run_with_database(lambda database: migrate.upgrade(database.engine), migrations=True)
    click.echo(f"Database migrated. Serving on http://{host}:{port}")
    app.run(host=host, port=port, use_reloader=reload)
