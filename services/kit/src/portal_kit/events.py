"""Domain events and their CloudEvents 1.0 envelope.

Each event type is a pydantic model naming its aggregate and event; the envelope carries it on
NATS under `<prefix>.<tenant>.<service>.<aggregate>.<event>`. Payloads hold ids, codes, times and
non-sensitive summaries only (never national IDs, phone numbers or contact details).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from portal_kit.clock import utc_now

TOKEN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TENANT_TOKEN = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


class DomainEvent(BaseModel):
    """Base of every event model. Subclasses set `aggregate` and `name` as class variables.

    Unknown fields are ignored when an event is read: a newer producer may add fields, and an
    older consumer must still handle its events (producers are held to the fields by mypy)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    aggregate: ClassVar[str]
    name: ClassVar[str]
    # The field holding the id of the aggregate the event is about, for an event written in the
    # same document as another aggregate's change (its envelope's `subject`); None: the writer.
    subject_field: ClassVar[str | None] = None


def new_event_id() -> str:
    return str(uuid.uuid4())


def event_subject(prefix: str, tenant: str, service: str, aggregate: str, name: str) -> str:
    for part, pattern in (
        (prefix, TOKEN),
        (tenant, TENANT_TOKEN),
        (service, TOKEN),
        (aggregate, TOKEN),
        (name, TOKEN),
    ):
        # fullmatch: `$` in `match` also accepts a trailing newline, which would reach the subject.
        if not isinstance(part, str) or not pattern.fullmatch(part):
            raise ValueError(f"not a valid subject token: {part!r}")
    return f"{prefix}.{tenant}.{service}.{aggregate}.{name}"


class CloudEvent(BaseModel):
    """CloudEvents 1.0 structured-mode JSON, with `tenant` and `traceparent` extensions.

    Unknown attributes (extensions a newer producer adds) are ignored, never refused: CloudEvents
    consumers must tolerate them, and refusing would dead-letter a newer producer's events."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=100)
    source: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=200)
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    tenant: str = Field(pattern=TENANT_TOKEN.pattern)
    traceparent: str | None = None

    @property
    def aggregate(self) -> str:
        return self.type.rsplit(".", 2)[-2]

    @property
    def name(self) -> str:
        return self.type.rsplit(".", 1)[-1]

    @classmethod
    def wrap(
        cls,
        event: DomainEvent,
        *,
        service: str,
        tenant: str,
        aggregate_id: str,
        traceparent: str | None = None,
    ) -> CloudEvent:
        # Refuse now, where the change is being written, an event that could never be published:
        # in the outbox it would block the relay.
        event_subject("portal", tenant, service, event.aggregate, event.name)
        return cls(
            id=new_event_id(),
            source=f"/portal/{service}",
            type=f"portal.{service}.{event.aggregate}.{event.name}",
            subject=aggregate_id,
            time=utc_now(),
            data=event.model_dump(mode="json"),
            tenant=tenant,
            traceparent=traceparent,
        )

    def nats_subject(self, prefix: str) -> str:
        _, service, aggregate, name = self.type.split(".")
        return event_subject(prefix, self.tenant, service, aggregate, name)
