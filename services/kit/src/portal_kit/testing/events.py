"""Events as another service would publish them, for tests of read models fed by them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portal_kit.events import CloudEvent, new_event_id


def envelope(
    type_: str, subject: str, data: dict[str, Any], *, version: int, tenant: str = "acme"
) -> CloudEvent:
    """`type_` as "people.organisation.updated": the event of the aggregate `subject` written
    by the change that made its `version` (the envelope's `sequence`, as the repository sets)."""
    service = type_.split(".")[0]
    return CloudEvent(
        id=new_event_id(),
        source=f"/portal/{service}",
        type=f"portal.{type_}",
        subject=subject,
        time=datetime(2026, 1, 1, tzinfo=UTC),  # the same for all: the sequence must decide
        data=data,
        tenant=tenant,
        sequence=CloudEvent.sequence_of(version, 0),
    )
