"""Each issue's life, as the services would have recorded it: opened (triaged then or later by a
maintainer), commented on by members, maybe closed with a reason (or closed and reopened).

The rules mirror services/issues.py, comments.py and triage.py: only maintainers and owners set
labels, assignees or a milestone; at most one label per scope; assignees are members; a later
triage, a close and a reopen each bump the version (one PATCH each), comments do not; every row
change moves ``updated_at``, so it is the time of the issue's last event.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from quart_app.loadseed import prose
from quart_app.loadseed.cast import YEAR, Cast, MilestonePlan, ProjectPlan, UserPlan
from quart_app.models import CloseReason, IssueState, Role
from quart_app.services import events
from quart_app.services.labels import scope_of

MICROSECOND = timedelta(microseconds=1)
CLOSE_REASONS = (CloseReason.COMPLETED, CloseReason.NOT_PLANNED, CloseReason.DUPLICATE)


@dataclass
class CommentPlan:
    author: int
    body: str
    created_at: datetime


@dataclass
class EventPlan:
    created_at: datetime
    actor: int
    kind: str
    data: dict[str, Any]
    comment: int | None = None  # for "commented": the index of the issue's comment


@dataclass
class IssuePlan:
    number: int
    title: str
    body: str
    author: int
    created_at: datetime
    labels: list[str] = field(default_factory=list)
    assignees: list[int] = field(default_factory=list)
    milestone: str | None = None
    comments: list[CommentPlan] = field(default_factory=list)
    events: list[EventPlan] = field(default_factory=list)
    state: IssueState = IssueState.OPEN
    close_reason: CloseReason | None = None
    closed_at: datetime | None = None
    version: int = 1

    @property
    def updated_at(self) -> datetime:
        return self.events[-1].created_at


@dataclass
class Team:
    """A project's members as the issue histories need them."""

    members: list[int]
    triagers: list[int]  # owners and maintainers
    usernames: dict[int, str]
    labels: list[str]
    milestones: list[MilestonePlan]
    now: datetime

    @classmethod
    def of(cls, project: ProjectPlan, users: list[UserPlan], now: datetime) -> Team:
        members = sorted(project.members)
        return cls(
            members=members,
            triagers=[user for user in members if project.members[user] != Role.REPORTER],
            usernames={user: users[user].username for user in members},
            labels=[label.name for label in project.labels],
            milestones=project.milestones,
            now=now,
        )

    def pick_labels(self, rng: random.Random) -> list[str]:
        wanted = rng.choices((0, 1, 2, 3), weights=(30, 35, 20, 15))[0]
        chosen: list[str] = []
        for name in rng.sample(self.labels, min(len(self.labels), wanted + 2)):
            if len(chosen) < wanted and scope_of(name) not in {scope_of(c) for c in chosen} - {
                None
            }:
                chosen.append(name)
        return chosen

    def pick_milestone(self, rng: random.Random, opened: datetime) -> str | None:
        if not self.milestones or rng.random() >= 0.3:
            return None
        ahead = [m for m in self.milestones if m.due_on is None or m.due_on >= opened.date()]
        return rng.choice(ahead or self.milestones).title


def plan_issues(project: ProjectPlan, cast: Cast, seed: int) -> list[IssuePlan]:
    """The project's issues, numbered 1..N in the order they were opened."""
    rng = random.Random(f"issues:{seed}:{project.key}")  # noqa: S311 (made-up data)
    team = Team.of(project, cast.users, cast.now)
    times = opening_times(rng, project.issue_count, cast)
    counts = comments_per_issue(rng, project.issue_count, project.comment_count)
    return [
        plan_issue(rng, team, number, opened, counts[number - 1])
        for number, opened in enumerate(times, 1)
    ]


def opening_times(rng: random.Random, count: int, cast: Cast) -> list[datetime]:
    """Over the last year, more of them lately (a growing project); strictly increasing."""
    span = cast.now - timedelta(minutes=5) - cast.start
    times = sorted(cast.start + span * (rng.random() ** 0.5) for _ in range(count))
    for index in range(1, count):
        times[index] = max(times[index], times[index - 1] + MICROSECOND)
    return times


def comments_per_issue(rng: random.Random, issues: int, comments: int) -> list[int]:
    """Uneven: many issues have none or a few, a few threads are long."""
    if not issues:
        return []
    weights = [
        0.0 if rng.random() < 0.15 else min(rng.paretovariate(1.5), 60) for _ in range(issues)
    ]
    if not any(weights):
        weights = [1.0] * issues
    counted = Counter(rng.choices(range(issues), weights=weights, k=comments))
    return [counted[index] for index in range(issues)]


