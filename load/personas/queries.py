"""Issue-list filters as people use them: mostly the first page of open issues, sometimes a
label, an assignee, another sort or tab, a few pages further on. The web list and the API take
the same query parameters."""

from __future__ import annotations

import random
from collections.abc import Sequence

from personas.dataset import Project

PER_PAGE = 25  # both lists' default page size


def chance(probability: float) -> bool:
    return random.random() < probability


def page_number(project: Project) -> int:
    """Mostly page 1, sometimes the next few, rarely anywhere up to the (estimated) last one."""
    roll = random.random()
    if roll < 0.75:
        return 1
    if roll < 0.95:
        return random.randint(2, 5)
    return random.randint(1, max(1, project.issues // PER_PAGE))


def issue_filters(
    project: Project, *, members: Sequence[str] = (), signed_in: bool
) -> dict[str, str]:
    """Query parameters for one look at ``project``'s issue list (``q`` is added by searches)."""
    params: dict[str, str] = {}
    if chance(0.35):
        params["state"] = random.choice(("closed", "closed", "all"))
    if project.labels and chance(0.25):
        params["labels"] = ",".join(random.sample(project.labels, k=1 if chance(0.8) else 2))
    if chance(0.2 if signed_in else 0.05):
        people = ["none", "*", *(["me", "me"] if signed_in else [])]
        params["assignee"] = random.choice(
            [*people, *([random.choice(members)] if members else [])]
        )
    if signed_in and chance(0.05):
        params["author"] = "me"
    if project.milestones and chance(0.1):
        params["milestone"] = random.choice([*project.milestones, "none"])
    if chance(0.3):
        params["sort"] = random.choice(("updated", "updated", "comments"))
    if chance(0.1):
        params["direction"] = "asc"
    if (number := page_number(project)) > 1:
        params["page"] = str(number)
    return params


def search(words: str) -> dict[str, str]:
    """A search: words, across open and closed issues half the time."""
    return {"q": words, **({"state": "all"} if chance(0.5) else {})}
