"""Who and where: the load users, the projects, who is a member of what, labels and milestones.

Everything here is planned in Python from the seed before anything is written; times are spread
over the year before ``now``, users and projects first, so every issue comes after both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from quart_app.loadseed.prose import COMPONENTS, paragraph
from quart_app.models import Role, Visibility

YEAR = timedelta(days=365)
LABELS = (
    ("bug", "#d73a4a", "Something is not working"),
    ("enhancement", "#a2eeef", "A new feature or request"),
    ("documentation", "#0075ca", "Improvements or additions to the docs"),
    ("question", "#d876e3", "Further information is requested"),
    ("priority/high", "#b60205", "Do this first"),
    ("priority/medium", "#fbca04", "Soon"),
    ("priority/low", "#0e8a16", "When there is time"),
    ("area/api", "#1d76db", "The JSON API"),
    ("area/web", "#5319e7", "The web pages"),
    ("performance", "#f9d0c4", "Slow or heavy"),
    ("security", "#ee0701", "A security problem"),
    ("good first issue", "#7057ff", "Good for newcomers"),
    ("help wanted", "#008672", "Extra attention is needed"),
    ("area/cli", "#c2e0c6", "The command line"),
    ("wontfix", "#ffffff", "This will not be worked on"),
    ("duplicate", "#cfd3d7", "This issue or pull request already exists"),
)  # fmt: skip


@dataclass(frozen=True)
class LoadSizes:
    """How much to make; the defaults are issue 6's benchmark dataset."""

    projects: int = 20
    issues: int = 50_000
    comments: int = 200_000
    users: int = 500
    labels_per_project: int = 12
    milestones_per_project: int = 6
    seed: int = 1

    def problems(self) -> list[str]:
        checks = [
            (1 <= self.projects <= 999, "--projects must be 1 to 999"),
            (1 <= self.users <= 999_999, "--users must be 1 to 999999"),
            (self.issues >= 0 and self.comments >= 0, "sizes cannot be negative"),
            (self.issues > 0 or self.comments == 0, "comments need at least one issue"),
            (0 <= self.labels_per_project <= 500, "--labels-per-project must be 0 to 500"),
            (0 <= self.milestones_per_project <= 500, "--milestones-per-project must be 0 to 500"),
        ]
        return [message for ok, message in checks if not ok]


@dataclass
class UserPlan:
    index: int
    username: str
    email: str
    created_at: datetime


@dataclass
class LabelPlan:
    name: str
    color: str
    description: str


@dataclass
class MilestonePlan:
    title: str
    description: str
    due_on: date | None
    created_at: datetime
    closed_at: datetime | None


@dataclass
class ProjectPlan:
    index: int
    key: str
    name: str
    description: str
    visibility: Visibility
    created_at: datetime
    issue_count: int
    comment_count: int
    labels: list[LabelPlan] = field(default_factory=list)
    milestones: list[MilestonePlan] = field(default_factory=list)
    members: dict[int, Role] = field(default_factory=dict)  # user index -> role


@dataclass
class Cast:
    now: datetime
    start: datetime  # the first issue is opened after this
    users: list[UserPlan]
    projects: list[ProjectPlan]


def plan_cast(sizes: LoadSizes, now: datetime) -> Cast:
    rng = random.Random(f"cast:{sizes.seed}")  # noqa: S311 (made-up data, not secrets)
    start = now - YEAR
    users = [_user(rng, index, sizes.users, start) for index in range(sizes.users)]
    weights = _project_weights(rng, sizes.projects)
    issue_counts = split(sizes.issues, weights)
    comment_counts = split(sizes.comments, issue_counts)
    projects = [
        _project(rng, index, sizes, start, issue_counts[index], comment_counts[index])
        for index in range(sizes.projects)
    ]
    _assign_members(rng, projects, len(users), weights)
    return Cast(now=now, start=start, users=users, projects=projects)


def split(total: int, weights: list[float] | list[int]) -> list[int]:
    """``total`` in whole shares proportional to ``weights`` (largest remainders get the rest)."""
    whole = sum(weights)
    if not whole:
        return [0] * len(weights)
    exact = [total * weight / whole for weight in weights]
    shares = [int(value) for value in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: shares[i] - exact[i])
    for index in by_remainder[: total - sum(shares)]:
        shares[index] += 1
    return shares


