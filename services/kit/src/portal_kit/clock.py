"""The clock every use case is given, so a test can hand it a fixed or moving time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_now_to_the_millisecond() -> datetime:
    """MongoDB keeps milliseconds; keeping no more means what we return is what we read back."""
    return to_the_millisecond(utc_now())


def to_the_millisecond(moment: datetime) -> datetime:
    """The moment in UTC with the microseconds MongoDB would drop already dropped."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
