"""Throttling of failed logins, per account and per client address.

Failures are counted in a window; reaching the limit locks the key for a while, doubling with
each lock up to a ceiling. While locked, even the right password is refused (else guessing would
just go on), and an unknown account locks exactly like a known one, so the answer never reveals
whether an account exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from portal_kit.domain import Aggregate, DomainError

from portal_people.domain.events import LoginLocked
from portal_people.domain.messages import _

ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta
    lock: timedelta
    max_lock: timedelta


class LoginThrottled(DomainError):
    code = "LOGIN_THROTTLED"

    def __init__(self, seconds: int) -> None:
        super().__init__(
            _("too many failed attempts; try again in {seconds} seconds", seconds=seconds),
            field="password",
        )
        self.seconds = seconds


@dataclass(kw_only=True)
class LoginThrottle(Aggregate):
    scope: str
    user_id: str | None = None
    failures: int = 0
    window_start: datetime | None = None
    locked_until: datetime | None = None
    locks: int = 0

    def check(self, now: datetime) -> None:
        if self.locked_until is not None and now < self.locked_until:
            raise LoginThrottled(max(1, int((self.locked_until - now).total_seconds()) + 1))

    def failed(self, now: datetime, policy: ThrottlePolicy) -> None:
        if self.window_start is None or now - self.window_start > policy.window:
            self.window_start, self.failures = now, 0
        self.failures += 1
        if self.failures < policy.max_failures:
            return
        duration = min(policy.lock * (2 ** min(self.locks, 16)), policy.max_lock)
        self.locked_until = now + duration
        self.locks += 1
        self.failures, self.window_start = 0, None
        self.record(
            LoginLocked(
                scope=self.scope,
                user_id=self.user_id,
                locked_until=self.locked_until.isoformat(),
            )
        )

    def succeeded(self) -> None:
        self.failures, self.window_start, self.locks = 0, None, 0
