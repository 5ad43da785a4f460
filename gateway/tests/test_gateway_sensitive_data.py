"""Through the gateway over the real people, orders and tickets subgraphs (in-process, real
HTTP): a national ID typed into free text is refused with `SENSITIVE_DATA` on the field, nothing
is stored and no number taken, the message does not repeat the number and no log line holds it;
the same texts with an order number or a phone number instead go through.

Avonova's order form says "Merk IKKE sensitive opplysninger"; Familjebostäder's dialog and a
support ticket are read by as many people."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from portal_gateway.testing.calls import mutate, query
from portal_gateway.testing.serving import serving
from portal_kit.logging import JsonFormatter
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_orders.testing import know_organisations, stream_events
from portal_tickets.app import create_app as create_tickets_app
from portal_tickets.settings import TicketsSettings

FODSELSNUMMER = "15108695088"  # valid for python-stdnum: Norway
PERSONNUMMER = "880320-0016"  # Sweden
HENKILOTUNNUS = "131052-308T"  # Finland
NUMBER_PARTS = ("15108695088", "151086", "95088", "880320", "8803200016", "131052", "308T")

ORDER_FIELDS = "id number version description activity { kind text }"
ORDER = f"order {{ {ORDER_FIELDS} }}"
CREATE_ORDER = f"""mutation($input: CreateOrderInput!) {{ createOrder(input: $input) {{
  {ORDER} userErrors {{ field code message }} }} }}"""
COMMENT = f"""mutation($input: AddOrderCommentInput!) {{ addOrderComment(input: $input) {{
  {ORDER} userErrors {{ field code message }} }} }}"""
READ_ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
CREATE_TICKET = """mutation($input: CreateTicketInput!) { createTicket(input: $input) {
  ticket { id number description } userErrors { field code message } } }"""


@pytest.fixture
async def orders(settings_for: Any) -> AsyncIterator[str]:
    app = create_orders_app(settings_for(OrdersSettings))
    async with serving(app) as url:
        await know_organisations(app)
        yield f"{url}/graphql"


@pytest.fixture
async def tickets(settings_for: Any) -> AsyncIterator[str]:
    async with serving(create_tickets_app(settings_for(TicketsSettings))) as url:
        yield f"{url}/graphql"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record of the gateway and the subgraphs, down to debug."""
    caplog.set_level(logging.DEBUG)
    return caplog


def refused_for_sensitive_data(payload: dict[str, Any], field: str) -> str:
    """The refusal's message, after checking it is the one typed refusal and nothing else."""
    assert next(v for k, v in payload.items() if k != "userErrors") is None, payload
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == (field, "SENSITIVE_DATA")
    message: str = error["message"]
    # In the caller's language (these callers: nb, sv), naming the kinds of number it looks like.
    assert "personnummer" in message and "henkilötunnus" in message, message
    assert not any(part in message for part in NUMBER_PARTS), message
    return message


def assert_no_log_line_holds_a_number(logs: pytest.LogCaptureFixture) -> None:
    formatter = JsonFormatter("test")
    lines = [formatter.format(record) for record in logs.records]
    assert lines  # the requests were logged, so this looks at something
    leaked = [line for line in lines if any(part in line for part in NUMBER_PARTS)]
    assert leaked == []


