"""load/capacity.py: what each wrk target aims at."""

from __future__ import annotations

import capacity
import pytest

pytestmark = pytest.mark.unit


def credentials(*member_of: tuple[str, str]) -> dict:
    sizes = {"WEB": 7000, "API": 300, "OPS": 40}
    return {
        "projects": [
            {"key": key, "issues": issues, "visibility": "private"} for key, issues in sizes.items()
        ],
        "users": [{"username": "max", "token": "t", "projects": dict(member_of)}],
        "password": "p",
    }


def test_creates_go_to_another_project_than_the_reads() -> None:
    """The reads must see the same data in every repetition: creates go to the member's
    smallest other project, never to the one the list and pages read."""
    data = credentials(("WEB", "maintainer"), ("API", "reporter"), ("OPS", "maintainer"))
    scripts = capacity.wrk_scripts(data, cookie="c=1")

    assert '"/projects/WEB/issues/"' in scripts[capacity.GET_ISSUE]
    assert "/api/v1/projects/WEB/issues?" in scripts[capacity.ISSUE_LIST]
    assert 'wrk.path = "/api/v1/projects/OPS/issues"' in scripts[capacity.CREATE_ISSUE]


def test_a_member_of_one_project_creates_in_it() -> None:
    data = credentials(("WEB", "maintainer"))
    scripts = capacity.wrk_scripts(data, cookie="c=1")

    assert 'wrk.path = "/api/v1/projects/WEB/issues"' in scripts[capacity.CREATE_ISSUE]


def test_the_report_s_command_names_no_folder_of_this_machine() -> None:
    arguments = ["--name", "run", "--data", "/home/me/datasets", "--reps", "3"]
    assert capacity._portable(arguments) == ["--name", "run", "--data", "D", "--reps", "3"]
