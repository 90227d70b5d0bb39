"""The seeded data the personas act on: the credentials file, and what a process learns as it runs.

The file is written by ``quart_app seed-load --credentials PATH`` (schema version 1)::

    {"version": 1, "password": "...",
     "users": [{"username": "...", "email": "...", "token": "qat_...",
                "projects": {"LOAD01": "maintainer", "LOAD07": "reporter"}}],
     "projects": [{"key": "LOAD01", "visibility": "public", "issues": 4123,
                   "labels": ["bug", ...], "milestones": ["v1.0", ...]}]}
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
ROLE_RANK = {"reporter": 1, "maintainer": 2, "owner": 3}
# Words for searches until the run has seen real titles (the seeder's vocabulary is its own).
STARTER_WORDS = ("error", "crash", "login", "page", "save", "slow", "update", "search", "email")
WORD = re.compile(r"[^\W\d_]{4,}")


class CredentialsError(Exception):
    """The credentials file is missing or not what the personas expect."""


@dataclass(frozen=True)
class Project:
    key: str
    public: bool
    issues: int  # seeded issues are numbered 1..issues
    labels: tuple[str, ...]
    milestones: tuple[str, ...]


@dataclass(frozen=True)
class Account:
    username: str
    email: str
    token: str
    roles: Mapping[str, str]  # project key -> "reporter" | "maintainer" | "owner"

    def can(self, key: str, role: str) -> bool:
        """Whether this account's role in project ``key`` is ``role`` or above."""
        return ROLE_RANK.get(self.roles.get(key, ""), 0) >= ROLE_RANK[role]


@dataclass(frozen=True)
class Credentials:
    password: str
    accounts: tuple[Account, ...]
    projects: Mapping[str, Project]

    def public_projects(self) -> list[Project]:
        return [project for project in self.projects.values() if project.public]

    def members(self, key: str) -> list[str]:
        return [account.username for account in self.accounts if key in account.roles]


def load_credentials(path: Path) -> Credentials:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CredentialsError(
            f"no credentials file at {path}: run `quart_app seed-load --credentials {path}` "
            "against the target's database, or point LOAD_CREDENTIALS at the file"
        ) from None
    except (OSError, ValueError) as error:
        raise CredentialsError(f"cannot read credentials file {path}: {error}") from None
    return parse_credentials(raw, path)


def parse_credentials(raw: Any, source: Path | str = "credentials") -> Credentials:
    if not isinstance(raw, dict) or raw.get("version") != SCHEMA_VERSION:
        raise CredentialsError(f"{source}: expected a JSON object with version {SCHEMA_VERSION}")
    try:
        projects = {item["key"]: parse_project(item) for item in raw["projects"]}
        accounts = tuple(parse_account(item) for item in raw["users"])
        credentials = Credentials(str(raw["password"]), accounts, projects)
    except (KeyError, TypeError, ValueError) as error:
        raise CredentialsError(f"{source}: malformed ({error!r})") from None
    if not accounts or not projects:
        raise CredentialsError(f"{source}: needs at least one user and one project")
    return credentials


def parse_project(item: Mapping[str, Any]) -> Project:
    return Project(
        key=str(item["key"]),
        public=item["visibility"] == "public",
        issues=int(item["issues"]),
        labels=tuple(str(name) for name in item.get("labels", ())),
        milestones=tuple(str(title) for title in item.get("milestones", ())),
    )


def parse_account(item: Mapping[str, Any]) -> Account:
    roles = {str(key): str(role) for key, role in dict(item.get("projects", {})).items()}
    return Account(str(item["username"]), str(item["email"]), str(item["token"]), roles)


def account_slots(count: int, *, offset: int, stride: int) -> Iterator[int]:
    """Indexes into the accounts for one load-generator process: process ``offset`` of
    ``stride`` takes offset, offset + stride, ... so processes never share an account (until
    there are more locust users than accounts: then it wraps round)."""
    stride = max(1, stride)
    return ((offset + step * stride) % count for step in itertools.count())


@dataclass
class Catalog:
    """What this process has learned during the run: the newest issue number per project (the
    API persona opens issues) and words from titles it has seen, for searches."""

    highest: dict[str, int] = field(default_factory=dict)
    words: deque[str] = field(default_factory=lambda: deque(STARTER_WORDS, maxlen=300))

    def issue_number(self, project: Project) -> int:
        return random.randint(1, max(1, self.highest.get(project.key, project.issues)))

    def opened(self, project: Project, number: int) -> None:
        self.highest[project.key] = max(number, self.highest.get(project.key, project.issues))

    def learn_titles(self, titles: list[str]) -> None:
        for title in titles[:5]:
            self.words.extend(word.lower() for word in WORD.findall(title)[:3])

    def search_words(self) -> str:
        return " ".join(random.sample(list(self.words), k=1 if random.random() < 0.7 else 2))
