"""Event consumers: the people service's product-access events keep the tickets service's local
read model of which users and customer organisations have access to which products (through
the service layer's `ProductAccessRegister`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from portal_kit.consumer import EventConsumer, Handler
from portal_kit.events import CloudEvent
from portal_kit.jetstream import StreamNames, ensure_service_streams
from portal_kit.runtime import ServiceRuntime, StartHook

from portal_tickets.service_layer.tickets import ProductAccessRegister

DURABLE = "tickets-product-access"


def product_access_handler(register_of: Callable[[str], ProductAccessRegister]) -> Handler:
    """`register_of(tenant)`: the read model of the event's tenant. A `changed` event names the
    holder (a user or a customer organisation) and all its products after the change."""

    async def handle(event: CloudEvent) -> None:
        if event.name != "changed":
            return
        data = event.data
        kind, holder, products = (
            data.get("holder_kind"),
            data.get("holder_id"),
            data.get("products"),
        )
        if not isinstance(kind, str) or not isinstance(holder, str) or not holder:
            raise ValueError("product access event without its holder")
        if not isinstance(products, list) or not all(isinstance(p, str) for p in products):
            raise ValueError("product access event without its products")
        await register_of(event.tenant).changed(
            kind, holder, frozenset(products), as_of=_microseconds(event.time)
        )

    return handle


def _microseconds(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    delta = aware - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def product_access_consumer(register_of: Callable[[str], ProductAccessRegister]) -> StartHook:
    """On start: follow people's product-access events (its stream is made if not there yet)."""

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
                filter_subject=f"{people.prefix}.*.people.product_access.>",
                handler=product_access_handler(register_of),
            )
        )

    return start
