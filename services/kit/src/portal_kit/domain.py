"""Building blocks of every service's pure domain: aggregates that record events, and errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from portal_kit.events import DomainEvent


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(kw_only=True)
class Aggregate:
    """A consistency boundary stored as one document; `version` counts committed changes."""

    id: str
    tenant: str
    version: int = 0
    _pending: list[DomainEvent] = field(default_factory=list, init=False, repr=False, compare=False)

    def record(self, event: DomainEvent) -> None:
        self._pending.append(event)

    def take_events(self) -> list[DomainEvent]:
        events, self._pending = self._pending, []
        return events


class DomainError(Exception):
    """A rule of the domain refused the request; reaches the client as a typed user error."""

    code = "INVALID"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class NotFound(DomainError):
    """Also used for things of another tenant or out of sight: they look exactly like missing."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class TryAgain(DomainError):
    """The service cannot answer yet (for example its read model of another service's events is
    behind); the same request may succeed shortly. Unlike NOT_FOUND, it says nothing is missing."""

    code = "TRY_AGAIN"


class StaleVersion(DomainError):
    code = "STALE_VERSION"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class ValidationFailed(DomainError):
    """Several field problems found at once, so the client can show them all."""

    code = "INVALID"

    def __init__(self, problems: list[DomainError]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
