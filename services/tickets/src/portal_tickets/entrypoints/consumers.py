"""Event consumers: the people service's events keep the tickets service's local read models of
which users and customer organisations have access to which products (`ProductAccessRegister`)
and of which organisation is a department of which (`OrganisationRegister`)."""

from __future__ import annotations

from collections.abc import Callable

from portal_kit.consumer import Handler
from portal_kit.events import CloudEvent
from portal_kit.following import follow_events
from portal_kit.runtime import StartHook
from portal_kit.versioned import event_version

from portal_tickets.service_layer.tickets import OrganisationRegister, ProductAccessRegister

DURABLE = "tickets-product-access"
ORGANISATIONS_DURABLE = "tickets-organisations"


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
            kind, holder, frozenset(products), version=event_version(event)
        )

    return handle


def organisation_handler(register_of: Callable[[str], OrganisationRegister]) -> Handler:
    """A `created` organisation event names its parent (a department's); others are ignored."""

    async def handle(event: CloudEvent) -> None:
        if event.name != "created":
            return
        organisation_id, parent_id = event.data.get("organisation_id"), event.data.get("parent_id")
        if not isinstance(organisation_id, str) or not organisation_id:
            raise ValueError("organisation event without organisation_id")
        await register_of(event.tenant).created(
            organisation_id,
            parent_id=parent_id if isinstance(parent_id, str) else None,
            version=event_version(event),
        )

    return handle


def organisation_consumer(register_of: Callable[[str], OrganisationRegister]) -> StartHook:
    return _people_consumer(
        ORGANISATIONS_DURABLE, "organisation", organisation_handler(register_of)
    )


def product_access_consumer(register_of: Callable[[str], ProductAccessRegister]) -> StartHook:
    """On start: follow people's product-access events (its stream is made if not there yet)."""
    return _people_consumer(DURABLE, "product_access", product_access_handler(register_of))


def _people_consumer(durable: str, aggregate: str, handler: Handler) -> StartHook:
    return follow_events(durable, "people", aggregate, handler)
