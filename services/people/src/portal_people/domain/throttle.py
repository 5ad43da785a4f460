"""Throttling of failed logins (NIST SP 800-63B, 5.2.2), so that a lock is no weapon.

Failures are counted under three keys, each in a window; reaching a key's limit locks it for a
while, doubling with each lock up to a ceiling:

- PAIR, the account from one client address: the fast limit (5). It stops guessing from one
  place and locks nobody else out.
- ACCOUNT, the account from anywhere: a slower, larger budget (30), against guessing spread over
  many addresses.
- ADDRESS, one client address across accounts (20): against password spraying.

While a key is locked even the right password is refused (else guessing would just go on), and
an unknown account locks exactly like a known one, so the answer never reveals whether an
account exists. But an account's owner keeps logging in from an address they logged in from
before (a *known* address, remembered as a hash on the account's key): there only the PAIR lock
applies, so an attacker elsewhere who exhausts the account's or the address's budget does not
lock the owner out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portal_kit.domain import Aggregate, DomainError

from portal_people.domain.events import LoginLocked
from portal_people.domain.messages import _

PAIR, ACCOUNT, ADDRESS = "pair", "account", "address"
KNOWN_ADDRESSES = 10  # remembered per account, the most recent last


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
    # ACCOUNT keys: hashes of the client addresses the account last logged in from.
    known_addresses: list[str] = field(default_factory=list)

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def knows(self, address_hash: str | None) -> bool:
        return address_hash is not None and address_hash in self.known_addresses

    def remember(self, address_hash: str | None) -> bool:
        """Note a successful login from this address; True when that changed anything."""
        if address_hash is None or self.known_addresses[-1:] == [address_hash]:
            return False
        kept = [known for known in self.known_addresses if known != address_hash]
        self.known_addresses = [*kept, address_hash][-KNOWN_ADDRESSES:]
        return True

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
