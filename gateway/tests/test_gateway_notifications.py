"""Notifications by e-mail, through the gateway over the real people, orders, tickets and billing
subgraphs, with a real local SMTP server (aiosmtpd) receiving the mails:

- JM (000_): "Når JM sender en bestilling til deg, sendes en e-post til oppgitt e-postadresse":
  the contractor's members get a Norwegian mail (HTML with a plain part, JM as the sender name,
  a link under the portal address); the JM contact gets one when the contractor comments in
  'Dialog med JM', and the contractor is not told of their own comment; a member who turned
  the kind off in their profile gets none for the next order.
- Avonova (002_): "din kundeansvarlige hos oss blir automatisk informert når ny bestilling
  sendes inn": the account manager staff set for the customer gets a mail for its new order;
  an employee put on a booking, and taken off it, gets a mail naming its time and place.
- JM: when staff change an order's operator contact, the contractor's next comment reaches the
  new contact, not the old one.
- Visma InSchool (003_): "Svaret på ditt supportärende skickas också till den e-postadress som
  är ditt användarnamn": support's public answer reaches the creator in Swedish, quoted (read
  through the gateway as the creator, HTML-escaped, bounded), with the link to the ticket; an
  internal note reaches nobody and its text no mail; the creator is not told of their own post; a
  status change reaches the creator.
- Visma Enterprise (004_): followers "bliver informeret om sagen": a follower gets a Danish mail
  for a new public post and none for an internal note; a follower's own post reaches the creator
  and not them; a status change reaches the creator and the followers.
- Avonova (002_, 'Fakturaer'): an invoice issued, and one that falls overdue, reach the payer's
  members with the billing role in Norwegian, and no other member; a department's invoice
  reaches the billing members of the customer above it.
- An SMTP outage during a burst of 200 events: staff see the mails waiting with the reason,
  `inviteUser` answers `emailSent: false` meanwhile; once the server is back every mail
  arrives exactly once, redelivered events included.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from portal_billing.app import create_app as create_billing_app
from portal_billing.settings import BillingSettings
from portal_gateway.testing.serving import serving
from portal_kit.events import CloudEvent, utc_now
from portal_kit.logging import JsonFormatter
from portal_kit.testing.harness import RunningService
from portal_kit.testing.mailbox import Mailbox, SmtpServer, html_text, plain_text
from portal_kit.testing.nats_server import free_port
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_people.app import create_app as create_people_app
from portal_people.settings import PeopleSettings
from portal_people.testing import SeededTenant, add_user, seed_tenant
from portal_tickets.app import create_app as create_tickets_app
from portal_tickets.settings import TicketsSettings

PASSWORD = "a long secret phrase"
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  accessToken userErrors { field code } } }"""
ORDER = "order { id number version } userErrors { field code message }"
CREATE_ORDER = (
    f"""mutation($input: CreateOrderInput!) {{ createOrder(input: $input) {{ {ORDER} }} }}"""
)
COMMENT = f"""mutation($input: AddOrderCommentInput!) {{
  addOrderComment(input: $input) {{ {ORDER} }} }}"""
PREFERENCE = """mutation($input: SetMyNotificationPreferenceInput!) {
  setMyNotificationPreference(input: $input) {
    preference { kind enabled mode } userErrors { field code message } } }"""
PREFERENCES = "{ myNotificationPreferences { kind enabled mode digestAllowed } }"
ACCOUNT_MANAGER = """mutation($input: SetAccountManagerInput!) { setAccountManager(input: $input) {
  settings { accountManagers { organisationId userId } } userErrors { field code message } } }"""
FAILED = """query($first: Int) { failedNotifications(first: $first) {
  totalCount edges { node { kind status attempts reason recipient } } } }"""
INVITE = """mutation($input: InviteUserInput!) { inviteUser(input: $input) {
  invitation { emailSent } userErrors { field code message } } }"""
TICKET = "ticket { id number version status } userErrors { field code message }"
CREATE_TICKET = f"""mutation($input: CreateTicketInput!) {{
  createTicket(input: $input) {{ {TICKET} }} }}"""
POST = f"""mutation($input: AddTicketPostInput!) {{
  addTicketPost(input: $input) {{ {TICKET} }} }}"""
