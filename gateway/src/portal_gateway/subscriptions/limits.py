"""Bounds of the subscriptions: per connection (subscriptions, messages a second) and per
tenant (connections, subscriptions), so one client or one tenant cannot take the gateway."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class SubscriptionLimits:
    init_timeout_seconds: float = 5.0
    per_connection: int = 50
    per_tenant: int = 5_000
    connections_per_tenant: int = 2_000
    messages_per_second: float = 20.0  # what a client sends, sustained ...
    message_burst: int = 100  # ... and at once
    max_message_bytes: int = 65_536
    send_queue: int = 256  # messages waiting for a slow client before it is closed


class MessageRate:
    """A token bucket over the messages one client sends."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = float(burst)
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class TenantCounts:
    """Open connections and subscriptions per tenant, taken and given back by connections."""

    def __init__(self, limits: SubscriptionLimits) -> None:
        self.limits = limits
        self.connections: Counter[str] = Counter()
        self.subscriptions: Counter[str] = Counter()

    def connect(self, tenant: str) -> bool:
        if self.connections[tenant] >= self.limits.connections_per_tenant:
            return False
        self.connections[tenant] += 1
        return True

    def disconnect(self, tenant: str) -> None:
        self.connections[tenant] -= 1
        if self.connections[tenant] <= 0:
            del self.connections[tenant]

    def subscribe(self, tenant: str) -> bool:
        if self.subscriptions[tenant] >= self.limits.per_tenant:
            return False
        self.subscriptions[tenant] += 1
        return True

    def unsubscribe(self, tenant: str) -> None:
        self.subscriptions[tenant] -= 1
        if self.subscriptions[tenant] <= 0:
            del self.subscriptions[tenant]
