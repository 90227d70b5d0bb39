"""The emails accounts send. Links are built from the configured BASE_URL, never the Host header."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    body: str


def link(base_url: str, path: str, **query: str) -> str:
    url = base_url.rstrip("/") + path
    return f"{url}?{urlencode(query)}" if query else url


def verify_email(to: str, username: str, url: str) -> EmailMessage:
    return EmailMessage(
        to,
        "Confirm your email address",
        f"Hello {username},\n\nConfirm this address to start using quart_app:\n\n{url}\n\n"
        "The link works once, for 48 hours. If you did not sign up, ignore this email.\n",
    )


def account_exists(to: str, base_url: str) -> EmailMessage:
    return EmailMessage(
        to,
        "You already have an account",
        "Someone (maybe you) tried to sign up with this address, which already has an account.\n\n"
        f"Sign in: {link(base_url, '/sign-in')}\n"
        f"Forgot your password? {link(base_url, '/forgot-password')}\n\n"
        "If it was not you, you can ignore this email: nothing has changed.\n",
    )


def username_taken(to: str, username: str, base_url: str) -> EmailMessage:
    return EmailMessage(
        to,
        "Choose another username",
        f"The username {username!r} is taken, so no account was created for this address.\n\n"
        f"Sign up again with another one: {link(base_url, '/sign-up')}\n",
    )


def reset_password(to: str, url: str) -> EmailMessage:
    return EmailMessage(
        to,
        "Reset your password",
        f"Someone asked to reset the password of your account.\n\nChoose a new one:\n\n{url}\n\n"
        "The link works once, for one hour. If you did not ask, ignore this email.\n",
    )


def password_changed(to: str, base_url: str) -> EmailMessage:
    return EmailMessage(
        to,
        "Your password was changed",
        "Your password was just changed, and your other sessions were signed out.\n\n"
        f"If this was not you, reset it now: {link(base_url, '/forgot-password')}\n",
    )


def confirm_new_email(to: str, url: str) -> EmailMessage:
    return EmailMessage(
        to,
        "Confirm your new email address",
        f"Confirm that this is your new address:\n\n{url}\n\nThe link works once, for 48 hours.\n",
    )


def email_change_requested(to: str, new_email: str) -> EmailMessage:
    return EmailMessage(
        to,
        "Your email address is being changed",
        f"Someone asked to change your account's email address to {new_email}.\n"
        "It changes once the new address confirms. If this was not you, change your password.\n",
    )
