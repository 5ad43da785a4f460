"""Ticket subscriptions through the gateway over the real tickets subgraph and nats-server: a
customer follows her ticket's status and posts; staff's internal notes never reach her, and
another organisation's ticket is out of her sight like one that does not exist."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_gateway.testing.calls import mutate
from portal_gateway.testing.serving import serving
from portal_gateway.testing.subscribing import following, settled, subscribed
from portal_gateway.testing.transport_ws import socket
from portal_tickets.app import create_app as create_tickets_app
from portal_tickets.settings import TicketsSettings

TICKET = "id version status"
CREATE = f"""mutation($input: CreateTicketInput!) {{ createTicket(input: $input) {{
  ticket {{ {TICKET} }} userErrors {{ field code message }} }} }}"""
POST = f"""mutation($input: AddTicketPostInput!) {{ addTicketPost(input: $input) {{
  ticket {{ {TICKET} }} userErrors {{ field code message }} }} }}"""
CLOSE = f"""mutation($input: TicketVersionInput!) {{ closeTicket(input: $input) {{
  ticket {{ {TICKET} }} userErrors {{ field code message }} }} }}"""
FOLLOW = """subscription($id: ID!) { ticketChanged(id: $id) {
  __typename change ticket { status feed { text } } } }"""
EVERY = "subscription { ticketsChanged { change ticket { id feed { text } } } }"


@pytest.fixture
async def gateway(
    people: str,
    settings_for: Any,
    issuer: Any,
    principal_keys: tuple[bytes, bytes],
    nats_url: str,
    namespace: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, str, Any]]:
    async with (
        serving(create_tickets_app(settings_for(TicketsSettings))) as tickets,
        following(
            "tickets",
            principal_private_key=principal_keys[0].decode(),
            jwks_url=issuer.url,
            people_url=people,
            tickets_url=f"{tickets}/graphql",
            nats_url=nats_url,
            event_prefix=namespace.event_prefix,
        ) as gateway,
    ):
        yield gateway.client, gateway.url, gateway.app


def member(issuer: Any, user: str, organisation: str) -> str:
    return issuer.token(
        user=user, tenant="visma", memberships=[{"organisation": organisation, "roles": ["user"]}]
    )


async def test_a_customer_sees_posts_and_status_of_her_ticket_never_internal_notes(gateway, issuer):
    gw, url, app = gateway
    anna = member(issuer, "anna", "org-school")
    carl = member(issuer, "carl", "org-other")
    staff = issuer.token(user="staff-1", tenant="visma", staff=True)
    created = await mutate(
        gw,
        anna,
        CREATE,
        subject="Kan inte skriva ut",
        description="Knappen gör inget.",
        organisationId="org-school",
    )
    assert created["userErrors"] == [], created
    ticket = created["ticket"]
    theirs = await mutate(
        gw, carl, CREATE, subject="Annat", description="Något annat.", organisationId="org-other"
    )
    async with socket(url) as ws, socket(url) as desk:
        assert (await ws.init(anna))["type"] == "connection_ack"
        assert (await desk.init(staff))["type"] == "connection_ack"
        await ws.subscribe("mine", FOLLOW, id=ticket["id"])
        await ws.subscribe("theirs", FOLLOW, id=theirs["ticket"]["id"])
        await ws.subscribe("all", EVERY)
        await desk.subscribe("mine", FOLLOW, id=ticket["id"])
        await subscribed(ws)
        await subscribed(desk)

        async def by_staff(document: str, **input: Any) -> dict[str, Any]:
            changed = await mutate(gw, staff, document, **input)
            assert changed["userErrors"] == [], changed
            assert (await desk.receive())["type"] == "next"  # staff see every change
            await settled(app)
            return dict(changed["ticket"])

        ticket = await by_staff(
            POST, id=ticket["id"], version=ticket["version"], text="Intern: ring IT", internal=True
        )
        # The internal note told Anna nothing, on her ticket's subscription nor on her list's
        # (read when she subscribed, so its first change of the ticket is compared with that).
        assert await ws.quiet(0.3) == []
        await mutate(
            gw,
            carl,
            POST,
            id=theirs["ticket"]["id"],
            version=theirs["ticket"]["version"],
            text="Hej",
        )
        ticket = await by_staff(
            POST, id=ticket["id"], version=ticket["version"], text="Prova att starta om"
        )
        listed, answer = sorted([await ws.receive(), await ws.receive()], key=lambda m: m["id"])
        ticket = await by_staff(CLOSE, id=ticket["id"], version=ticket["version"])
        closed = [await ws.receive(), await ws.receive()]
        rest = await ws.quiet(0.3)
    assert answer["id"] == "mine" and listed["id"] == "all"
    change = answer["payload"]["data"]["ticketChanged"]
    assert (change["__typename"], change["change"]) == ("TicketChange", "post_added")
    texts = [entry["text"] for entry in change["ticket"]["feed"]]
    assert "Prova att starta om" in texts and "Intern: ring IT" not in texts
    assert listed["payload"]["data"]["ticketsChanged"]["ticket"]["id"] == ticket["id"]
    assert "Intern: ring IT" not in str(listed)
    mine = next(m for m in closed if m["id"] == "mine")
    assert mine["payload"]["data"]["ticketChanged"]["ticket"]["status"] == ticket["status"]
    assert {m["id"] for m in closed} == {"mine", "all"}
    assert rest == []  # nothing of Carl's ticket on any subscription
