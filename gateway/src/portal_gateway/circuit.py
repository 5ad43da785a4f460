"""A circuit breaker per subgraph: after repeated failures it answers at once for a while."""

from __future__ import annotations

import time


class Circuit:
    def __init__(self, failures: int = 5, reset_seconds: float = 10.0) -> None:
        self.threshold = failures
        self.reset_seconds = reset_seconds
        self.failures = 0
        self.opened_at: float | None = None

    def allows(self) -> bool:
        if self.opened_at is None:
            return True
        # Half open after the pause: one call goes through and decides.
        return time.monotonic() - self.opened_at >= self.reset_seconds

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()