FOLLOW = f"""mutation($input: TicketFollowerInput!) {{
  addTicketFollower(input: $input) {{ {TICKET} }} }}"""
STATUS = f"""mutation($input: ChangeTicketStatusInput!) {{
  changeTicketStatus(input: $input) {{ {TICKET} }} }}"""
SET_ACCESS = """mutation($input: SetProductAccessInput!) { setProductAccess(input: $input) {
  productAccess { products } userErrors { field code } } }"""
INVOICE = "invoice { id number version } userErrors { field code message }"
CREATE_INVOICE = f"""mutation($input: CreateInvoiceInput!) {{
  createInvoice(input: $input) {{ {INVOICE} }} }}"""
ISSUE = f"""mutation($input: IssueInvoiceInput!) {{
  issueInvoice(input: $input) {{ {INVOICE} }} }}"""


@dataclass
class Platform:
    people: RunningService
    gateway: httpx.AsyncClient
    smtp: SmtpServer
    prefix: str

    @property
    def mailbox(self) -> Mailbox:
        return self.smtp.mailbox

    async def call(
        self, token: str | None, query: str, tenant: str = "jm", **variables: Any
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {"X-Portal-Tenant": tenant}
        response = await self.gateway.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, token: str | None, query: str, **input: Any) -> dict[str, Any]:
        payload: dict[str, Any] = next(iter((await self.call(token, query, input=input)).values()))
        return payload

    async def done(self, token: str, query: str, **input: Any) -> dict[str, Any]:
        payload = await self.mutate(token, query, **input)
        assert payload["userErrors"] == [], payload
        ticket: dict[str, Any] = payload["ticket"]
        return ticket

    async def log_in(self, tenant: str, login: str) -> str:
        data = await self.call(
            None, LOG_IN, tenant=tenant, input={"login": login, "password": PASSWORD}
        )
        assert data["logIn"]["userErrors"] == [], data
        token: str = data["logIn"]["accessToken"]
        return token


@pytest.fixture
async def platform(settings_for: Any, signer: Any, start_gateway: Any) -> AsyncIterator[Platform]:
    smtp = SmtpServer(free_port())
    smtp.start()
    gateway_port = free_port()  # people reads quoted ticket posts through the gateway
    settings = settings_for(
        PeopleSettings,
        gateway_url=f"http://127.0.0.1:{gateway_port}/graphql",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        public_url="https://portal.example",
        mail_poll_seconds=0.1,
        mail_retry_seconds=0.2,
        mail_max_retry_seconds=1.0,
    )
    people_app = create_people_app(settings)
    billing = settings_for(BillingSettings, overdue_check_seconds=0.2)
    try:
        async with (
            serving(people_app) as people_url,
            httpx.AsyncClient(base_url=people_url, timeout=30) as client,
            serving(create_orders_app(settings_for(OrdersSettings))) as orders_url,
            serving(create_tickets_app(settings_for(TicketsSettings))) as tickets_url,
            serving(create_billing_app(billing)) as billing_url,
            start_gateway(
                port=gateway_port,
                people_url=f"{people_url}/graphql",
                orders_url=f"{orders_url}/graphql",
                tickets_url=f"{tickets_url}/graphql",
                billing_url=f"{billing_url}/graphql",
                jwks_url=f"{people_url}/.well-known/jwks.json",
            ) as gateway,
        ):
            yield Platform(
                RunningService(people_app, client, signer), gateway, smtp, settings.event_prefix
            )
    finally:
        smtp.stop()


async def created_order(platform: Platform, token: str, **order: Any) -> dict[str, Any]:
    """Created once orders knows the organisations from people's events."""
    for _ in range(100):
        payload = await platform.mutate(token, CREATE_ORDER, **order)
        if not payload["userErrors"]:
            created: dict[str, Any] = payload["order"]
            return created
        assert {e["code"] for e in payload["userErrors"]} == {"NOT_FOUND"}, payload
        await asyncio.sleep(0.1)
    raise AssertionError("orders never learnt the organisations from people's events")


