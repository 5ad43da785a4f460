"""A real local SMTP server for tests (aiosmtpd), and what arrived at it, parsed as a mail client
would. `SmtpServer(port)` can be stopped and started again on the same port: an outage."""

from __future__ import annotations

import asyncio
import email
import email.policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, address: str, count: int = 1, seconds: float = 10) -> EmailMessage:
        async with asyncio.timeout(seconds):
            while len(self.to(address)) < count:  # noqa: ASYNC110 - polling a test spy
                await asyncio.sleep(0.02)
        return self.to(address)[count - 1]

    async def wait_for_count(self, count: int, seconds: float = 30) -> None:
        async with asyncio.timeout(seconds):
            while len(self.messages) < count:  # noqa: ASYNC110 - polling a test spy
                await asyncio.sleep(0.05)


def plain_text(message: EmailMessage) -> str:
    """The plain-text part of a mail (the whole body of a mail that has only one)."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "no plain-text part"
    content: str = part.get_content()
    return content


def html_text(message: EmailMessage) -> str | None:
    part = message.get_body(preferencelist=("html",))
    return None if part is None else str(part.get_content())


class SmtpServer:
    def __init__(self, port: int, mailbox: Mailbox | None = None) -> None:
        self.port = port
        self.mailbox = mailbox or Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
