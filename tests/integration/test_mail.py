"""Sending email: a real SMTP server on 127.0.0.1, an unreachable one, and the console and memory
backends. Delivery over SMTP runs in the background and never raises into the caller."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from quart import Quart

from quart_app import create_app
from quart_app.mail import (
    ConsoleBackend,
    MemoryBackend,
    SmtpBackend,
    outbox,
    send_email,
    smtp_options,
)
from quart_app.services.notices import EmailMessage
from tests.support import config_for, create_current_schema

pytestmark = pytest.mark.integration

MESSAGE = EmailMessage(
    "ada@example.com", "Reset your password", "Choose a new one:\n\nhttps://tracker.example/x\n"
)
SENDER = "Tracker <tracker@example.com>"


class RecordingHandler:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@asynccontextmanager
async def serving(database_url: str, **overrides: Any) -> AsyncIterator[Quart]:
    """A started app; leaving the block waits for its background tasks (SMTP deliveries)."""
    await create_current_schema(database_url)
    app = create_app(config_for(database_url, **overrides))
    async with app.test_app():
        yield app


def smtp_config(port: int, **overrides: Any) -> dict[str, Any]:
    return {
        "MAIL_BACKEND": "smtp",
        "SMTP_URL": f"smtp://127.0.0.1:{port}",
        "SMTP_TIMEOUT_SECONDS": 2,
        "MAIL_FROM": SENDER,
        **overrides,
    }


def mail_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "quart_app.mail" and record.levelno >= logging.ERROR
    ]


# SMTP


async def test_smtp_delivers_the_message_to_a_real_server(
    database_url: str, smtp_server: tuple[RecordingHandler, int]
) -> None:
    handler, port = smtp_server
    async with serving(database_url, **smtp_config(port)) as app, app.app_context():
        await send_email(MESSAGE)

    [envelope] = handler.envelopes
    assert envelope.mail_from == "tracker@example.com"
    assert envelope.rcpt_tos == ["ada@example.com"]
    assert isinstance(envelope.content, bytes)
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert received["From"] == SENDER
    assert received["To"] == "ada@example.com"
    assert received["Subject"] == "Reset your password"
    assert received.get_content().replace("\r\n", "\n") == MESSAGE.body


async def test_smtp_delivers_non_ascii_subjects_and_bodies(
    database_url: str, smtp_server: tuple[RecordingHandler, int]
) -> None:
    handler, port = smtp_server
    message = EmailMessage("zoë@example.com", "Grüße — ваш пароль", "Привет, Zoë! 🔑\n")
    async with serving(database_url, **smtp_config(port)) as app, app.app_context():
        await send_email(message)

    [envelope] = handler.envelopes
    assert isinstance(envelope.content, bytes)
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert received["Subject"] == "Grüße — ваш пароль"
    assert received.get_content() == "Привет, Zoë! 🔑\r\n"  # SMTP line ends are CRLF


async def test_smtp_delivery_runs_in_the_background(
    database_url: str, smtp_server: tuple[RecordingHandler, int]
) -> None:
    handler, port = smtp_server
    async with serving(database_url, **smtp_config(port)) as app:
        async with app.app_context():
            await send_email(MESSAGE)
        assert handler.envelopes == []  # send_email returned before anything reached the server
        assert len(app.background_tasks) == 1
    assert len(handler.envelopes) == 1


async def test_an_unreachable_smtp_server_is_logged_not_raised(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    closed_port = free_port()
    async with serving(database_url, **smtp_config(closed_port)) as app, app.app_context():
        await send_email(MESSAGE)  # must not raise
        assert mail_errors(caplog) == []  # delivery has not even been tried yet

    [record] = mail_errors(caplog)
    assert "Reset your password" in record.getMessage()
    assert "ada@example.com" in record.getMessage()
    assert record.exc_info is not None


async def test_a_silent_smtp_server_times_out_and_is_logged(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def never_greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(never_greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        overrides = smtp_config(port, SMTP_TIMEOUT_SECONDS=0.5)
        async with serving(database_url, **overrides) as app, app.app_context():
            await send_email(MESSAGE)
        elapsed = loop.time() - started
    finally:
        server.close()
        await server.wait_closed()

    [record] = mail_errors(caplog)
    assert "ada@example.com" in record.getMessage()
    assert elapsed < 2.5  # the 0.5 s SMTP timeout ended it, not the background-task shutdown limit


def test_smtp_urls_give_the_connection_options() -> None:
    assert smtp_options("smtp://mail.example.com") == {
        "hostname": "mail.example.com",
        "port": 587,
        "username": None,
        "password": None,
        "use_tls": False,
        "start_tls": None,
    }
    implicit = smtp_options("smtps://user%40example.com:p%40ss%3Aword@mail.example.com")
    assert (implicit["port"], implicit["use_tls"], implicit["start_tls"]) == (465, True, False)
    assert (implicit["username"], implicit["password"]) == ("user@example.com", "p@ss:word")
    assert smtp_options("smtp://127.0.0.1:2525")["port"] == 2525


@pytest.mark.parametrize("url", ["", "http://mail.example.com", "smtp://", "mail.example.com"])
def test_unusable_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="smtp://"):
        smtp_options(url)


# Memory and console backends


async def test_the_memory_backend_keeps_sent_emails_in_the_outbox(database_url: str) -> None:
    second = EmailMessage("bob@example.com", "Hello", "Second.\n")
    async with serving(database_url, MAIL_BACKEND="memory") as app, app.app_context():
        assert outbox() == []
        await send_email(MESSAGE)
        await send_email(second)
        assert outbox() == [MESSAGE, second]


async def test_each_app_has_its_own_outbox(database_url: str) -> None:
    async with serving(database_url, MAIL_BACKEND="memory") as first, first.app_context():
        await send_email(MESSAGE)
    async with serving(database_url, MAIL_BACKEND="memory") as second, second.app_context():
        assert outbox() == []


async def test_the_console_backend_logs_the_whole_email(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="quart_app.mail")
    async with serving(database_url, MAIL_BACKEND="console") as app, app.app_context():
        await send_email(MESSAGE)
        [record] = [record for record in caplog.records if record.name == "quart_app.mail"]

    logged = record.getMessage()
    assert record.levelno == logging.INFO
    assert "ada@example.com" in logged
    assert "Subject: Reset your password" in logged
    assert MESSAGE.body in logged


@pytest.mark.parametrize(
    ("overrides", "backend"),
    [
        ({"MAIL_BACKEND": "memory"}, MemoryBackend),
        ({"MAIL_BACKEND": "console"}, ConsoleBackend),
        ({"SMTP_URL": "smtp://127.0.0.1:2525"}, SmtpBackend),
    ],
    ids=["memory", "console", "smtp-from-url"],
)
async def test_create_app_installs_the_configured_mail_backend(
    database_url: str, overrides: dict[str, Any], backend: type
) -> None:
    async with serving(database_url, **overrides) as app:
        assert isinstance(app.extensions["mail"], backend)
