"""Event handlers: the local read model of the people service's organisations."""

from __future__ import annotations

from portal_kit.consumer import EventConsumer
from portal_kit.events import CloudEvent
from portal_kit.jetstream import StreamNames, ensure_service_streams
from portal_kit.runtime import ServiceRuntime

from portal_orders.adapters.repositories import OrganisationDirectory

DURABLE = "orders-organisations"


def organisation_handler(runtime: ServiceRuntime) -> object:
    async def handle(event: CloudEvent) -> None:
        data = event.data
        organisation_id = data.get("organisation_id")
        if not isinstance(organisation_id, str) or not organisation_id:
            raise ValueError("organisation event without organisation_id")
        directory = OrganisationDirectory(runtime.database, event.tenant)
        if event.name == "created":
            # `$set` of the same values: a repeated event changes nothing (idempotent).
            await directory.upsert(
                organisation_id,
                {
                    "kind": data.get("kind"),
                    "parent_id": data.get("parent_id"),
                    "active": True,
                },
            )
        elif event.name == "updated":
            await directory.upsert(organisation_id, {"active": bool(data.get("active", True))})

    return handle


async def start_organisation_consumer(runtime: ServiceRuntime) -> None:
    """On start: follow people's organisation events (its stream is made if not there yet)."""
    people = StreamNames(runtime.settings.event_prefix, "people")
    await ensure_service_streams(runtime.js, people)
    handler = organisation_handler(runtime)
    runtime.consumers.append(
        EventConsumer(
            runtime.js,
            runtime.database,
            runtime.names,
            durable=DURABLE,
            stream=people.stream,
            filter_subject=f"{people.prefix}.*.people.organisation.>",
            handler=handler,  # type: ignore[arg-type]
        )
    )