async def jm_with_people(platform: Platform) -> tuple[SeededTenant, dict[str, str]]:
    jm = await seed_tenant(platform.people, "jm")
    ids = {}
    for username, organisation, roles in (
        ("pm-testare", jm.operator, ("admin",)),
        ("emma-1", jm.contractor, ("user",)),
        ("emma-2", jm.contractor, ("user",)),
    ):
        created = await add_user(
            platform.people,
            jm,
            username,
            organisation=organisation,
            roles=roles,
            password=PASSWORD,
            locale="nb",
        )
        ids[username] = created["id"]
    return jm, ids


async def test_jm_contractor_members_and_the_contact_get_norwegian_mails(platform):
    jm, ids = await jm_with_people(platform)
    pm = await platform.log_in("jm", "pm-testare")
    emma_1 = await platform.log_in("jm", "emma-1")
    emma_2 = await platform.log_in("jm", "emma-2")
    mailbox = platform.mailbox

    order = await created_order(
        platform,
        pm,
        orderType="billable",
        description="Lekkasje under vask",
        customerOrganisationId=jm.customer,
        assigneeOrganisationId=jm.contractor,
        operatorContact={"userId": ids["pm-testare"]},
    )
    first = await mailbox.wait_for("emma-1@example.com")
    await mailbox.wait_for("emma-2@example.com")
    assert first["Subject"] == f"JM: bestilling {order['number']} er sendt til deg"
    assert first["Content-Language"] == "nb"
    assert first["From"].addresses[0].display_name == "JM"
    text = plain_text(first)
    assert text.startswith("Hei,")
    assert f"https://portal.example/jm/orders/{order['id']}" in text
    assert "Lekkasje" not in text  # no free text: only what the event says
    html = html_text(first)
    assert html is not None and f'href="https://portal.example/jm/orders/{order["id"]}"' in html
    assert mailbox.to("pm-testare@example.com") == []  # the sender is not told

    # 'Dialog med JM': the contractor comments, the JM contact gets a mail; Emma does not.
    commented = await platform.mutate(
        emma_1, COMMENT, id=order["id"], version=order["version"], text="Vi kommer i morgen"
    )
    assert commented["userErrors"] == []
    contact = await mailbox.wait_for("pm-testare@example.com")
    assert contact["Subject"] == f"JM: ny kommentar på bestilling {order['number']}"
    assert "Vi kommer i morgen" not in plain_text(contact)

    # Emma 2 turns 'order sent to you' off in her profile: the next order reaches Emma 1 only.
    preferences = (await platform.call(emma_2, PREFERENCES))["myNotificationPreferences"]
    assert {"kind": "order_sent", "enabled": True, "mode": "IMMEDIATE", "digestAllowed": False} in (
        preferences
    )
    turned = await platform.mutate(emma_2, PREFERENCE, kind="order_sent", enabled=False)
    assert turned == {
        "preference": {"kind": "order_sent", "enabled": False, "mode": "IMMEDIATE"},
        "userErrors": [],
    }
    digest = await platform.mutate(
        emma_2, PREFERENCE, kind="order_sent", enabled=True, mode="DIGEST"
    )
    assert [e["code"] for e in digest["userErrors"]] == ["NOT_ALLOWED"]
    unknown = await platform.mutate(emma_2, PREFERENCE, kind="no_such", enabled=False)
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [("kind", "UNKNOWN_CODE")]
    second = await created_order(
        platform,
        pm,
        orderType="billable",
        description="Ny jobb",
        customerOrganisationId=jm.customer,
        assigneeOrganisationId=jm.contractor,
    )
    await mailbox.wait_for("emma-1@example.com", 2)
    await asyncio.sleep(0.5)  # a mail to Emma 2 would have come in the same round
    assert [m["Subject"] for m in mailbox.to("emma-2@example.com")] == [first["Subject"]]
    assert second["number"] in mailbox.to("emma-1@example.com")[1]["Subject"]


