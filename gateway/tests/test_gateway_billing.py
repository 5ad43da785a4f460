"""Billing through the gateway, over the real people, orders and billing subgraphs (in-process,
real HTTP, real NATS):

- Avonova (002_, "Fakturaer"): the customer admin searches invoices by number, dates and status
  ('Forfalt', 'Ubetalt') and sees its department's (Bergen TEST) with the right outstanding
  amounts, never a draft or another customer's; a part payment changes the 'Forfalt' totals; the
  PDF and the UBL document download for the payer and not for others.
- Familjebostäder (001_): the contractor's invoice with the reference `AO<number>` turns its done
  work order into 'Fakturerad' ("styrs internt"); a reference with a space is refused with the
  right form. Registered the moment the order is 'Utförd' it matches (billing waits for orders'
  event); while billing cannot read orders' events the answer is TRY_AGAIN, never "no such work
  order".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from portal_billing.app import create_app as create_billing_app
from portal_billing.entrypoints.consumers import ORDERS_DURABLE
from portal_billing.settings import BillingSettings
from portal_gateway.testing.calls import mutate, query
from portal_gateway.testing.serving import serving
from portal_kit.testing.harness import RunningService
from portal_kit.testing.plugin import make_principal
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_orders.testing import know_organisations
from portal_people.testing import ADMIN, CREATE_ORGANISATION, CREATE_TENANT, configuration
from starlette.applications import Starlette

INVOICE = """id number version payerName listStatus statusLabel issueDate dueDate
  total { amount } outstanding { amount } pdfPath ublPath"""
CREATE = f"""mutation($input: CreateInvoiceInput!) {{ createInvoice(input: $input) {{
  invoice {{ {INVOICE} }} userErrors {{ field code message }} }} }}"""
ISSUE = f"""mutation($input: IssueInvoiceInput!) {{ issueInvoice(input: $input) {{
  invoice {{ {INVOICE} }} userErrors {{ field code message }} }} }}"""
PAY = f"""mutation($input: RecordPaymentInput!) {{ recordPayment(input: $input) {{
  invoice {{ {INVOICE} }} userErrors {{ field code message }} }} }}"""
SEARCH = f"""query($filter: InvoiceFilterInput, $sort: InvoiceSortInput) {{
  invoices(first: 50, filter: $filter, sort: $sort) {{
    totalCount edges {{ node {{ {INVOICE} }} }} }} }}"""
TOTALS = """{ invoiceTotals { payerName outstanding { amount } overdue { amount }
  overdueInvoices } }"""
STATUSES = "{ invoiceStatuses { status label } }"


@pytest.fixture
async def platform(
    people_service: tuple[RunningService, str], settings_for: Any, issuer: Any, start_gateway: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, RunningService, Starlette]]:
    service, url = people_service
    orders_app = create_orders_app(settings_for(OrdersSettings))
    billing_app = create_billing_app(settings_for(BillingSettings))
    async with (
        serving(orders_app) as orders,
        serving(billing_app) as billing,
        start_gateway(
            people_url=f"{url}/graphql",
            orders_url=f"{orders}/graphql",
            billing_url=f"{billing}/graphql",
            jwks_url=issuer.url,
        ) as client,
    ):
        await know_organisations(orders_app)
        yield client, service, billing_app


async def organisations(
    people: RunningService, tenant: str, country: str, wanted: list[tuple[str, str, str | None]]
) -> dict[str, str]:
    """The tenant and its organisations (name, kind, parent name) in people: their ids."""
    await people.graphql(
        CREATE_TENANT,
        {"input": {"id": tenant, "name": tenant, "configuration": configuration(country)}},
        principal=ADMIN,
    )
    loader = make_principal(tenant, user="loader", scopes=("platform:admin",))
    ids: dict[str, str] = {}
    for name, kind, parent in wanted:
        data = await people.graphql(
            CREATE_ORGANISATION,
            {"input": {"name": name, "kind": kind, "parentId": ids.get(parent or "")}},
            principal=loader,
        )
        ids[name] = data["createOrganisation"]["organisation"]["id"]
    return ids


async def invoice(
    gw: httpx.AsyncClient, staff: str, payer: str, amount: str, issued_on: str | None
) -> dict[str, Any]:
    """Drawn up once billing knows the payer from people's events; issued unless no date."""
    for _ in range(100):
        draft = await mutate(
            gw,
            staff,
            CREATE,
            payerOrganisationId=payer,
            lines=[
                {
                    "description": "Helsekontroll",
                    "quantity": "1",
                    "unitPrice": amount,
                    "vatRate": "0",
                }
            ],
        )
        if draft["invoice"] is not None:
            break
        assert [e["code"] for e in draft["userErrors"]] == ["NOT_FOUND"], draft
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("billing never learnt the payer from people's events")
    if issued_on is None:
        result: dict[str, Any] = draft["invoice"]
        return result
    issued = await mutate(
        gw, staff, ISSUE, id=draft["invoice"]["id"], version=1, issueDate=issued_on
    )
    assert issued["userErrors"] == [], issued
    result = issued["invoice"]
    return result


