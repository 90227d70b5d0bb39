"""Email delivery with a backend chosen by config: console (development), memory (tests), SMTP.

Sending never blocks or fails the request that triggers it: SMTP delivery runs as a background
task and its errors are logged; the console and memory backends finish at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.message import EmailMessage as MIMEMessage
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
from quart import Quart, current_app
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.services.notices import EmailMessage

logger = logging.getLogger(__name__)

BACKENDS = ("console", "memory", "smtp")


class MailBackend(Protocol):
    in_background: bool  # True when delivery involves the network

    async def send(self, message: EmailMessage, sender: str) -> None: ...


class ConsoleBackend:
    """Development: print the email, so a newcomer can click the link from the terminal."""

    in_background = False

    async def send(self, message: EmailMessage, sender: str) -> None:
        logger.info(
            "email to %s\nSubject: %s\n\n%s\n%s",
            message.to,
            message.subject,
            message.body,
            "-" * 72,
        )


@dataclass
class MemoryBackend:
    """Tests: keep every email in ``outbox``."""

    outbox: list[EmailMessage] = field(default_factory=list)
    in_background = False

    async def send(self, message: EmailMessage, sender: str) -> None:
        self.outbox.append(message)


@dataclass
class SmtpBackend:
    """Production: ``smtp://user:password@host:587`` (STARTTLS if offered) or ``smtps://`` (TLS)."""

    url: str
    timeout: float = 10.0
    in_background = True

    async def send(self, message: EmailMessage, sender: str) -> None:
        mime = MIMEMessage()
        mime["From"], mime["To"], mime["Subject"] = sender, message.to, message.subject
        mime.set_content(message.body)
        await aiosmtplib.send(mime, timeout=self.timeout, **smtp_options(self.url))


def smtp_options(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("expected smtp://[user:password@]host[:port] or smtps://...")
    implicit_tls = parts.scheme == "smtps"
    return {
        "hostname": parts.hostname,
        "port": parts.port or (465 if implicit_tls else 587),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "use_tls": implicit_tls,
        "start_tls": None if not implicit_tls else False,  # None: upgrade when the server offers
    }


def backend_from_config(config: dict[str, Any]) -> MailBackend:
    name = config["MAIL_BACKEND"]
    if name == "smtp":
        return SmtpBackend(config["SMTP_URL"], timeout=config["SMTP_TIMEOUT_SECONDS"])
    if name == "memory":
        return MemoryBackend()
    return ConsoleBackend()


def init_app(app: Quart) -> None:
    app.extensions["mail"] = backend_from_config(app.config)


def base_url() -> str:
    """Where links in emails point: the configured BASE_URL, never the request's Host header."""
    return str(current_app.config.get("BASE_URL") or "")


def outbox() -> list[EmailMessage]:
    """The memory backend's sent emails (tests)."""
    backend = current_app.extensions["mail"]
    assert isinstance(backend, MemoryBackend), "the outbox exists with MAIL_BACKEND=memory only"
    return backend.outbox


async def send_email(message: EmailMessage) -> None:
    """Send now, or in the background for network backends; never raises."""
    backend: MailBackend = current_app.extensions["mail"]
    sender: str = current_app.config["MAIL_FROM"]
    if backend.in_background:
        current_app.add_background_task(_deliver, backend, message, sender)
    else:
        await _deliver(backend, message, sender)


async def commit_and_send(session: AsyncSession, emails: list[EmailMessage]) -> None:
    """Commit first: an email must never describe a change that was rolled back."""
    await session.commit()
    for email in emails:
        await send_email(email)


async def _deliver(backend: MailBackend, message: EmailMessage, sender: str) -> None:
    try:
        await backend.send(message, sender)
    except Exception:  # a mail outage must never fail the request that sent the email
        logger.exception("could not send email %r to %s", message.subject, message.to)