async def test_avonova_account_manager_is_told_of_a_customers_new_order(platform):
    avonova = await seed_tenant(platform.people, "avonova")
    manager = await add_user(
        platform.people,
        avonova,
        "kundeansvarlig",
        organisation=avonova.operator,
        roles=("admin",),
        password=PASSWORD,
        locale="nb",
    )
    await add_user(
        platform.people,
        avonova,
        "testweb",
        organisation=avonova.customer,
        roles=("admin",),
        password=PASSWORD,
        locale="nb",
    )
    staff = await platform.log_in("avonova", "kundeansvarlig")
    customer = await platform.log_in("avonova", "testweb")
    refused = await platform.mutate(
        customer, ACCOUNT_MANAGER, organisationId=avonova.customer, userId=manager["id"]
    )
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    set_manager = await platform.mutate(
        staff, ACCOUNT_MANAGER, organisationId=avonova.customer, userId=manager["id"]
    )
    assert set_manager["settings"]["accountManagers"] == [
        {"organisationId": avonova.customer, "userId": manager["id"]}
    ]

    order = await created_order(
        platform,
        customer,
        orderType="general",
        description="Helsekontroll for fem ansatte",
        customerOrganisationId=avonova.customer,
    )
    mail = await platform.mailbox.wait_for("kundeansvarlig@example.com")
    assert mail["Subject"] == f"AVONOVA: ny bestilling {order['number']} fra en kunde"
    assert "Helsekontroll" not in plain_text(mail)
    assert platform.mailbox.to("testweb@example.com") == []


def assigned(platform: Platform, jm: SeededTenant, index: int) -> CloudEvent:
    return CloudEvent(
        id=f"burst-{index}",
        source="/portal/orders",
        type="portal.orders.order.assigned",
        subject=f"order-{index}",
        time=utc_now(),
        data={
            "order_id": f"order-{index}",
            "number": str(500000 + index),
            "assignee_organisation_id": jm.contractor,
            "previous_assignee_organisation_id": None,
        },
        tenant="jm",
    )


async def test_an_smtp_outage_during_a_burst_of_200_events_delays_every_mail_and_loses_none(
    platform, nats_client, caplog
):
    caplog.set_level(logging.INFO)
    jm = await seed_tenant(platform.people, "jm")
    await add_user(
        platform.people,
        jm,
        "pm-testare",
        organisation=jm.operator,
        roles=("admin",),
        password=PASSWORD,
    )
    await add_user(platform.people, jm, "emma-1", organisation=jm.contractor, password=PASSWORD)
    pm = await platform.log_in("jm", "pm-testare")
    platform.smtp.stop()  # the mail server goes down

    js = nats_client.jetstream()
    subject = f"{platform.prefix}.jm.orders.order.assigned"
    for index in range(200):
        event = assigned(platform, jm, index)
        await js.publish(
            subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
        )
    # Redelivered: the same events again, past the stream's deduplication.
    for index in range(0, 200, 10):
        await js.publish(subject, assigned(platform, jm, index).model_dump_json().encode())
    invited = await platform.mutate(
        pm,
        INVITE,
        email="ny@example.com",
        name="Ny Person",
        organisationId=jm.contractor,
        roles=["user"],
    )
    assert invited == {"invitation": {"emailSent": False}, "userErrors": []}

    # Staff see every mail waiting, with the reason and no address.
    for _ in range(200):
        failed = (await platform.call(pm, FAILED, first=5))["failedNotifications"]
        if failed["totalCount"] == 201:
            break
        await asyncio.sleep(0.1)
    assert failed["totalCount"] == 201
    node = failed["edges"][0]["node"]
    assert node["status"] == "QUEUED" and node["attempts"] >= 1
    assert node["reason"] and "@" not in node["reason"]

    platform.smtp.start()  # back
    await platform.mailbox.wait_for_count(201, seconds=60)
    await asyncio.sleep(1.5)  # anything sent twice would come now
    received = platform.mailbox.messages
    assert len(received) == 201
    subjects = Counter(m["Subject"] for m in received)
    assert all(count == 1 for count in subjects.values())
    assert len({m["Message-ID"] for m in received}) == 201
    assert {f"JM: bestilling {500000 + i} er sendt til deg" for i in range(200)} <= set(subjects)
    assert platform.mailbox.to("ny@example.com")[0]["Subject"] == "Invitasjon til JM"
    assert (await platform.call(pm, FAILED))["failedNotifications"]["totalCount"] == 0
    # The outage was logged by the platform, without an address or a subject (the test SMTP
    # server's own log, which names recipients, is not ours).
    formatter = JsonFormatter("test")
    ours = [r for r in caplog.records if r.name.startswith("portal_")]
    lines = [formatter.format(record) for record in ours]
    assert any("will retry" in line for line in lines)
    assert not [line for line in lines if "@example.com" in line or "bestilling" in line]


