"""The credentials file the locust personas read: who they are, their secrets, what they may see.

Written beside its destination with mode 0600 before the data is committed and moved into place
after, so a file on disk always matches a committed dataset, and nobody else can read it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from quart_app.loadseed.cast import Cast

FORMAT_VERSION = 1


def credentials_document(cast: Cast, password: str, tokens: list[str]) -> dict[str, Any]:
    """Schema version 1: the shared password, each user's token and roles, each project."""
    roles: list[dict[str, str]] = [{} for _ in cast.users]
    for project in cast.projects:
        for user, role in project.members.items():
            roles[user][project.key] = role.value
    users = [
        {"username": user.username, "email": user.email, "token": token,
         "projects": dict(sorted(roles[user.index].items()))}
        for user, token in zip(cast.users, tokens, strict=True)
    ]  # fmt: skip
    projects = [
        {"key": project.key, "visibility": project.visibility.value,
         "issues": project.issue_count, "labels": [label.name for label in project.labels],
         "milestones": [milestone.title for milestone in project.milestones]}
        for project in cast.projects
    ]  # fmt: skip
    return {"version": FORMAT_VERSION, "password": password, "users": users, "projects": projects}


def write_private_draft(path: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` to a new file beside ``path``, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a draft left by a crashed run with the same pid
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(document, file, indent=1)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())
    return draft


def publish(draft: Path, path: Path) -> None:
    os.replace(draft, path)  # atomic: readers see the old file or the whole new one


def discard(draft: Path) -> None:
    draft.unlink(missing_ok=True)
