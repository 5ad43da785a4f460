"""Through the gateway over the real people and orders subgraphs (in-process, real HTTP): what a
status change needs is visible before it is tried, and close-out codes are pickers.

- Familjebostäder (001_): "Gäller arbetsorder en enhet, framförallt vitvaror, var noga med att
  ange modellbeteckning ... och dess serienummer": the contractor's `availableTransitions` for an
  appliance names model and serial number for 'Utförd', for a sink only the action.
- JM (000_): "fylle inn Feiltype, Rotårsak og Handlingsbeskrivelse før dere setter inn status
  Utført", with pickers showing 'Feil produkt' / 'Feil på produktet': the codes come with their
  Norwegian labels, a label typed as text is refused with `UNKNOWN_CODE`, a code goes through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_gateway.testing.calls import mutate, query
from portal_gateway.testing.serving import serving
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_orders.testing import know_organisations

ORDER_FIELDS = "id version status faultType availableTransitions { status requiredFields }"
PAYLOAD = f"order {{ {ORDER_FIELDS} }} userErrors {{ field code message }}"
CREATE = f"""mutation($input: CreateOrderInput!) {{ createOrder(input: $input) {{ {PAYLOAD} }} }}"""
TRANSITION = f"""mutation($input: TransitionOrderInput!) {{ transitionOrder(input: $input) {{
  {PAYLOAD} }} }}"""
READ = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
LABELS = "query($id: ID!) { order(id: $id) { faultTypeLabel rootCauseLabel } }"
PICKERS = "{ orderConfiguration { closeOutFields { field freeText codes { code label } } } }"


@pytest.fixture
async def orders(settings_for: Any) -> AsyncIterator[str]:
    app = create_orders_app(settings_for(OrdersSettings))
    async with serving(app) as url:
        await know_organisations(app)
        yield f"{url}/graphql"


async def moved_on(
    gw: httpx.AsyncClient, staff: str, contractor: str, status: str, **order: Any
) -> Any:
    """An order created by staff for the contractor, moved to `status` by the contractor."""
    created = await mutate(gw, staff, CREATE, **order)
    assert created["userErrors"] == [], created
    moved = await mutate(
        gw,
        contractor,
        TRANSITION,
        id=created["order"]["id"],
        version=created["order"]["version"],
        status=status,
    )
    assert moved["userErrors"] == [], moved
    return moved["order"]


async def test_familjebostader_shows_model_and_serial_number_before_utford_for_an_appliance(
    people, orders, issuer, start_gateway
):
    elsa = issuer.token(user="elsa", tenant="familjebostader", staff=True, locale="sv")
    testfirma = issuer.token(
        user="1999/99999",
        tenant="familjebostader",
        memberships=[{"organisation": "testfirma", "roles": ["user"]}],
        locale="sv",
    )
    work_order = {
        "orderType": "fel",
        "description": "Kommer inget vatten",
        "customerOrganisationId": "fb-housing",
        "assigneeOrganisationId": "testfirma",
        "object": {"number": "64010765"},
    }
    async with start_gateway(people_url=people, orders_url=orders, jwks_url=issuer.url) as gw:
        sink = await moved_on(
            gw,
            elsa,
            testfirma,
            "accepted",
            **work_order,
            avser={"space": "Kök", "unit": "Diskbänk"},
        )
        dishwasher = await moved_on(
            gw,
            elsa,
            testfirma,
            "accepted",
            **work_order,
            avser={"space": "Kök", "unit": "Diskmaskin", "appliance": True},
        )
        read = await query(gw, testfirma, READ, id=dishwasher["id"])
    assert sink["availableTransitions"] == [{"status": "done", "requiredFields": ["actionTaken"]}]
    expected = [
        {
            "status": "done",
            "requiredFields": ["actionTaken", "avser.properties", "avser.serialNumber"],
        }
    ]
    assert dishwasher["availableTransitions"] == expected
    assert read["order"]["availableTransitions"] == expected


async def test_jm_close_out_codes_are_pickers_with_norwegian_labels(
    people, orders, issuer, start_gateway
):
    pm = issuer.token(user="pm-testare", tenant="jm", staff=True, locale="nb")
    emma = issuer.token(
        user="mejlkontakt",
        tenant="jm",
        memberships=[{"organisation": "emma", "roles": ["user"]}],
        locale="nb",
    )
    async with start_gateway(people_url=people, orders_url=orders, jwks_url=issuer.url) as gw:
        pickers = (await query(gw, emma, PICKERS))["orderConfiguration"]["closeOutFields"]
        order = await moved_on(
            gw,
            pm,
            emma,
            "order_received",
            orderType="billable",
            description="TEST",
            customerOrganisationId="jm-housing",
            assigneeOrganisationId="emma",
        )

        async def utfort(fault_type: str, root_cause: str) -> dict[str, Any]:
            """'Utført' with the action and this fault type and root cause."""
            changes = {"faultType": fault_type, "rootCause": root_cause}
            return await mutate(
                gw,
                emma,
                TRANSITION,
                id=order["id"],
                version=order["version"],
                status="done",
                changes={**changes, "actionTaken": "Byttet blandebatteri"},
            )

        typed = await utfort("Feil produkt", "Feil på produktet")  # the labels, typed
        unchanged = (await query(gw, emma, READ, id=order["id"]))["order"]
        picked = await utfort("product_fault", "product_defect")
        labels = (await query(gw, emma, LABELS, id=order["id"]))["order"]
    fault_types, root_causes = pickers
    assert (fault_types["field"], fault_types["freeText"]) == ("faultType", False)
    assert fault_types["codes"][0] == {"code": "product_fault", "label": "Feil produkt"}
    assert (root_causes["field"], root_causes["freeText"]) == ("rootCause", False)
    assert root_causes["codes"][0] == {"code": "product_defect", "label": "Feil på produktet"}
    done = next(t for t in order["availableTransitions"] if t["status"] == "done")
    assert done["requiredFields"] == ["faultType", "rootCause", "actionTaken"]

    assert typed["order"] is None
    assert sorted((e["field"], e["code"]) for e in typed["userErrors"]) == [
        ("faultType", "UNKNOWN_CODE"),
        ("rootCause", "UNKNOWN_CODE"),
    ]
    assert (unchanged["version"], unchanged["status"], unchanged["faultType"]) == (
        order["version"],
        "order_received",
        "",
    )
    assert picked["userErrors"] == []
    assert (picked["order"]["status"], picked["order"]["faultType"]) == ("done", "product_fault")
    assert labels == {"faultTypeLabel": "Feil produkt", "rootCauseLabel": "Feil på produktet"}