async def quiet(mailbox: Mailbox, count: int) -> None:
    """Nothing more arrives: a mail wrongly made would have come within these rounds."""
    await asyncio.sleep(0.8)
    assert len(mailbox.messages) == count, [(m["To"], m["Subject"]) for m in mailbox.messages]


async def test_inschool_creator_gets_supports_answer_in_swedish_and_no_internal_note(platform):
    tenant = await seed_tenant(
        platform.people,
        "visma-inschool",
        country="FI",
        locales=["sv", "fi", "en"],
        default_locale="sv",
    )
    await add_user(
        platform.people,
        tenant,
        "maria.westerback@visma.example",
        email="maria.westerback@visma.example",
        organisation=tenant.operator,
        roles=("admin",),
        password=PASSWORD,
    )
    await add_user(
        platform.people,
        tenant,
        "rektor@skola.example",
        email="rektor@skola.example",
        organisation=tenant.customer,
        locale="sv",
        password=PASSWORD,
    )
    rektor = await platform.log_in("visma-inschool", "rektor@skola.example")
    support = await platform.log_in("visma-inschool", "maria.westerback@visma.example")
    mailbox = platform.mailbox

    ticket = await platform.done(
        rektor,
        CREATE_TICKET,
        service="wilma",
        subject="Schemat syns inte i appen",
        description="Eleverna ser inte veckans schema i Wilma-appen.",
    )
    answered = await platform.done(
        support,
        POST,
        id=ticket["id"],
        version=ticket["version"],
        text="Hej! Uppdatera appen till <version 4.3> & starta om.\n\nMvh Maria",
    )
    mail = await mailbox.wait_for("rektor@skola.example")
    assert mail["Subject"] == f"VISMA-INSCHOOL: nytt svar i ärende {ticket['number']}"
    assert mail["Content-Language"] == "sv"
    text = plain_text(mail)
    assert f"Det finns ett nytt svar i ärende {ticket['number']}." in text
    link = f"https://portal.example/visma-inschool/tickets/{ticket['id']}"
    assert link in text
    html = html_text(mail)
    assert html is not None and f'href="{link}"' in html
    # Support's answer, quoted as the creator reads it in the portal; the HTML part escapes it.
    quoted = "> Hej! Uppdatera appen till <version 4.3> & starta om.\n>\n> Mvh Maria"
    assert quoted in text.replace("\r\n", "\n")
    assert "Uppdatera appen till &lt;version 4.3&gt; &amp; starta om." in html
    assert "<version 4.3>" not in html
    assert "Schemat" not in text  # the ticket's own text is not repeated

    # An internal note and the creator's own post tell nobody.
    noted = await platform.done(
        support,
        POST,
        id=answered["id"],
        version=answered["version"],
        text="Känt fel i version 4.2",
        internal=True,
    )
    own = await platform.done(
        rektor, POST, id=noted["id"], version=noted["version"], text="Tack, det fungerar."
    )
    await quiet(mailbox, 1)
    assert mailbox.to("maria.westerback@visma.example") == []

    # Support moves the ticket on: the creator hears of the new status.
    await platform.done(
        support, STATUS, id=own["id"], version=own["version"], status="waiting_for_customer"
    )
    changed = await mailbox.wait_for("rektor@skola.example", 2)
    assert changed["Subject"] == f"VISMA-INSCHOOL: ärende {ticket['number']} har fått ny status"
    await quiet(mailbox, 2)
    for sent in mailbox.messages:  # the internal note is in no mail
        assert "Känt fel" not in plain_text(sent) and "Känt fel" not in (html_text(sent) or "")


