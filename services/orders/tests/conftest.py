"""The orders service in-process for each test, with a clock the test moves (no sleeping)."""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from portal_kit.testing.harness import RunningService, running_service
from portal_orders.app import create_app
from portal_orders.settings import OrdersSettings


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
        yield svc


def _fakes() -> ModuleType:
    """tests/fakes.py, under a name of its own (test folders are no packages here)."""
    spec = importlib.util.spec_from_file_location(
        "portal_orders_tests_fakes", Path(__file__).with_name("fakes.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fakes = _fakes()


@pytest.fixture
def jm(clock: FakeClock) -> Any:
    """JM's orders ports in memory (`fakes.FakeTenant`), on the test's clock."""
    return fakes.FakeTenant("jm", clock)