def plan_issue(
    rng: random.Random, team: Team, number: int, opened: datetime, comments: int
) -> IssuePlan:
    author = rng.choice(team.triagers) if rng.random() < 0.3 else rng.choice(team.members)
    issue = IssuePlan(number, prose.title(rng), prose.issue_body(rng), author, opened)
    issue.events.append(EventPlan(opened, author, events.OPENED, {}))
    last_change = triage(rng, team, issue)
    add_comments(rng, team, issue, comments)
    close_or_reopen(rng, team, issue, last_change)
    issue.events.sort(key=lambda event: event.created_at)  # stable: ties keep recording order
    return issue


def later(rng: random.Random, moment: datetime, now: datetime, *, hours: float) -> datetime:
    """A moment after ``moment``: usually within ``hours``, never after ``now``."""
    room = max(now - moment, MICROSECOND * 2)
    step = min(timedelta(hours=rng.expovariate(3 / hours)), room * rng.uniform(0.1, 0.9))
    return moment + max(step, MICROSECOND)


def triage(rng: random.Random, team: Team, issue: IssuePlan) -> datetime:
    """Labels, assignees and a milestone: set on opening by a maintainer who opens the issue,
    or by one PATCH later. Returns when the issue last changed."""
    labels = team.pick_labels(rng)
    assignees = rng.sample(
        team.members, min(len(team.members), rng.choices((0, 1, 2), (45, 40, 15))[0])
    )
    milestone = team.pick_milestone(rng, issue.created_at)
    if not (labels or assignees or milestone):
        return issue.created_at
    if issue.author in team.triagers and rng.random() < 0.6:
        actor, moment = issue.author, issue.created_at
    else:
        actor, moment = rng.choice(team.triagers), later(rng, issue.created_at, team.now, hours=48)
        issue.version += 1
    issue.labels, issue.assignees, issue.milestone = labels, assignees, milestone
    changes: list[tuple[str, dict[str, str | None]]] = [
        (events.LABELED, {"after": name}) for name in labels
    ]
    changes += [(events.ASSIGNED, {"after": team.usernames[user]}) for user in assignees]
    if milestone is not None:
        changes.append((events.MILESTONED, {"before": None, "after": milestone}))
    for step, (kind, data) in enumerate(changes, 1):
        issue.events.append(EventPlan(moment + step * MICROSECOND, actor, kind, data))
    return moment + len(changes) * MICROSECOND


def add_comments(rng: random.Random, team: Team, issue: IssuePlan, count: int) -> None:
    """Members comment, the author more than anyone; soon after opening more than later."""
    span = team.now - issue.created_at
    times = sorted(issue.created_at + span * rng.random() ** 2 for _ in range(count))
    previous = issue.created_at + 10 * MICROSECOND  # after anything recorded on opening
    for index, moment in enumerate(times):
        moment = previous = max(moment, previous + MICROSECOND)
        author = issue.author if rng.random() < 0.3 else rng.choice(team.members)
        issue.comments.append(CommentPlan(author, prose.comment_body(rng), moment))
        issue.events.append(EventPlan(moment, author, events.COMMENTED, {}, comment=index))


def close_or_reopen(rng: random.Random, team: Team, issue: IssuePlan, after: datetime) -> None:
    """Older issues are more often closed (about a third overall); a few were closed and
    reopened. The author or a maintainer does it."""
    age = (team.now - issue.created_at) / YEAR
    roll = rng.random()
    closes = roll < 0.2 + 0.45 * age
    reopens = not closes and roll < 0.2 + 0.45 * age + 0.04
    if not (closes or reopens):
        return
    actor = issue.author if rng.random() < 0.3 else rng.choice(team.triagers)
    moment = later(rng, after, team.now, hours=24 * 30)
    reason = rng.choices(CLOSE_REASONS, weights=(70, 20, 10))[0]
    closed = {"before": "open", "after": "closed", "reason": reason.value}
    issue.events.append(EventPlan(moment, actor, events.CLOSED, closed))
    issue.version += 1
    if closes:
        issue.state, issue.close_reason, issue.closed_at = IssueState.CLOSED, reason, moment
        return
    reopened = later(rng, moment, team.now, hours=72)
    issue.events.append(
        EventPlan(reopened, actor, events.REOPENED, {"before": "closed", "after": "open"})
    )
    issue.version += 1
