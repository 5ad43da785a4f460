"""The people service running in-process for each test, with a real local SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from portal_kit.testing.harness import RunningService, running_service
from portal_kit.testing.mailbox import Mailbox
from portal_kit.testing.nats_server import free_port
from portal_people.adapters.crypto import FieldCipher
from portal_people.app import create_app
from portal_people.settings import PeopleSettings


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
