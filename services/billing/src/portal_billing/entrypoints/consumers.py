"""Event consumers: people's organisation events and orders' order events keep billing's local
read models (`service_layer/registers.py`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from portal_kit.consumer import Handler
from portal_kit.events import CloudEvent
from portal_kit.versioned import event_version

from portal_billing.service_layer.registers import OrderRegister, OrganisationRegister

ORGANISATIONS_DURABLE = "billing-organisations"
ORDERS_DURABLE = "billing-orders"


def _text(event: CloudEvent, key: str) -> str:
    value = event.data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{event.aggregate} event without {key}")
    return value


def _time(value: object, fallback: datetime) -> datetime:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.utcoffset() is not None:
            return parsed
    return fallback


def organisation_handler(register_of: Callable[[str], OrganisationRegister]) -> Handler:
    async def handle(event: CloudEvent) -> None:
        data = event.data
        register = register_of(event.tenant)
        organisation_id = _text(event, "organisation_id")
        if event.name == "created":
            await register.created(
                organisation_id,
                kind=data.get("kind"),
                parent_id=data.get("parent_id"),
                name=data.get("display_name"),
                organisation_number=data.get("organisation_number"),
                version=event_version(event),
            )
        elif event.name == "updated":
            await register.updated(
                organisation_id,
                active=bool(data.get("active", True)),
                name=data.get("display_name"),
                organisation_number=data.get("organisation_number"),
                version=event_version(event),
            )

    return handle


def order_handler(register_of: Callable[[str], OrderRegister]) -> Handler:
    """Completed orders become billable; an invoiced or cancelled one is billed no more."""

    async def handle(event: CloudEvent) -> None:
        data = event.data
        register = register_of(event.tenant)
        order_id = _text(event, "order_id")
        if event.name == "completed":
            marking = data.get("invoice_marking")
            await register.completed(
                order_id,
                number=_text(event, "number"),
                order_type=_text(event, "order_type"),
                customer_organisation_id=_text(event, "customer_organisation_id"),
                assignee_organisation_id=data.get("assignee_organisation_id"),
                invoice_reference=data.get("invoice_reference"),
                invoice_marking=marking if isinstance(marking, str) else "",
                completed_at=_time(data.get("completed_at"), event.time),
                version=event_version(event),
            )
        elif event.name == "status_changed":
            await register.moved(order_id, str(data.get("category")), version=event_version(event))
        elif event.name == "cancelled":
            await register.moved(order_id, "cancelled", version=event_version(event))

    return handle
