"""Locust personas for quart_app: HTTP only (nothing from quart_app), so they aim at any deployment.

    locust -f load/locustfile.py -H https://tracker.example.com
    locust -f load/locustfile.py --headless -u 50 -r 10 -t 5m -H http://127.0.0.1:8000 --processes 2

Personas (their share of the locust users is their weight):

- ``Visitor`` (weight 5): not signed in; the start page, /projects, public projects' issue lists
  (filters, pages, the closed tab), searches, issue pages. Never touches a private project.
- ``TeamMember`` (weight 3): signs in through the sign-in form with a seeded account; the
  dashboard, their projects' lists and issues, and through the issue page's forms (CSRF token
  and all): comments, close/reopen (reporters: only issues they opened), labels (maintainers).
- ``ApiClient`` (weight 2): a Bearer token on /api/v1; lists, searches, single issues, the
  caller's issues, projects; opens issues and edits them with If-Match after a GET.

Reads far outnumber writes (about 10 to 1). Expected refusals are successes counted under their
own names: "PATCH ... (412 race)", "... (422 stale form)", "... (404 gone)".

Environment variables (all optional):

    LOAD_CREDENTIALS      the file `quart_app seed-load --credentials` wrote
                          (default: credentials.json beside this file)
    LOAD_WEIGHT_VISITOR   5    persona weights (0 leaves a persona out)
    LOAD_WEIGHT_MEMBER    3
    LOAD_WEIGHT_API       2
    LOAD_WAIT_MIN         0.5  browser think time between tasks, in seconds
    LOAD_WAIT_MAX         2.0
    LOAD_API_WAIT_MIN     0.2  API client pause between calls, in seconds
    LOAD_API_WAIT_MAX     1.0
    LOAD_THINK_TIME       set to 0 for throughput runs: no waiting at all
    LOAD_WORKER_COUNT     load-generator processes in a distributed run (default: --processes,
                          else 1), so that each process hands out its own seeded accounts
"""

from __future__ import annotations

import logging

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner
from personas.api_client import ApiClient
from personas.common import process
from personas.dataset import CredentialsError
from personas.member import TeamMember
from personas.visitor import Visitor

__all__ = ["ApiClient", "TeamMember", "Visitor"]


@events.test_start.add_listener
def check_credentials(environment: Environment, **_kwargs: object) -> None:
    """Stop at once, with one clear message, when the seeded data is missing: the master hands
    out no users itself, so only the processes that run them need the file."""
    if isinstance(environment.runner, MasterRunner):
        return
    try:
        process(environment)
    except CredentialsError as error:
        logging.getLogger("locustfile").error("%s", error)
        if environment.runner is not None:
            environment.runner.quit()