async def follow_once_known(
    platform: Platform, token: str, ticket: dict[str, Any], user: str
) -> dict[str, Any]:
    for _ in range(100):
        payload = await platform.mutate(
            token, FOLLOW, id=ticket["id"], version=ticket["version"], userId=user
        )
        if payload["userErrors"] == []:
            followed: dict[str, Any] = payload["ticket"]
            return followed
        await asyncio.sleep(0.1)
    raise AssertionError(f"tickets never learnt the product access of {user}")


async def created_once_known(platform: Platform, token: str, **input: Any) -> dict[str, Any]:
    for _ in range(100):
        payload = await platform.mutate(token, CREATE_TICKET, **input)
        if payload["userErrors"] == []:
            ticket: dict[str, Any] = payload["ticket"]
            return ticket
        await asyncio.sleep(0.1)
    raise AssertionError(f"the ticket was never created: {payload}")


async def test_visma_enterprise_follower_hears_of_public_posts_in_danish_never_of_notes(
    platform,
):
    tenant = await seed_tenant(platform.people, "visma-enterprise", country="DK")
    await add_user(
        platform.people,
        tenant,
        "support.agent",
        organisation=tenant.operator,
        roles=("admin",),
        password=PASSWORD,
    )
    ids = {}
    for login in ("patrick", "karen"):
        user = await add_user(
            platform.people, tenant, login, organisation=tenant.customer, password=PASSWORD
        )
        ids[login] = user["id"]
    agent = await platform.log_in("visma-enterprise", "support.agent")
    patrick = await platform.log_in("visma-enterprise", "patrick")
    karen = await platform.log_in("visma-enterprise", "karen")
    for kind, holder in (("ORGANISATION", tenant.customer), ("USER", ids["karen"])):
        granted = await platform.mutate(
            agent, SET_ACCESS, holderKind=kind, holderId=holder, products=["visma_lon_abc"]
        )
        assert granted["userErrors"] == [], granted
    mailbox = platform.mailbox

    case = await created_once_known(
        platform,
        patrick,
        service="visma_lon_abc",
        ticketType="fejl",
        urgency="mindre",
        impact="users_10_0",
        topic="konsulentbistand",
        title="Fejl ved oprettelse i visma løn",
        description="Ved oprettelse af ny medarbejder får jeg systemfejl",
    )
    followed = await follow_once_known(platform, patrick, case, ids["karen"])

    # A public post by support: the creator and the follower, in Danish.
    posted = await platform.done(
        agent, POST, id=followed["id"], version=followed["version"], text="Vi kigger på det."
    )
    to_karen = await mailbox.wait_for("karen@example.com")
    await mailbox.wait_for("patrick@example.com")
    assert to_karen["Subject"] == f"VISMA-ENTERPRISE: nyt svar i sag {case['number']}"
    assert to_karen["Content-Language"] == "da"
    text = plain_text(to_karen)
    assert f"Der er et nyt svar i sag {case['number']}." in text
    assert f"https://portal.example/visma-enterprise/tickets/{case['id']}" in text
    # The follower reads the case, so her mail quotes the post; the case's title is not in it.
    assert "> Vi kigger på det." in text and "visma løn" not in text

    # An internal note: nobody. Karen's own post: Patrick, not Karen.
    noted = await platform.done(
        agent, POST, id=posted["id"], version=posted["version"], text="Intern", internal=True
    )
    await quiet(mailbox, 2)
    by_karen = await platform.done(
        karen, POST, id=noted["id"], version=noted["version"], text="Samme fejl her."
    )
    await mailbox.wait_for("patrick@example.com", 2)
    await quiet(mailbox, 3)
    assert len(mailbox.to("karen@example.com")) == 1
    assert mailbox.to("support.agent@example.com") == []

    # A status change by support: the creator and the follower.
    await platform.done(
        agent, STATUS, id=by_karen["id"], version=by_karen["version"], status="under_behandling"
    )
    status = await mailbox.wait_for("karen@example.com", 2)
    await mailbox.wait_for("patrick@example.com", 3)
    assert status["Subject"] == f"VISMA-ENTERPRISE: sag {case['number']} har fået ny status"
    await quiet(mailbox, 5)


