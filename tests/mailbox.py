"""A real SMTP server for tests (aiosmtpd on a free port) and the ``inbox`` fixture that
points the app's settings at it."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from atoll import mail
from atoll.kit.settings import Settings


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    async def messages(self) -> list[EmailMessage]:
        await mail.drain()
        return [m for _, m in self.received]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.received if address in rcpt]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def inbox(
    settings: Settings, app: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Inbox]:
    """A real SMTP server, and the app's settings pointing at it for the test: the app (its
    requests and its sessions) mails there, with links to ``https://atoll.example.org``."""
    handler = Inbox()
    handler.port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    smtp = {
        "smtp_host": "127.0.0.1",
        "smtp_port": handler.port,
        "smtp_from": "atoll@example.org",
        "base_url": "https://atoll.example.org",
    }
    for name, value in smtp.items():
        monkeypatch.setattr(settings, name, value)
    try:
        yield handler
    finally:
        await mail.drain()
        controller.stop()


def body_of(message: EmailMessage) -> str:
    """The plain-text body, with plain line ends."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def link_in(message: EmailMessage, path: str) -> str:
    """The first link in the message to ``path`` on the app's base URL."""
    found = re.search(r"https://atoll\.example\.org" + re.escape(path) + r"\S*", body_of(message))
    assert found, body_of(message)
    return found.group(0)