def rows(data: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            n["number"],
            n["payerName"],
            n["total"]["amount"],
            n["outstanding"]["amount"],
            n["statusLabel"],
        )
        for n in (e["node"] for e in data["invoices"]["edges"])
    ]


async def test_the_avonova_customer_admin_finds_its_invoices_as_the_manual_shows(platform, issuer):
    gw, people, _ = platform
    ids = await organisations(
        people,
        "avonova",
        "NO",
        [
            ("Avonova Helse AS", "OPERATOR", None),
            ("Testbedriften AS", "CUSTOMER", None),
            ("Bergen TEST", "CUSTOMER", "Testbedriften AS"),
            ("Annen Kunde AS", "CUSTOMER", None),
        ],
    )
    testbedriften, bergen, other = (
        ids["Testbedriften AS"],
        ids["Bergen TEST"],
        ids["Annen Kunde AS"],
    )
    staff = issuer.token(
        user="kari",
        tenant="avonova",
        staff=True,
        locale="nb",
        memberships=[{"organisation": ids["Avonova Helse AS"], "roles": ["admin"]}],
    )
    admin = issuer.token(
        user="testweb",
        tenant="avonova",
        locale="nb",
        memberships=[{"organisation": testbedriften, "roles": ["admin", "billing"]}],
    )
    stranger = issuer.token(
        user="annen",
        tenant="avonova",
        locale="nb",
        memberships=[{"organisation": other, "roles": ["billing"]}],
    )
    today = datetime.now(UTC).date()
    recent = (today - timedelta(days=5)).isoformat()
    # The manual's list: three overdue ('Forfalt') and two not yet due ('Ubetalt').
    first = await invoice(gw, staff, testbedriften, "1500", "2017-12-31")
    await invoice(gw, staff, bergen, "3000", "2017-12-19")
    await invoice(gw, staff, bergen, "3000", "2017-12-31")
    await invoice(gw, staff, bergen, "1000", recent)
    last = await invoice(gw, staff, testbedriften, "5", recent)
    await invoice(gw, staff, other, "700", "2017-12-31")
    await invoice(gw, staff, testbedriften, "999", None)  # a draft

    everything = await query(gw, admin, SEARCH)
    assert rows(everything) == [
        ("2017-118350", "Testbedriften AS", "1500.00", "1500.00", "Forfalt"),
        ("2017-118351", "Bergen TEST", "3000.00", "3000.00", "Forfalt"),
        ("2017-118352", "Bergen TEST", "3000.00", "3000.00", "Forfalt"),
        (last["number"][:5] + "118353", "Bergen TEST", "1000.00", "1000.00", "Ubetalt"),
        (last["number"], "Testbedriften AS", "5.00", "5.00", "Ubetalt"),
    ]
    assert (first["issueDate"], first["dueDate"]) == ("2017-12-31", "2018-01-20")
    by_number = await query(gw, admin, SEARCH, filter={"number": "2017-118350"})
    assert [r[0] for r in rows(by_number)] == ["2017-118350"]
    by_dates = await query(
        gw, admin, SEARCH, filter={"issuedFrom": "2017-12-20", "issuedTo": "2018-01-31"}
    )
    assert [r[0] for r in rows(by_dates)] == ["2017-118350", "2017-118352"]
    unpaid = await query(gw, admin, SEARCH, filter={"statuses": ["UNPAID"]})
    assert [r[4] for r in rows(unpaid)] == ["Ubetalt", "Ubetalt"]
    by_total = await query(gw, admin, SEARCH, sort={"column": "TOTAL", "descending": True})
    assert [r[2] for r in rows(by_total)][:2] == ["3000.00", "3000.00"]
    labels = await query(gw, admin, STATUSES)
    assert {"status": "OVERDUE", "label": "Forfalt"} in labels["invoiceStatuses"]
    # Another customer's billing person sees its own invoice alone.
    assert [r[1] for r in rows(await query(gw, stranger, SEARCH))] == ["Annen Kunde AS"]

    totals = {t["payerName"]: t for t in (await query(gw, admin, TOTALS))["invoiceTotals"]}
    assert totals["Bergen TEST"]["overdue"] == {"amount": "6000.00"}
    assert totals["Testbedriften AS"]["overdue"] == {"amount": "1500.00"}
    paid = await mutate(
        gw,
        staff,
        PAY,
        id=first["id"],
        version=first["version"],
        amount="500",
        paidOn=today.isoformat(),
        reference="Bankgiro",
    )
    assert paid["userErrors"] == []
    totals = {t["payerName"]: t for t in (await query(gw, admin, TOTALS))["invoiceTotals"]}
    assert (totals["Testbedriften AS"]["overdue"], totals["Testbedriften AS"]["outstanding"]) == (
        {"amount": "1000.00"},
        {"amount": "1005.00"},
    )

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    pdf = await gw.get(first["pdfPath"], headers=bearer(admin))
    assert (pdf.status_code, pdf.content[:5]) == (200, b"%PDF-")
    ubl = await gw.get(first["ublPath"], headers=bearer(admin))
    assert ubl.status_code == 200 and b"2017-118350" in ubl.content
    for path in (first["pdfPath"], first["ublPath"]):
        assert (await gw.get(path, headers=bearer(stranger))).status_code == 404
    assert (await gw.get(first["pdfPath"])).status_code == 401
    assert (await gw.get(f"/invoices/{first['id']}/exe", headers=bearer(staff))).status_code == 404


