"""The people service running in-process for each test, with a real local SMTP server."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from portal_kit.testing.harness import RunningService, running_service
from portal_kit.testing.nats_server import free_port
from portal_people.adapters.crypto import FieldCipher
from portal_people.app import create_app
from portal_people.settings import PeopleSettings


class Mailbox:
    """What arrived at the SMTP server, parsed as a mail client would."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, address: str, count: int = 1) -> EmailMessage:
        async with asyncio.timeout(10):
            while len(self.to(address)) < count:  # noqa: ASYNC110 - polling a test spy
                await asyncio.sleep(0.02)
        return self.to(address)[count - 1]


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp: tuple[Mailbox, int]) -> Mailbox:
    return smtp[0]


@pytest.fixture
def people_settings(settings_for: Any, smtp: tuple[Mailbox, int]) -> PeopleSettings:
    settings: PeopleSettings = settings_for(
        PeopleSettings,
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        national_id_key=FieldCipher.generate_key(),
        public_url="https://portal.example",
    )
    return settings


@pytest.fixture
async def people(people_settings: PeopleSettings, signer: Any) -> AsyncIterator[RunningService]:
    async with running_service(create_app, people_settings, signer) as service:
        yield service