async def issued_invoice(
    platform: Platform, staff: str, payer: str, issued_on: str
) -> dict[str, Any]:
    for _ in range(100):
        draft = await platform.mutate(
            staff,
            CREATE_INVOICE,
            payerOrganisationId=payer,
            lines=[{"description": "Helsekontroll", "quantity": "1", "unitPrice": "1500"}],
        )
        if draft["invoice"] is not None:
            break
        assert [e["code"] for e in draft["userErrors"]] == ["NOT_FOUND"], draft
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("billing never learnt the payer from people's events")
    issued = await platform.mutate(
        staff, ISSUE, id=draft["invoice"]["id"], version=1, issueDate=issued_on
    )
    assert issued["userErrors"] == [], issued
    invoice: dict[str, Any] = issued["invoice"]
    return invoice


async def test_avonova_billing_members_hear_of_an_invoice_issued_and_overdue_in_norwegian(
    platform,
):
    avonova = await seed_tenant(platform.people, "avonova")
    await add_user(
        platform.people,
        avonova,
        "kari",
        organisation=avonova.operator,
        roles=("admin",),
        password=PASSWORD,
    )
    for login, roles in (("okonomi", ("user", "billing")), ("testweb", ("admin",))):
        await add_user(
            platform.people,
            avonova,
            login,
            organisation=avonova.customer,
            roles=roles,
            locale="nb",
            password=PASSWORD,
        )
    staff = await platform.log_in("avonova", "kari")
    mailbox = platform.mailbox

    today = datetime.now(UTC).date()
    fresh = await issued_invoice(platform, staff, avonova.customer, today.isoformat())
    mail = await mailbox.wait_for("okonomi@example.com")
    assert mail["Subject"] == f"AVONOVA: faktura {fresh['number']}"
    assert mail["Content-Language"] == "nb"
    assert f"https://portal.example/avonova/invoices/{fresh['id']}" in plain_text(mail)
    assert "Helsekontroll" not in plain_text(mail)

    # An invoice issued long ago falls overdue at the next check: issued, then overdue.
    old = (today - timedelta(days=90)).isoformat()
    late = await issued_invoice(platform, staff, avonova.customer, old)
    overdue = await mailbox.wait_for("okonomi@example.com", 3)
    subjects = sorted(m["Subject"] for m in mailbox.to("okonomi@example.com"))
    assert subjects == sorted(
        [
            f"AVONOVA: faktura {fresh['number']}",
            f"AVONOVA: faktura {late['number']}",
            f"AVONOVA: faktura {late['number']} er forfalt",
        ]
    ), subjects
    assert overdue is not None
    await quiet(mailbox, 3)
    assert mailbox.to("testweb@example.com") == [] and mailbox.to("kari@example.com") == []

    # A department's invoice reaches the billing members of the customer above it (who see it).
    department = await issued_invoice(platform, staff, avonova.department, today.isoformat())
    above = await mailbox.wait_for("okonomi@example.com", 4)
    assert above["Subject"] == f"AVONOVA: faktura {department['number']}"


BOOKING_ORDER = "order { id number version bookings { id } } userErrors { field code message }"
ADD_EMPLOYEE = """mutation($input: AddEmployeeInput!) { addEmployee(input: $input) {
  employee { id } userErrors { field code message } } }"""
ADD_SLOT = f"""mutation($input: AddBookingSlotInput!) {{
  addBookingSlot(input: $input) {{ {BOOKING_ORDER} }} }}"""
BOOK = f"""mutation($input: BookEmployeeInput!) {{
  bookEmployee(input: $input) {{ {BOOKING_ORDER} }} }}"""
UNBOOK = f"""mutation($input: BookEmployeeInput!) {{
  unbookEmployee(input: $input) {{ {BOOKING_ORDER} }} }}"""
EDIT = f"""mutation($input: EditOrderInput!) {{ editOrder(input: $input) {{ {ORDER} }} }}"""


async def booked_once_known(platform: Platform, token: str, **input: Any) -> dict[str, Any]:
    """Booked once orders knows the employee from people's event."""
    for _ in range(100):
        payload = await platform.mutate(token, BOOK, **input)
        if not payload["userErrors"]:
            order: dict[str, Any] = payload["order"]
            return order
        assert [e["code"] for e in payload["userErrors"]] == ["UNKNOWN_EMPLOYEE"], payload
        await asyncio.sleep(0.1)
    raise AssertionError("orders never learnt the employee from people's events")


