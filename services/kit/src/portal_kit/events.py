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
    """CloudEvents 1.0 structured-mode JSON, with `tenant`, `traceparent` and `sequence`
    extensions.

    Unknown attributes (extensions a newer producer adds) are ignored, never refused: CloudEvents
    consumers must tolerate them, and refusing would dead-letter a newer producer's events."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents version: 1.0.")
    id: str = Field(
        min_length=1,
        max_length=100,
        description="The event's id (a UUID), also its Nats-Msg-Id: deduplicate on it.",
    )
    source: str = Field(
        min_length=1, max_length=200, description="The service that wrote it: /portal/<service>."
    )
    type: str = Field(
        min_length=1,
        max_length=200,
        description="portal.<service>.<aggregate>.<event>, as in the subject after the tenant.",
    )
    subject: str = Field(
        min_length=1, max_length=200, description="The id of the aggregate the event is about."
    )
    time: datetime = Field(description="When the change was committed (UTC, RFC 3339).")
    datacontenttype: Literal["application/json"] = Field(
        default="application/json", description="The media type of `data`: application/json."
    )
    data: dict[str, Any] = Field(description="The event's payload (ids, codes, times).")
    tenant: str = Field(
        pattern=TENANT_TOKEN.pattern,
        description="Extension: the tenant (portal) id, as in the subject.",
    )
    traceparent: str | None = Field(
        default=None,
        description="Extension: the W3C trace context of the request that caused the event.",
    )
    # The CloudEvents `sequence` extension: read models keep the newest state of an aggregate
    # even when its events arrive out of order (docs/architecture.md, section 4).
    sequence: str | None = Field(
        default=None,
        max_length=100,
        description=(
            "Extension (CloudEvents sequence): this event's place among the events of its "
            "subject, compared as strings: the aggregate's version after the change and the "
            "event's place in that change, zero-padded ('000000000007.0001'). Null or absent "
            "on events about another aggregate than the one written and on events written "
            "before it."
        ),
    )

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
        sequence: str | None = None,
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
            sequence=sequence,
        )

    @staticmethod
    def sequence_of(version: int, place: int) -> str:
        """The `sequence` of the `place`-th event (from 0) of a change that made `version`."""
        return f"{version:012d}.{place:04d}"

    def nats_subject(self, prefix: str) -> str:
        _, service, aggregate, name = self.type.split(".")
        return event_subject(prefix, self.tenant, service, aggregate, name)
