"""End-to-end fixtures: real Chromium (Debian's package) against real hypercorn workers.

The site is served the way `quart_app serve` serves it (2 workers, Redis for live updates and rate
limits), on an embedded SQLite file, sending its emails over real SMTP to a sink in this process.
Without Chromium the tests are skipped on a developer machine, and fail under CI=true.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from playwright.sync_api import Browser, Page, sync_playwright
from redis import Redis

from tests.live.server import PROJECT_ROOT, LiveServer, free_port, run, start
from tests.support import ON_POSTGRES

E2E_FOLDER = Path(__file__).parent
CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
)
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", PROJECT_ROOT / "test-artifacts")) / "screenshots"
PASSWORD = "a perfectly fine passphrase"
MAIL_TIMEOUT_SECONDS = 10
REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/14")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_FOLDER in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
            if ON_POSTGRES:  # the API and page tests cover PostgreSQL; a browser run is enough once
                item.add_marker(pytest.mark.skip(reason="browser flows run in the SQLite pass"))


@dataclass
class Mailbox:
    """An SMTP server's handler: keeps every message it accepts."""

    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.content or b""
        raw = content.encode() if isinstance(content, str) else content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def link(self, to: str, path: str) -> str:
        """The newest link to ``path`` in an email to ``to`` (waits for the delivery)."""
        pattern = re.compile(rf"https?://[^\s]+{re.escape(path)}\?token=[\w\-]+")
        deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            for message in reversed(self.messages):
                body = message.get_body(preferencelist=("plain",))
                found = pattern.search(body.get_content() if body else "")
                if message["To"] == to and found:
                    return found.group(0)
            time.sleep(0.1)
        raise AssertionError(f"no email to {to} with a link to {path}")


@dataclass
class Site:
    server: LiveServer
    mailbox: Mailbox

    @property
    def url(self) -> str:
        return self.server.base_url


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    sink = Mailbox()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("e2e")
    port = free_port()
    environment = {
        "APP_ENV": "development",  # plain http on 127.0.0.1: production insists on https
        "DEBUG": "false",
        "DOCS_ENABLED": "true",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{folder / 'tracker.sqlite3'}",
        "INSTANCE_PATH": str(folder / "instance"),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_URL": f"smtp://127.0.0.1:{mailbox.port}",
        "REDIS_URL": REDIS_URL,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
    }
    # A database of its own, emptied: rate-limit counters from an earlier run would refuse sign-ups.
    Redis.from_url(REDIS_URL).flushdb()
    migrated = run(["quart_app", "migrate"], environment)
    assert migrated.returncode == 0, migrated.stderr
    command = ["quart_app", "serve", "--allow-non-production", "--host", "127.0.0.1"]
    server = start(command, environment, port=port, log_path=folder / "server.log")
    try:
        server.wait_until_healthy()
        yield Site(server, mailbox)
    finally:
        server.stop()
        log = server.log()
        assert "Traceback" not in log, log  # a 500 anywhere in the run fails it


# Module scope, not session: the sync Playwright API holds an event loop on this thread while it
# runs, and every async test after it would fail with "cannot be called from a running loop".
@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if CHROMIUM is None:
        message = "Chromium is not installed: apt-get install chromium (or set CHROMIUM_PATH)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Page, name: str) -> None:
    """Keep a picture of a key page for people reviewing the run (CI keeps the folder)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