async def test_avonova_employee_mail_names_the_bookings_time_and_place(platform):
    avonova = await seed_tenant(platform.people, "avonova")
    await add_user(
        platform.people,
        avonova,
        "kari",
        organisation=avonova.operator,
        roles=("admin",),
        password=PASSWORD,
    )
    staff = await platform.log_in("avonova", "kari")
    added = await platform.mutate(
        staff,
        ADD_EMPLOYEE,
        organisationId=avonova.customer,
        firstName="Donald",
        lastName="Duck",
        email="donald.duck@testeren.example",
    )
    assert added["userErrors"] == [], added
    donald = added["employee"]["id"]
    order = await created_order(
        platform,
        staff,
        orderType="health_check",
        description="Helsekontroll",
        customerOrganisationId=avonova.customer,
    )
    slotted = await platform.mutate(
        staff,
        ADD_SLOT,
        id=order["id"],
        version=order["version"],
        startsAt="2099-03-04T08:00:00+00:00",
        endsAt="2099-03-04T08:30:00+00:00",
        place="Avonova Bergen",
        capacity=5,
    )
    assert slotted["userErrors"] == [], slotted
    booking = slotted["order"]["bookings"][0]["id"]
    booked = await booked_once_known(
        platform,
        staff,
        id=order["id"],
        version=slotted["order"]["version"],
        bookingId=booking,
        employeeId=donald,
    )
    mail = await platform.mailbox.wait_for("donald.duck@testeren.example")
    assert mail["Subject"] == f"AVONOVA: du er booket (bestilling {order['number']})"
    # The time in the tenant's time zone (Oslo) as Norwegian reads dates, and the place name;
    # no other person named.
    assert (
        f"Du er booket til en avtale onsdag 4. mars 2099, 09:00–09:30 på Avonova Bergen "
        f"(bestilling {order['number']})." in " ".join(plain_text(mail).split())
    )
    assert "Donald" not in plain_text(mail)

    unbooked = await platform.mutate(
        staff,
        UNBOOK,
        id=order["id"],
        version=booked["version"],
        bookingId=booking,
        employeeId=donald,
    )
    assert unbooked["userErrors"] == [], unbooked
    off = await platform.mailbox.wait_for("donald.duck@testeren.example", 2)
    assert "Du er tatt av avtalen onsdag 4. mars 2099, 09:00–09:30 på Avonova Bergen" in " ".join(
        plain_text(off).split()
    )


async def test_jm_a_changed_operator_contact_gets_the_next_comment(platform):
    jm, ids = await jm_with_people(platform)
    new_contact = (
        await add_user(
            platform.people,
            jm,
            "pm-ny",
            organisation=jm.operator,
            roles=("admin",),
            password=PASSWORD,
            locale="nb",
        )
    )["id"]
    pm = await platform.log_in("jm", "pm-testare")
    emma = await platform.log_in("jm", "emma-1")
    order = await created_order(
        platform,
        pm,
        orderType="billable",
        description="Lekkasje under vask",
        customerOrganisationId=jm.customer,
        assigneeOrganisationId=jm.contractor,
        operatorContact={"userId": ids["pm-testare"]},
    )
    await platform.mailbox.wait_for("emma-1@example.com")
    edited = await platform.mutate(
        pm,
        EDIT,
        id=order["id"],
        version=order["version"],
        changes={"operatorContact": {"userId": new_contact}},
    )
    assert edited["userErrors"] == [], edited
    commented = await platform.mutate(
        emma,
        COMMENT,
        id=order["id"],
        version=edited["order"]["version"],
        text="Vi kommer i morgen",
    )
    assert commented["userErrors"] == []
    mail = await platform.mailbox.wait_for("pm-ny@example.com")
    assert mail["Subject"] == f"JM: ny kommentar på bestilling {order['number']}"
    await asyncio.sleep(0.8)  # a mail to the old contact would have come in the same round
    assert platform.mailbox.to("pm-testare@example.com") == []
