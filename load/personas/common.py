"""What every persona shares: the process's data, response checks, and a browser's habits."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser
from locust.contrib.fasthttp import ResponseContextManager
from locust.env import Environment

from personas import settings
from personas.dataset import Account, Catalog, Credentials, account_slots, load_credentials
from personas.pages import Form

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
SIGN_IN = "/sign-in"
BODY_EXCERPT = 200
SENTENCES = (
    "Steps to reproduce are below",
    "It happens on every reload, also after clearing the cache",
    "Seen on **staging** too",
    "Could this be related to the last deploy? `retry` did not help",
    "Workaround for now: open it in a new tab",
)


@dataclass
class Process:
    """This load-generator process's share of the data: the accounts it hands out, in turn."""

    credentials: Credentials
    catalog: Catalog
    slots: Iterator[int]

    def next_account(self) -> Account:
        return self.credentials.accounts[next(self.slots)]


@cache
def process(environment: Environment) -> Process:
    """Made on first use (not at import, so the test suite can import the locustfile); with
    ``--processes`` or ``--worker``, each process starts at its own worker index."""
    credentials = load_credentials(settings.credentials_path())
    offset = max(0, getattr(environment.runner, "worker_index", 0) or 0)
    slots = account_slots(
        len(credentials.accounts), offset=offset, stride=settings.process_count(environment)
    )
    return Process(credentials, Catalog(), slots)


def judge(
    response: ResponseContextManager,
    ok: Collection[int],
    tolerated: Mapping[int, str] | None = None,
) -> bool:
    """Mark a response: True for an ``ok`` status. A ``tolerated`` status is an expected outcome
    (a 412 race, a 422 stale form): a success, counted under its own name ("... (412 race)").
    Anything else is a failure that says what came back."""
    status = response.status_code
    if status in ok:
        response.success()
        return True
    if tolerated and status in tolerated:
        response.request_meta["name"] = f"{response.request_meta['name']} ({tolerated[status]})"
        response.success()
        return False
    response.failure(describe(response))
    return False


def describe(response: ResponseContextManager) -> str:
    if not response.status_code:
        return f"no response: {getattr(response, 'error', None)!r}"
    try:
        body = (response.text or "").strip().replace("\n", " ")
    except Exception as error:  # an undecodable body must not hide the status
        body = f"<unreadable body: {error!r}>"
    location = header(response, "Location")
    moved = f" (Location: {location})" if location else ""
    return f"HTTP {response.status_code}{moved}: {body[:BODY_EXCERPT]}"


def header(response: ResponseContextManager, name: str) -> str:
    """A response header, or "" (a failed connection has no headers at all)."""
    headers = response.headers
    return str(headers.get(name) or "") if headers is not None else ""


def prose(sentences: int = 2) -> str:
    return ". ".join(random.sample(SENTENCES, k=min(sentences, len(SENTENCES)))) + "."


class Browser(FastHttpUser):
    """Someone in a browser: asks for HTML, follows redirects after a form like a browser
    does, and checks each response itself (an unexpected redirect is a failure, not followed)."""

    abstract = True
    wait_time = settings.think_time("", 0.5, 2.0)
    default_headers = {  # noqa: RUF012 (locust reads it from the class)
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
        "User-Agent": "quart_app-load/1 (locust browser persona)",
    }

    def page(
        self, path: str, name: str, *, params: Mapping[str, str] | None = None,
        tolerated: Mapping[int, str] | None = None,
    ) -> str | None:  # fmt: skip
        """GET a page; its HTML when it is a 200."""
        url = f"{path}?{urlencode(params)}" if params else path
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as got:
            return got.text if judge(got, (200,), tolerated) else None

    def submit(
        self, form: Form, data: Mapping[str, str], name: str, *, on_page: str,
        tolerated: Mapping[int, str] | None = None, then: str,
    ) -> str | None:  # fmt: skip
        """POST a form as the browser would (url-encoded, with the page it was on as Referer);
        after the redirect of a success, GET the page it leads to (named ``then``)."""
        headers = {"Content-Type": FORM_CONTENT_TYPE, "Referer": f"{self.host}{on_page}"}
        with self.client.post(
            form.action, data=urlencode(data), headers=headers, name=name,
            catch_response=True, allow_redirects=False,
        ) as posted:  # fmt: skip
            location = header(posted, "Location")
            if urlsplit(location).path == SIGN_IN:
                posted.failure(f"sent to the sign-in page ({location}): signed out?")
                return None
            if not judge(posted, (302, 303), tolerated):
                return None
        return self.page(location, then)

    def catalog(self) -> Catalog:
        return process(self.environment).catalog

    def credentials(self) -> Credentials:
        return process(self.environment).credentials


def pick(choices: Collection[Any]) -> Any:
    return random.choice(list(choices))
