"""The Procfile and the Dockerfile, run the way their platforms run them.

No Docker engine runs here, so the image's instructions are read from the Dockerfile and its
command is started with the image's environment, as ``docker run`` would.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import httpx
import pytest

from tests.live import server

pytestmark = pytest.mark.slow

DOCKERFILE = server.PROJECT_ROOT / "Dockerfile"


def procfile_commands() -> dict[str, str]:
    lines = (server.PROJECT_ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def dockerfile_final_stage() -> list[str]:
    """The instructions of the last stage, one string each (continuation lines joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    last_from = max(index for index, line in enumerate(lines) if line.startswith("FROM "))
    return lines[last_from:]


def instruction(name: str) -> list[str]:
    return [
        line[len(name) + 1 :] for line in dockerfile_final_stage() if line.startswith(name + " ")
    ]


def image_environment() -> dict[str, str]:
    environment: dict[str, str] = {}
    for assignments in instruction("ENV"):
        for pair in shlex.split(assignments):
            name, _, value = pair.partition("=")
            environment[name] = value
    environment.pop("PATH")  # the image's venv path; ours is put first by server.run
    return environment


def serve_and_probe(command: str | list[str], environment: dict[str, str], tmp_path: Path) -> None:
    live = server.start(
        command, environment, port=int(environment["PORT"]), log_path=tmp_path / "log"
    )
    try:
        live.wait_until_healthy()
        ready = httpx.get(f"{live.base_url}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        assert "server" not in ready.headers  # hypercorn's banner is switched off
    finally:
        assert live.stop() == 0, live.log()


def test_procfile_release_migrates_and_web_serves_on_port_with_web_concurrency(
    production_environment: dict[str, str], tmp_path: Path
) -> None:
    commands = procfile_commands()
    environment = {
        **production_environment,
        "PORT": str(server.free_port()),
        "WEB_CONCURRENCY": "2",
    }
    release = server.run(commands["release"], environment)
    assert release.returncode == 0, release.stderr
    serve_and_probe(commands["web"], environment, tmp_path)


def test_procfile_web_without_a_secret_key_exits_and_names_it(
    production_environment: dict[str, str],
) -> None:
    environment = {**production_environment, "PORT": str(server.free_port())}
    del environment["SECRET_KEY"]
    result = server.run(procfile_commands()["web"], environment)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_procfile_web_serves_the_production_configuration_by_default(
    production_environment: dict[str, str],
) -> None:
    environment = {**production_environment, "PORT": str(server.free_port())}
    del environment["APP_ENV"], environment["SECRET_KEY"]
    result = server.run(procfile_commands()["web"], environment)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr  # production's rule, not development's


def test_serve_refuses_the_development_configuration_unless_asked(
    production_environment: dict[str, str],
) -> None:
    environment = {**production_environment, "APP_ENV": "development"}
    result = server.run(["quart_app", "serve"], environment)
    assert result.returncode != 0
    assert "APP_ENV=development is not for serving the public" in result.stderr


def test_procfile_web_refuses_a_bad_port(production_environment: dict[str, str]) -> None:
    environment = {**production_environment, "PORT": "eighty"}
    result = server.run(procfile_commands()["web"], environment)
    assert result.returncode != 0
    assert "PORT='eighty' must be a positive whole number" in result.stderr


def test_dockerfile_runs_as_a_non_root_user_with_an_exec_form_command() -> None:
    (user,) = instruction("USER")
    assert user not in {"root", "0"}
    (command,) = instruction("CMD")
    assert isinstance(json.loads(command), list)  # exec form: SIGTERM reaches hypercorn
    assert image_environment()["APP_ENV"] == "production"


def test_dockerfile_never_migrates_at_build_time() -> None:
    joined = DOCKERFILE.read_text().replace("\\\n", " ")  # continuation lines, joined
    runs = " ".join(re.findall(r"^RUN .*$", joined, flags=re.MULTILINE))
    assert "migrate" not in runs
    assert "alembic" not in runs


def test_image_command_serves_with_the_image_environment(
    production_environment: dict[str, str], tmp_path: Path
) -> None:
    environment = {**image_environment(), **production_environment, "PORT": str(server.free_port())}
    assert server.run(["quart_app", "migrate"], environment).returncode == 0
    (command,) = instruction("CMD")
    serve_and_probe(json.loads(command), environment, tmp_path)


def test_image_healthcheck_command_passes_against_a_running_server(
    production_environment: dict[str, str], tmp_path: Path
) -> None:
    environment = {**image_environment(), **production_environment, "PORT": str(server.free_port())}
    assert server.run(["quart_app", "migrate"], environment).returncode == 0
    healthcheck = json.loads(instruction("HEALTHCHECK")[0].split(" CMD ", 1)[1])
    live = server.start(["quart_app", "serve"], environment, port=int(environment["PORT"]),
                        log_path=tmp_path / "log")  # fmt: skip
    try:
        live.wait_until_healthy()
        assert server.run(healthcheck, environment).returncode == 0
    finally:
        live.stop()
    assert server.run(healthcheck, environment).returncode != 0  # and fails once it is gone


def test_image_command_without_a_secret_key_exits_and_names_it(
    production_environment: dict[str, str],
) -> None:
    environment = {**image_environment(), **production_environment}
    del environment["SECRET_KEY"]
    result = server.run(json.loads(instruction("CMD")[0]), environment)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_constraints_file_pins_versions_without_urls() -> None:
    lines = (server.PROJECT_ROOT / "constraints.txt").read_text().splitlines()
    pins = [line for line in lines if line and not line.startswith("#")]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[\w.]+", pin) for pin in pins)


def test_compose_migrates_before_serving_and_requires_a_secret_key() -> None:
    import yaml

    compose = yaml.safe_load((server.PROJECT_ROOT / "compose.yaml").read_text())
    migrate, web = compose["services"]["migrate"], compose["services"]["web"]
    assert migrate["command"] == ["quart_app", "migrate"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert web["build"] == migrate["build"] == "."
    assert web["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert web["environment"]["DATABASE_URL"].startswith("postgresql://")
