"""Event consumers: the people service's organisation and employee events keep orders' local
read models of them (through the service layer's `OrganisationRegister` and `EmployeeRegister`).
"""

from __future__ import annotations

from collections.abc import Callable

from portal_kit.consumer import Handler
from portal_kit.events import CloudEvent
from portal_kit.following import follow_events
from portal_kit.runtime import StartHook
from portal_kit.versioned import event_version

from portal_orders.service_layer.employees import EmployeeRegister
from portal_orders.service_layer.organisations import OrganisationRegister
from portal_orders.service_layer.system import SystemDesk

DURABLE = "orders-organisations"
EMPLOYEES_DURABLE = "orders-employees"
INVOICED_DURABLE = "orders-invoiced"


def _required_id(event: CloudEvent, key: str) -> str:
    value = event.data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{event.aggregate} event without {key}")
    return value


def organisation_handler(register_of: Callable[[str], OrganisationRegister]) -> Handler:
    """`register_of(tenant)`: the read model of the event's tenant."""

    async def handle(event: CloudEvent) -> None:
        data = event.data
        organisation_id = _required_id(event, "organisation_id")
        register = register_of(event.tenant)
        if event.name == "created":
            await register.created(
                organisation_id,
                kind=data.get("kind"),
                parent_id=data.get("parent_id"),
                name=data.get("display_name"),
                version=event_version(event),
            )
        elif event.name == "updated":
            await register.updated(
                organisation_id,
                active=bool(data.get("active", True)),
                name=data.get("display_name"),
                version=event_version(event),
            )

    return handle


# What each employee event says of being active; `updated` carries it in its payload.
_ACTIVE_AFTER = {"created": True, "reactivated": True, "deactivated": False}


def employee_handler(register_of: Callable[[str], EmployeeRegister]) -> Handler:
    """`register_of(tenant)`: the employee read model of the event's tenant. Every employee
    event (created, updated, deactivated, reactivated) names the employee's organisation after
    the change; other events of the aggregate are ignored."""

    async def handle(event: CloudEvent) -> None:
        if event.name == "updated":
            active = event.data.get("active")
            if not isinstance(active, bool):
                raise ValueError("employee updated event without active")
        elif event.name in _ACTIVE_AFTER:
            active = _ACTIVE_AFTER[event.name]
        else:
            return
        await register_of(event.tenant).changed(
            _required_id(event, "employee_id"),
            organisation_id=_required_id(event, "organisation_id"),
            active=active,
            version=event_version(event),
        )

    return handle


def _people_consumer(durable: str, aggregate: str, handler: Handler) -> StartHook:
    return follow_events(durable, "people", aggregate, handler)


def organisation_consumer(register_of: Callable[[str], OrganisationRegister]) -> StartHook:
    return _people_consumer(DURABLE, "organisation", organisation_handler(register_of))


def employee_consumer(register_of: Callable[[str], EmployeeRegister]) -> StartHook:
    return _people_consumer(EMPLOYEES_DURABLE, "employee", employee_handler(register_of))


def invoiced_handler(system_of: Callable[[str], SystemDesk]) -> Handler:
    """Billing matched a contractor's invoice to the work order: the system moves it to its
    invoiced status ('Fakturerad'); a repeated event finds it there and changes nothing."""

    async def handle(event: CloudEvent) -> None:
        if event.name == "matched":
            await system_of(event.tenant).invoiced(_required_id(event, "order_id"))

    return handle


def invoiced_consumer(system_of: Callable[[str], SystemDesk]) -> StartHook:
    """Billing's `incoming_invoice.matched` events."""
    return follow_events(
        INVOICED_DURABLE, "billing", "incoming_invoice", invoiced_handler(system_of)
    )