ORDER = "id number version status statusLabel invoiceReference"
CREATE_ORDER = f"""mutation($input: CreateOrderInput!) {{ createOrder(input: $input) {{
  order {{ {ORDER} }} userErrors {{ field code message }} }} }}"""
TRANSITION = f"""mutation($input: TransitionOrderInput!) {{ transitionOrder(input: $input) {{
  order {{ {ORDER} }} userErrors {{ field code message }} }} }}"""
READ_ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER} }} }}"
REGISTER = """mutation($input: RegisterIncomingInvoiceInput!) {
  registerIncomingInvoice(input: $input) {
  incomingInvoice { reference orderNumber amount { amount currency } }
  userErrors { field code message } } }"""


async def done_work_order(gw: httpx.AsyncClient, elsa: str, testfirma: str) -> dict[str, Any]:
    """A Familjebostäder work order for Testfirma, accepted and marked 'Utförd' by it."""
    created = await mutate(
        gw,
        elsa,
        CREATE_ORDER,
        orderType="fel",
        description="Kommer inget vatten",
        customerOrganisationId="fb-housing",
        assigneeOrganisationId="testfirma",
        object={"number": "64010765"},
    )
    assert created["userErrors"] == [], created
    order: dict[str, Any] = created["order"]
    for status, extra in (
        ("accepted", {}),
        ("done", {"changes": {"actionTaken": "Bytt packning"}}),
    ):
        moved = await mutate(
            gw,
            testfirma,
            TRANSITION,
            id=order["id"],
            version=order["version"],
            status=status,
            **extra,
        )
        assert moved["userErrors"] == [], moved
        order = moved["order"]
    assert order["statusLabel"] == "Utförd"
    return order