def _project_weights(rng: random.Random, count: int) -> list[float]:
    """Uneven sizes: a Zipf-like curve over a shuffled order, so a few projects are big."""
    ranks = list(range(count))
    rng.shuffle(ranks)
    return [1 / (rank + 1) for rank in ranks]


def _user(rng: random.Random, index: int, count: int, start: datetime) -> UserPlan:
    username = f"load-user-{index + 1:0{max(4, len(str(count)))}d}"
    created = start - timedelta(days=30) + timedelta(seconds=rng.uniform(0, 20 * 86_400))
    return UserPlan(index, username, f"{username}@example.com", created)


def _project(
    rng: random.Random, index: int, sizes: LoadSizes, start: datetime, issues: int, comments: int
) -> ProjectPlan:
    created = start - timedelta(days=8) + timedelta(seconds=rng.uniform(0, 86_400))
    key = f"LOAD{index + 1:0{max(2, len(str(sizes.projects)))}d}"
    project = ProjectPlan(
        index=index, key=key, name=f"Load project {index + 1}: {rng.choice(COMPONENTS)}",
        description=paragraph(rng),
        visibility=Visibility.PUBLIC if index % 2 == 0 else Visibility.PRIVATE,
        created_at=created, issue_count=issues, comment_count=comments,
    )  # fmt: skip
    project.labels = [_label(number) for number in range(sizes.labels_per_project)]
    project.milestones = [
        _milestone(rng, number, sizes.milestones_per_project, created, start)
        for number in range(sizes.milestones_per_project)
    ]
    return project


def _label(number: int) -> LabelPlan:
    if number < len(LABELS):
        return LabelPlan(*LABELS[number])
    return LabelPlan(
        f"topic-{number + 1 - len(LABELS)}", f"#{(number * 2_654_435) % 0xFFFFFF:06x}", ""
    )


def _milestone(
    rng: random.Random, number: int, count: int, created: datetime, start: datetime
) -> MilestonePlan:
    """Due dates spread over the year (the last has none); the ones already due are closed."""
    title = f"v{1 + number // 4}.{number % 4}"
    created_at = created + timedelta(minutes=10 + number)
    if number == count - 1 and count > 1:
        return MilestonePlan(title, "Some day.", None, created_at, None)
    due = start + YEAR * (number + 1) / count
    closed_at = due + timedelta(hours=rng.uniform(1, 72)) if due < start + YEAR * 0.9 else None
    return MilestonePlan(title, paragraph(rng), due.date(), created_at, closed_at)


def _assign_members(
    rng: random.Random, projects: list[ProjectPlan], user_count: int, weights: list[float]
) -> None:
    """Each user joins 1 to 4 projects (bigger ones more often) and stays out of at least one
    when there are several, so every project has visitors; each project has one owner."""
    owners = [index % user_count for index in rng.sample(range(len(projects)), len(projects))]
    for project, owner in zip(projects, owners, strict=True):
        project.members[owner] = Role.OWNER
    most = min(4, max(1, len(projects) - 1))
    for user in range(user_count):
        joined = sum(user in project.members for project in projects)
        wanted = rng.randint(1, most) - joined
        candidates = [p for p in projects if user not in p.members]
        for project in _weighted_sample(rng, candidates, weights, wanted):
            role = Role.MAINTAINER if rng.random() < 0.3 else Role.REPORTER
            project.members[user] = role
    for project in projects:
        _leave_a_visitor(rng, project, projects, user_count)


def _leave_a_visitor(
    rng: random.Random, project: ProjectPlan, projects: list[ProjectPlan], user_count: int
) -> None:
    """Small runs can put everyone in a big project: move one member out, if they are in
    another project too, so the project still has someone to show its visitor's view."""
    if len(project.members) < user_count or len(projects) == 1:
        return
    movable = [
        user
        for user, role in project.members.items()
        if role != Role.OWNER and sum(user in other.members for other in projects) > 1
    ]
    if movable:
        del project.members[rng.choice(sorted(movable))]


def _weighted_sample(
    rng: random.Random, projects: list[ProjectPlan], weights: list[float], count: int
) -> list[ProjectPlan]:
    chosen: list[ProjectPlan] = []
    pool = list(projects)
    while pool and len(chosen) < count:
        pick = rng.choices(pool, weights=[weights[p.index] for p in pool])[0]
        pool.remove(pick)
        chosen.append(pick)
    return chosen
