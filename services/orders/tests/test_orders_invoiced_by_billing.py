"""Billing's `incoming_invoice.matched` event moves a done Familjebostäder work order to
'Fakturerad' through the workflow's system transition — once, however often it comes."""

from __future__ import annotations

import asyncio
from typing import Any

from portal_kit.events import CloudEvent, new_event_id, utc_now
from portal_orders.testing import CREATE, TRANSITION, ok, read

from .test_orders_scenario_fb import ELSA, TESTFIRMA, work_order


async def matched(nats_client: Any, prefix: str, order: dict[str, Any]) -> None:
    data = {
        "incoming_invoice_id": "inv-1",
        "contractor_organisation_id": "testfirma",
        "order_id": order["id"],
        "order_number": order["number"],
        "reference": f"AO{order['number']}",
        "currency": "SEK",
        "amount": "1250.00",
    }
    event = CloudEvent(
        id=new_event_id(),
        source="/portal/billing",
        type="portal.billing.incoming_invoice.matched",
        subject="inv-1",
        time=utc_now(),
        data=data,
        tenant="familjebostader",
    )
    await nats_client.jetstream().publish(
        f"{prefix}.familjebostader.billing.incoming_invoice.matched",
        event.model_dump_json().encode(),
    )


async def status_when(service: Any, order_id: str, wanted: str) -> dict[str, Any]:
    for _ in range(100):
        seen = await read(service, order_id, ELSA)
        assert seen is not None
        if seen["status"] == wanted:
            return seen
        await asyncio.sleep(0.1)
    raise AssertionError(f"the order never became {wanted}")


async def test_billings_matched_invoice_moves_the_done_work_order_to_fakturerad(
    service, nats_client, namespace
):
    order = await ok(service, CREATE, ELSA, **work_order())
    for status, changes in (("accepted", None), ("done", {"actionTaken": "Bytt packning"})):
        extra = {"changes": changes} if changes else {}
        order = await ok(
            service,
            TRANSITION,
            TESTFIRMA,
            id=order["id"],
            version=order["version"],
            status=status,
            **extra,
        )
    await matched(nats_client, namespace.event_prefix, order)
    seen = await status_when(service, order["id"], "invoiced")
    assert seen["statusLabel"] == "Fakturerad"
    assert seen["activity"][-1]["role"] == "SYSTEM"
    # Again (a redelivery with a new id): already invoiced, nothing changes.
    await matched(nats_client, namespace.event_prefix, order)
    await asyncio.sleep(0.5)
    again = await read(service, order["id"], ELSA)
    assert again is not None and again["version"] == seen["version"]