async def test_a_fodselsnummer_in_an_avonova_order_description_is_refused_and_nothing_is_stored(
    people, orders, issuer, start_gateway, logs, nats_client, namespace
):
    customer = issuer.token(
        user="testweb",
        tenant="avonova",
        memberships=[{"organisation": "demokunde", "roles": ["admin"]}],
        locale="nb",
    )
    account_manager = issuer.token(user="kundeansvarlig", tenant="avonova", staff=True)
    form = {
        "customerOrganisationId": "demokunde",
        "customerRequest": {"desiredDelivery": "Støttesamtaler", "location": "Oslo"},
    }
    async with start_gateway(people_url=people, orders_url=orders, jwks_url=issuer.url) as gw:
        with_id = f"Støttesamtale for Ola Nordmann, fnr. {FODSELSNUMMER}"
        refused = await mutate(gw, customer, CREATE_ORDER, description=with_id, **form)
        refused_for_sensitive_data(refused, "description")
        total = await query(gw, account_manager, "{ orders { totalCount } }")
        assert total == {"orders": {"totalCount": 0}}

        text = "Som bestilling 307390: ring Ola på +47 912 34 567 eller 91234567"
        first = await mutate(gw, customer, CREATE_ORDER, description=text, **form)
        assert first["userErrors"] == []
        second = await mutate(gw, customer, CREATE_ORDER, description="Én til", **form)

    # The refused order took no number, and no event went out for it.
    assert int(second["order"]["number"]) == int(first["order"]["number"]) + 1
    [event] = await stream_events(nats_client, namespace, "avonova", 1)
    assert (event["type"], event["subject"]) == (
        "portal.orders.order.created",
        first["order"]["id"],
    )
    assert_no_log_line_holds_a_number(logs)


async def test_a_personnummer_in_a_familjebostader_dialog_comment_is_refused(
    people, orders, issuer, start_gateway, logs
):
    elsa = issuer.token(user="elsa", tenant="familjebostader", staff=True, locale="sv")
    async with start_gateway(people_url=people, orders_url=orders, jwks_url=issuer.url) as gw:
        created = await mutate(
            gw,
            elsa,
            CREATE_ORDER,
            orderType="fel",
            description="Kommer inget vatten",
            customerOrganisationId="fb-housing",
            assigneeOrganisationId="testfirma",
            orderDate="2019-08-19",
            object={"number": "64010765"},
            avser={"space": "Kök", "unit": "Diskbänk"},
        )
        order = created["order"]
        refused = await mutate(
            gw,
            elsa,
            COMMENT,
            id=order["id"],
            version=order["version"],
            text=f"Hyresgästen Test Testsson, personnummer {PERSONNUMMER}, vill ha tid på fredag",
        )
        refused_for_sensitive_data(refused, "text")
        read = await query(gw, elsa, READ_ORDER, id=order["id"])
        assert read["order"] == order  # the same version, the same log

        commented = await mutate(
            gw,
            elsa,
            COMMENT,
            id=order["id"],
            version=order["version"],
            text="Gäller AO 2375 i bunt 64010765-20190819, ring 070-123 45 67 eller 0701234567",
        )
    assert commented["userErrors"] == []
    assert commented["order"]["activity"][-1]["text"].startswith("Gäller AO 2375")
    assert_no_log_line_holds_a_number(logs)


async def test_a_henkilotunnus_in_a_ticket_description_is_refused(
    people, tickets, issuer, start_gateway, logs
):
    user = issuer.token(
        user="anna",
        tenant="visma-inschool",
        memberships=[{"organisation": "skola-1", "roles": ["user"]}],
        locale="sv",
    )
    ticket = {"subject": "Schemat syns inte", "organisationId": "skola-1", "service": "wilma"}
    async with start_gateway(people_url=people, tickets_url=tickets, jwks_url=issuer.url) as gw:
        with_id = f"Eleven med henkilötunnus {HENKILOTUNNUS} ser inte sitt schema."
        refused = await mutate(gw, user, CREATE_TICKET, description=with_id, **ticket)
        refused_for_sensitive_data(refused, "description")
        assert await query(gw, user, "{ tickets { totalCount } }") == {"tickets": {"totalCount": 0}}
        text = "Gäller order 250626-105451-01; ring 040 123 4567 eller +358 40 1234567."
        opened = await mutate(gw, user, CREATE_TICKET, description=text, **ticket)
    assert opened["userErrors"] == []
    assert opened["ticket"]["number"] == "1"  # the refused ticket took no number
    assert_no_log_line_holds_a_number(logs)
