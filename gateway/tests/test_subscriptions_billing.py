"""Invoice subscriptions through the gateway over the real people and billing subgraphs and a
real nats-server: a customer's billing admin follows an invoice her organisation pays. As a
draft it is out of her sight (it answers like none); issued, it comes into sight, and she sees
its payment; another customer's billing member hears nothing of it. Following the whole list
(`invoicesChanged`), each customer's billing member hears of its own organisation's invoices
only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from portal_billing.app import create_app as create_billing_app
from portal_billing.settings import BillingSettings
from portal_gateway.testing.calls import mutate
from portal_gateway.testing.serving import serving
from portal_gateway.testing.subscribing import following, settled, subscribed
from portal_gateway.testing.transport_ws import socket
from portal_kit.testing.harness import RunningService
from portal_kit.testing.plugin import make_principal
from portal_people.testing import ADMIN, CREATE_ORGANISATION, CREATE_TENANT, configuration

INVOICE = "id version listStatus outstanding { amount }"
CREATE = f"""mutation($input: CreateInvoiceInput!) {{ createInvoice(input: $input) {{
  invoice {{ {INVOICE} }} userErrors {{ field code message }} }} }}"""
ISSUE = f"""mutation($input: IssueInvoiceInput!) {{ issueInvoice(input: $input) {{
  invoice {{ {INVOICE} }} userErrors {{ field code message }} }} }}"""
PAY = f"""mutation($input: RecordPaymentInput!) {{ recordPayment(input: $input) {{
  invoice {{ {INVOICE} }} userErrors {{ field code message }} }} }}"""
FOLLOW = f"""subscription($id: ID!) {{ invoiceChanged(id: $id) {{
  change invoice {{ {INVOICE} }} }} }}"""
FOLLOW_ALL = f"""subscription {{ invoicesChanged {{ change invoice {{ {INVOICE} }} }} }}"""


@pytest.fixture
async def platform(
    people_service: tuple[RunningService, str],
    settings_for: Any,
    issuer: Any,
    principal_keys: tuple[bytes, bytes],
    nats_url: str,
    namespace: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, str, Any, RunningService]]:
    people, people_url = people_service
    async with (
        serving(create_billing_app(settings_for(BillingSettings))) as billing,
        following(
            "billing",
            principal_private_key=principal_keys[0].decode(),
            jwks_url=issuer.url,
            people_url=f"{people_url}/graphql",
            billing_url=f"{billing}/graphql",
            nats_url=nats_url,
            event_prefix=namespace.event_prefix,
        ) as gateway,
    ):
        yield gateway.client, gateway.url, gateway.app, people


async def avonova(people: RunningService, issuer: Any) -> tuple[str, str, str, dict[str, str]]:
    """Avonova's tenant with its operator and two customers, and the tokens of staff,
    Testbedriften's billing admin and Annen Kunde's billing member (and the organisations'
    ids by name)."""
    await people.graphql(
        CREATE_TENANT,
        {"input": {"id": "avonova", "name": "Avonova", "configuration": configuration("NO")}},
        principal=ADMIN,
    )
    loader = make_principal("avonova", user="loader", scopes=("platform:admin",))
    ids = {}
    for name, kind in (
        ("Avonova Helse AS", "OPERATOR"),
        ("Testbedriften AS", "CUSTOMER"),
        ("Annen Kunde AS", "CUSTOMER"),
    ):
        created = await people.graphql(
            CREATE_ORGANISATION, {"input": {"name": name, "kind": kind}}, principal=loader
        )
        ids[name] = created["createOrganisation"]["organisation"]["id"]
    staff = issuer.token(user="kari", tenant="avonova", staff=True)
    admin = issuer.token(
        user="testweb",
        tenant="avonova",
        memberships=[{"organisation": ids["Testbedriften AS"], "roles": ["admin", "billing"]}],
    )
    stranger = issuer.token(
        user="annen",
        tenant="avonova",
        memberships=[{"organisation": ids["Annen Kunde AS"], "roles": ["billing"]}],
    )
    return staff, admin, stranger, ids


async def draft(gw: httpx.AsyncClient, staff: str, payer: str) -> dict[str, Any]:
    """A draft invoice `payer` pays, drawn up by staff through the gateway."""
    line = {"description": "Helsekontroll", "quantity": "1", "unitPrice": "1000", "vatRate": "0"}
    for _ in range(100):  # billing learns the payer from people's events
        created = await mutate(gw, staff, CREATE, payerOrganisationId=payer, lines=[line])
        if created["invoice"] is not None:
            break
        await asyncio.sleep(0.1)
    invoice = created["invoice"]
    assert invoice is not None, created
    return dict(invoice)


async def test_an_invoice_comes_into_a_payers_sight_when_issued_and_never_to_others(
    platform, issuer
):
    gw, url, app, people = platform
    staff, admin, stranger, ids = await avonova(people, issuer)
    invoice = await draft(gw, staff, ids["Testbedriften AS"])
    async with socket(url) as ws, socket(url) as other, socket(url) as desk:
        for client, token in ((ws, admin), (other, stranger), (desk, staff)):
            assert (await client.init(token))["type"] == "connection_ack"
            await client.subscribe("1", FOLLOW, id=invoice["id"])
            await subscribed(client)

        async def by_staff(document: str, **input: Any) -> dict[str, Any]:
            changed = await mutate(gw, staff, document, **input)
            assert changed["userErrors"] == [], changed
            assert (await desk.receive())["type"] == "next"
            await settled(app)
            return dict(changed["invoice"])

        invoice = await by_staff(
            ISSUE, id=invoice["id"], version=invoice["version"], issueDate=date.today().isoformat()
        )
        issued = await ws.receive()
        invoice = await by_staff(
            PAY,
            id=invoice["id"],
            version=invoice["version"],
            amount="400",
            paidOn=date.today().isoformat(),
        )
        paid = await ws.receive()
        assert await other.quiet(0.3) == []
    assert issued["payload"]["data"]["invoiceChanged"]["change"] == "issued"
    assert paid["payload"]["data"]["invoiceChanged"]["change"] == "part_paid"
    assert paid["payload"]["data"]["invoiceChanged"]["invoice"]["outstanding"] == {
        "amount": "600.00"
    }


async def test_the_invoice_list_tells_each_payer_of_its_own_invoices_only(platform, issuer):
    """`invoicesChanged` as Testbedriften's billing admin and as Annen Kunde's billing member,
    while staff issue and record payments on an invoice of each: each hears of its own
    organisation's invoice, never of the other's."""
    gw, url, app, people = platform
    staff, admin, stranger, ids = await avonova(people, issuer)
    ours = await draft(gw, staff, ids["Testbedriften AS"])
    theirs = await draft(gw, staff, ids["Annen Kunde AS"])
    async with socket(url) as ws, socket(url) as other, socket(url) as desk:
        for client, token in ((ws, admin), (other, stranger), (desk, staff)):
            assert (await client.init(token))["type"] == "connection_ack"
            await client.subscribe("list", FOLLOW_ALL)
            await subscribed(client)

        async def by_staff(document: str, invoice: dict[str, Any], **input: Any) -> dict[str, Any]:
            changed = await mutate(
                gw, staff, document, id=invoice["id"], version=invoice["version"], **input
            )
            assert changed["userErrors"] == [], changed
            seen = await desk.receive()  # staff see every invoice: the event was delivered
            assert seen["payload"]["data"]["invoicesChanged"]["invoice"]["id"] == invoice["id"]
            await settled(app)
            return dict(changed["invoice"])

        today = date.today().isoformat()
        theirs = await by_staff(ISSUE, theirs, issueDate=today)
        ours = await by_staff(ISSUE, ours, issueDate=today)
        theirs = await by_staff(PAY, theirs, amount="1000", paidOn=today)
        ours = await by_staff(PAY, ours, amount="400", paidOn=today)
        ours_heard = [await ws.receive(), await ws.receive(), *await ws.quiet(0.3)]
        theirs_heard = [await other.receive(), await other.receive(), *await other.quiet(0.3)]

    def changes(heard: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, str]]]:
        assert {m["type"] for m in heard} == {"next"}, heard
        payloads = [m["payload"]["data"]["invoicesChanged"] for m in heard]
        return [(p["invoice"]["id"], p["change"], p["invoice"]["outstanding"]) for p in payloads]

    assert changes(ours_heard) == [
        (ours["id"], "issued", {"amount": "1000.00"}),
        (ours["id"], "part_paid", {"amount": "600.00"}),
    ]
    assert changes(theirs_heard) == [
        (theirs["id"], "issued", {"amount": "1000.00"}),
        (theirs["id"], "paid", {"amount": "0.00"}),
    ]
