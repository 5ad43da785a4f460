"""Notifications by e-mail, through the gateway over the real people and orders subgraphs, with
a real local SMTP server (aiosmtpd) receiving the mails:

- JM (000_): "Når JM sender en bestilling til deg, sendes en e-post til oppgitt e-postadresse":
  the contractor's members get a Norwegian mail (HTML with a plain part, JM as the sender name,
  a link under the portal address); the JM contact gets one when the contractor comments in
  'Dialog med JM', and the contractor is not told of their own comment; a member who turned
  the kind off in their profile gets none for the next order.
- Avonova (002_): "din kundeansvarlige hos oss blir automatisk informert når ny bestilling
  sendes inn": the account manager staff set for the customer gets a mail for its new order.
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
from typing import Any

import httpx
import pytest
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
    settings = settings_for(
        PeopleSettings,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        public_url="https://portal.example",
        mail_poll_seconds=0.1,
        mail_retry_seconds=0.2,
        mail_max_retry_seconds=1.0,
    )
    people_app = create_people_app(settings)
    try:
        async with (
            serving(people_app) as people_url,
            httpx.AsyncClient(base_url=people_url, timeout=30) as client,
            serving(create_orders_app(settings_for(OrdersSettings))) as orders_url,
            start_gateway(
                people_url=f"{people_url}/graphql",
                orders_url=f"{orders_url}/graphql",
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
