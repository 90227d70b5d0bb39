"""Schemathesis finds no 5xx and no response outside the OpenAPI document on a live server.

The data is arranged through the services on a migrated database before hypercorn starts, so the
path parameters pinned in tests/live/schemathesis.toml hit real resources; every request carries
the project owner's read_write API token. The schemathesis CLI runs as a subprocess, as in CI.
"""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app import create_app
from quart_app.db import Database
from quart_app.models import Role, TokenScope, User
from quart_app.services.accounts import create_user
from quart_app.services.api_tokens import create_api_token
from quart_app.services.comments import add_comment
from quart_app.services.issues import add_assignees
from quart_app.services.labels import create_label
from quart_app.services.milestones import create_milestone
from quart_app.services.projects import create_project
from tests.factories import acting_as, add_member, open_issue
from tests.live import server
from tests.support import config_for, migrate_to_head, run_sync

pytestmark = [pytest.mark.live, pytest.mark.slow]

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS_TIMEOUT_SECONDS = 300  # a run takes 45-90 s here; a hang must not stall the suite
PASSWORD = "contract-test-password-9"
ISSUE = "/api/v1/projects/{key}/issues/{number}"
COMMENT = f"{ISSUE}/comments/{{comment_id}}"


@dataclass(frozen=True)
class Arranged:
    token: str
    pins: dict[str, Any]  # what tests/live/schemathesis.toml must pin for this data


async def create_users(session: AsyncSession, *names: str) -> list[User]:
    return [
        await create_user(
            session, username=name, email=f"{name}@example.com", password=PASSWORD, verified=True
        )
        for name in names
    ]


async def arrange_tracker(session: AsyncSession) -> Arranged:
    """Project CT owned by alice (members bob and carol) with things to read, edit and delete."""
    alice, bob, carol = await create_users(session, "alice", "bob", "carol")
    project = await create_project(session, owner=alice, key="CT", name="Contract")
    doomed_project = await create_project(session, owner=alice, key="GONE", name="Gone")
    access = acting_as(project, alice)
    for member in (bob, carol):
        await add_member(session, project, member, Role.REPORTER)
    label, doomed_label = [await create_label(session, access, name=n) for n in ("bug", "old")]
    milestone, doomed_milestone = [
        (await create_milestone(session, access, title=title)).milestone for title in ("v1", "v0")
    ]
    *issues, doomed_issue = [await open_issue(session, project, alice, f"#{n}") for n in range(4)]
    await add_assignees(session, access, issues[0].number, [bob.username])
    comment, doomed_comment = [
        await add_comment(session, access, issues[0].number, body=body) for body in ("Hi", "Bye")
    ]
    _, token = await create_api_token(
        session, alice, name="schemathesis", scope=TokenScope.READ_WRITE, expires_at=None
    )
    pins = {
        "dictionary issue_numbers": [issue.number for issue in issues],
        "dictionary label_ids": [label.id],
        "dictionary milestone_ids": [milestone.id],
        "dictionary comment_ids": [comment.id],
        "dictionary label_names": [label.name],
        "dictionary usernames": [alice.username, bob.username],
        "dictionary milestone_titles": [milestone.title],
        "dictionary comment_issue_numbers": [issues[0].number],
        "every operation: path.key": project.key,
        "every operation: path.username": bob.username,
        "DELETE /api/v1/projects/{key}: path.key": doomed_project.key,
        f"DELETE {ISSUE}: path.number": doomed_issue.number,
        "DELETE /api/v1/projects/{key}/labels/{label_id}: path.label_id": doomed_label.id,
        "DELETE /api/v1/projects/{key}/milestones/{milestone_id}: path.milestone_id": (
            doomed_milestone.id
        ),
        f"DELETE {COMMENT}: path.number": issues[0].number,
        f"DELETE {COMMENT}: path.comment_id": doomed_comment.id,
        "DELETE /api/v1/projects/{key}/members/{username}: path.username": carol.username,
    }
    return Arranged(token=token, pins=pins)


async def migrate_and_arrange(database_url: str) -> Arranged:
    await migrate_to_head(database_url)
    database = Database.from_config(create_app(config_for(database_url)).config)
    try:
        async with database.write_sessions() as session:
            arranged = await arrange_tracker(session)
            await session.commit()
            return arranged
    finally:
        await database.dispose()


def pins_in_config() -> dict[str, Any]:
    """The dictionaries and the fixed parameter values of the toml, flattened like Arranged.pins."""
    config = tomllib.loads(CONFIG.read_text())
    pins = {f"dictionary {name}": entry["values"] for name, entry in config["dictionaries"].items()}
    scopes = [("every operation", config["parameters"])]
    for operation in config["operations"]:
        names = operation.get("include-name", [])
        for name in [names] if isinstance(names, str) else names:
            scopes.append((name, operation.get("parameters", {})))
    for scope, parameters in scopes:
        for key, value in parameters.items():
            if not isinstance(value, dict):  # a dictionary binding, listed above
                pins[f"{scope}: {key}"] = value
    return pins


def run_schemathesis(base_url: str, token: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    command = [
        str(server.VENV_BIN / "schemathesis"), "--config-file", str(CONFIG), "run",
        f"{base_url}/openapi.json", "--no-color",
    ]  # fmt: skip
    return subprocess.run(
        command, env=server.process_environment({"SCHEMATHESIS_TOKEN": token}), cwd=workdir,
        capture_output=True, text=True, timeout=SCHEMATHESIS_TIMEOUT_SECONDS, check=False,
    )  # fmt: skip


def as_text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def start_documented_server(environment: dict[str, str], log_path: Path) -> server.LiveServer:
    """`quart_app serve` in production, plus /openapi.json and without rate limits."""
    port = server.free_port()
    environment = {
        **environment,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DOCS_ENABLED": "true",  # off by default in production
        "RATE_LIMITS_ENABLED": "false",  # thousands of requests from one address in a minute
    }
    command = ["quart_app", "serve", "--host", "127.0.0.1"]
    live = server.start(command, environment, port=port, log_path=log_path)
    try:
        live.wait_until_healthy()
    except Exception:
        live.stop()
        raise
    return live


def test_schemathesis_config_pins_the_resources_the_contract_test_arranges(
    database_url: str,
) -> None:
    arranged = run_sync(migrate_and_arrange(database_url))

    assert pins_in_config() == arranged.pins


def test_api_has_no_server_errors_and_no_responses_outside_its_openapi_document(
    database_url: str, production_environment: dict[str, str], tmp_path: Path
) -> None:
    arranged = run_sync(migrate_and_arrange(database_url))
    assert pins_in_config() == arranged.pins  # else the run would miss its resources
    live = start_documented_server(production_environment, tmp_path / "server.log")
    try:
        result = run_schemathesis(live.base_url, arranged.token, tmp_path)
        exit_status: int | None = result.returncode
        report = f"{result.stdout}{result.stderr}"
    except subprocess.TimeoutExpired as timeout:  # its output is bytes, whatever text= says
        exit_status, report = None, as_text(timeout.stdout) + "\n(timed out)"
    finally:
        server_exit_code = live.stop()

    log = live.log()
    failure = f"{report[-15000:]}\n--- server log (tail) ---\n{log[-5000:]}"
    # 0: every check passed; 1: a check failed; 2: bad config, unloadable schema or nothing ran.
    assert exit_status == 0, failure
    assert "Traceback" not in log, failure
    assert server_exit_code == 0, failure
