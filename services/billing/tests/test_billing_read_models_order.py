"""Billing's read models of people's organisations and orders' completed orders end at the
newest state whatever order the events are handled in (replicas sharing a durable consumer, a
late redelivery): through the consumers' handlers, with the envelopes the producers write."""

from __future__ import annotations

from typing import Any

from portal_billing.adapters.repositories import BillableOrderDirectory, OrganisationDirectory
from portal_billing.entrypoints.consumers import order_handler, organisation_handler
from portal_billing.service_layer.registers import OrderRegister, OrganisationRegister
from portal_kit.testing.events import envelope


def organisation(name: str, version: int, number: str) -> Any:
    data: dict[str, Any] = {
        "organisation_id": "payer",
        "display_name": name,
        "organisation_number": number,
    }
    if version == 1:
        data |= {"kind": "customer", "parent_id": None}
        return envelope("people.organisation.created", "payer", data, version=1)
    data |= {"changed": ["display_name"], "active": True}
    return envelope("people.organisation.updated", "payer", data, version=version)


async def test_an_older_rename_handled_last_leaves_the_payers_newest_name(database_for):
    directory = OrganisationDirectory(database_for("billing"), "acme")
    handle = organisation_handler(lambda tenant: OrganisationRegister(directory))

    for event in (
        organisation("Payer AS", 1, "911111111"),
        organisation("Payer Group AS", 3, "922222222"),
        organisation("Payer Holding AS", 2, "933333333"),
    ):
        await handle(event)

    known = await directory.known("payer")
    assert known is not None
    assert (known.name, known.organisation_number, known.kind) == (
        "Payer Group AS",
        "922222222",
        "customer",
    )


def order_event(name: str, version: int, **data: Any) -> Any:
    return envelope(f"orders.order.{name}", "o1", {"order_id": "o1", **data}, version=version)


def completed(version: int, reference: str) -> Any:
    return order_event(
        "completed",
        version,
        number="1001",
        order_type="course",
        customer_organisation_id="payer",
        invoice_reference=reference,
        completed_at="2026-01-05T10:00:00+00:00",
    )


async def test_a_completion_handled_after_the_cancellation_that_followed_is_not_billed(
    database_for,
):
    orders = BillableOrderDirectory(database_for("billing"), "acme")
    handle = order_handler(lambda tenant: OrderRegister(orders))

    await handle(order_event("cancelled", 6))
    await handle(completed(5, "REF-A"))

    found = await orders.by_number("1001")
    assert found is not None
    assert (found.state, found.invoice_reference) == ("cancelled", "REF-A")


async def test_an_older_completion_handled_last_leaves_the_newer_ones_details(database_for):
    orders = BillableOrderDirectory(database_for("billing"), "acme")
    handle = order_handler(lambda tenant: OrderRegister(orders))

    # Completed, reopened and completed again with another reference; the first one late.
    await handle(completed(9, "REF-B"))
    await handle(completed(5, "REF-A"))
    await handle(order_event("status_changed", 11, category="invoiced"))
    await handle(order_event("cancelled", 10))  # older than the invoicing: changes nothing

    found = await orders.by_number("1001")
    assert found is not None
    assert (found.state, found.invoice_reference) == ("invoiced", "REF-B")
