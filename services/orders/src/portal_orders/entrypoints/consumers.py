"""Event consumers: the people service's organisation events keep the local read model of
organisations (through the service layer's `OrganisationRegister`)."""

from __future__ import annotations

from collections.abc import Callable

from portal_kit.consumer import EventConsumer, Handler
from portal_kit.events import CloudEvent
from portal_kit.jetstream import StreamNames, ensure_service_streams
from portal_kit.runtime import ServiceRuntime, StartHook

from portal_orders.service_layer.organisations import OrganisationRegister

DURABLE = "orders-organisations"


def organisation_handler(register_of: Callable[[str], OrganisationRegister]) -> Handler:
    """`register_of(tenant)`: the read model of the event's tenant."""

    async def handle(event: CloudEvent) -> None:
        data = event.data
        organisation_id = data.get("organisation_id")
        if not isinstance(organisation_id, str) or not organisation_id:
            raise ValueError("organisation event without organisation_id")
        register = register_of(event.tenant)
        if event.name == "created":
            await register.created(
                organisation_id,
                kind=data.get("kind"),
                parent_id=data.get("parent_id"),
                name=data.get("display_name"),
            )
        elif event.name == "updated":
            await register.updated(
                organisation_id,
                active=bool(data.get("active", True)),
                name=data.get("display_name"),
            )

    return handle


def organisation_consumer(register_of: Callable[[str], OrganisationRegister]) -> StartHook:
    """On start: follow people's organisation events (its stream is made if not there yet)."""

    async def start(runtime: ServiceRuntime) -> None:
        people = StreamNames(runtime.settings.event_prefix, "people")
        await ensure_service_streams(runtime.js, people)
        runtime.consumers.append(
            EventConsumer(
                runtime.js,
                runtime.database,
                runtime.names,
                durable=DURABLE,
                stream=people.stream,
                filter_subject=f"{people.prefix}.*.people.organisation.>",
                handler=organisation_handler(register_of),
            )
        )

    return start
