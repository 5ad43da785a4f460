"""The orders service in-process for each test, with a clock the test moves (no sleeping)."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from portal_kit.testing.harness import RunningService, running_service
from portal_orders.app import create_app
from portal_orders.settings import OrdersSettings
from portal_orders.testing import know_organisations

from .fakes import FakeTenant


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    # A Monday morning, Oslo and Stockholm time 10:54:51 (JM's example number 250626-105451-01).
    return FakeClock(datetime(2025, 6, 26, 8, 54, 51, tzinfo=UTC))


@pytest.fixture
async def service(
    settings_for: Any, signer: Any, clock: FakeClock
) -> AsyncIterator[RunningService]:
    factory = functools.partial(create_app, clock=clock)
    async with running_service(factory, settings_for(OrdersSettings), signer) as svc:
        await know_organisations(svc)
        yield svc


@pytest.fixture
def jm(clock: FakeClock) -> Any:
    """JM's orders ports in memory (`fakes.FakeTenant`), on the test's clock."""
    return FakeTenant("jm", clock)
