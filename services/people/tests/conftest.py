"""The people service running in-process for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from portal_kit.testing.harness import RunningService, running_service
from portal_people.app import create_app
from portal_people.settings import PeopleSettings


@pytest.fixture
async def people(settings_for: Any, signer: Any) -> AsyncIterator[RunningService]:
    async with running_service(create_app, settings_for(PeopleSettings), signer) as service:
        yield service