def fb_callers(issuer: Any) -> tuple[str, str]:
    elsa = issuer.token(user="elsa", tenant="familjebostader", staff=True, locale="sv")
    testfirma = issuer.token(
        user="1999/99999",
        tenant="familjebostader",
        memberships=[{"organisation": "testfirma", "roles": ["user"]}],
        locale="sv",
    )
    return elsa, testfirma


def register_for(gw: httpx.AsyncClient, testfirma: str) -> Any:
    def register(reference: str) -> Any:
        return mutate(
            gw,
            testfirma,
            REGISTER,
            invoiceNumber="F-2019-77",
            amount="2450.00",
            invoiceDate="2019-08-30",
            reference=reference,
        )

    return register


async def test_a_familjebostader_work_order_becomes_fakturerad_on_the_contractors_invoice(
    platform, issuer
):
    gw, _, _ = platform
    elsa, testfirma = fb_callers(issuer)
    order = await done_work_order(gw, elsa, testfirma)
    number = order["number"]
    register = register_for(gw, testfirma)

    spaced = await register(f"AO {number}")
    assert spaced["incomingInvoice"] is None
    (error,) = spaced["userErrors"]
    assert (error["field"], error["code"]) == ("reference", "INVALID_REFERENCE")
    assert "AO2375" in error["message"] and "mellanslag" in error["message"]
    # At once after 'Utförd': billing waits for orders' event of the done work order.
    matched = await register(f"AO{number}")
    assert matched["userErrors"] == [], matched
    assert matched["incomingInvoice"] == {
        "reference": f"AO{number}",
        "orderNumber": number,
        "amount": {"amount": "2450.00", "currency": "SEK"},
    }
    for _ in range(100):  # orders follows billing's event
        seen = (await query(gw, testfirma, READ_ORDER, id=order["id"]))["order"]
        if seen["status"] == "invoiced":
            break
        await asyncio.sleep(0.1)
    assert (seen["statusLabel"], seen["invoiceReference"]) == ("Fakturerad", f"AO{number}")
    again = await register(f"AO{number}")
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_INVOICED"]


async def test_an_invoice_for_a_work_order_billing_has_not_heard_of_yet_is_try_again_not_missing(
    platform, issuer
):
    gw, _, billing_app = platform
    elsa, testfirma = fb_callers(issuer)
    register = register_for(gw, testfirma)
    (orders_feed,) = [c for c in billing_app.state.runtime.consumers if c.durable == ORDERS_DURABLE]
    await orders_feed.stop()  # billing reads no order event until it starts again
    order = await done_work_order(gw, elsa, testfirma)
    number = order["number"]
    for _ in range(100):  # orders has published the completion; billing has not read it
        if not await orders_feed.caught_up():
            break
        await asyncio.sleep(0.1)
    assert not await orders_feed.caught_up()

    for reference in (f"AO{number}", "AO99999999"):  # the same for a number no order has
        later = await register(reference)
        assert later["incomingInvoice"] is None
        (error,) = later["userErrors"]
        assert (error["field"], error["code"]) == ("reference", "TRY_AGAIN"), later
        assert reference in error["message"] and "försök igen" in error["message"]
    seen = (await query(gw, testfirma, READ_ORDER, id=order["id"]))["order"]
    assert seen["statusLabel"] == "Utförd"

    await orders_feed.start()
    matched = await register(f"AO{number}")
    assert matched["userErrors"] == [], matched
    assert matched["incomingInvoice"]["orderNumber"] == number
    # Caught up, a number no order has is missing, in the contractor's language.
    missing = await register("AO99999999")
    (error,) = missing["userErrors"]
    assert (error["field"], error["code"]) == ("reference", "NOT_FOUND"), missing
