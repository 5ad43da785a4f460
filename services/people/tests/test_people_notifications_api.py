"""Notifications over the people API with its real stores (MongoDB or the stand-in), real NATS and
a real local SMTP server: orders' events published on NATS as the orders service would.

- Bad input: settings that make no sense are refused naming the field and change nothing; only
  staff change them; a recipient nobody knows, a kind without a template, a server refusing a
  mail for good: no crash, the mail is failed with the reason and staff see it.
- A daily digest: a user who chose it gets one mail with the day's notifications.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from portal_kit.clock import utc_now_to_the_millisecond
from portal_kit.events import CloudEvent, utc_now
from portal_kit.testing.mailbox import Mailbox, plain_text
from portal_kit.testing.nats_server import free_port
from portal_kit.testing.plugin import make_principal
from portal_people.settings import PeopleSettings
from portal_people.testing import add_user, seed_tenant

CONFIGURE = """mutation($input: ConfigureNotificationsInput!) {
  configureNotifications(input: $input) {
    settings { portalUrl digestKinds disabledKinds attentionStatuses kinds }
    userErrors { field code message } } }"""
SETTINGS = "{ notificationSettings { portalUrl digestKinds kinds rules } }"
PREFERENCE = """mutation($input: SetMyNotificationPreferenceInput!) {
  setMyNotificationPreference(input: $input) {
    preference { kind enabled mode } userErrors { field code message } } }"""
FAILED = """{ failedNotifications(first: 50) {
  totalCount edges { node { id kind status reason recipient attempts } } } }"""
RETRY = """mutation($input: RetryNotificationInput!) { retryNotification(input: $input) {
  notification { status attempts } userErrors { field code } } }"""


class Refusing(Mailbox):
    """A server that refuses every message for good."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "550 5.7.1 refused for someone@example.com"


@pytest.fixture
def people_settings(people_settings: PeopleSettings) -> PeopleSettings:
    """The conftest's settings with a quick delivery job and digest check."""
    return people_settings.model_copy(
        update={
            "mail_poll_seconds": 0.1,
            "mail_retry_seconds": 0.1,
            "mail_max_retry_seconds": 0.2,
            "mail_digest_check_seconds": 0.1,
        }
    )


async def publish(
    nats_client: Any, prefix: str, name: str, data: dict[str, Any], source: str = "orders.order"
) -> str:
    service, aggregate = source.split(".")
    subject_id = data.get(f"{aggregate}_id")
    event = CloudEvent(
        id=f"evt-{name}-{subject_id}-{utc_now().timestamp()}",
        source=f"/portal/{service}",
        type=f"portal.{source}.{name}",
        subject=str(subject_id),
        time=utc_now(),
        data=data,
        tenant="jm",
    )
    await nats_client.jetstream().publish(
        f"{prefix}.jm.{source}.{name}",
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.id},
    )
    return event.id


async def failed_when(people: Any, staff: Any, count: int) -> dict[str, Any]:
    for _ in range(100):
        found: dict[str, Any] = (await people.graphql(FAILED, principal=staff))[
            "failedNotifications"
        ]
        if found["totalCount"] >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} failed notifications")


def created(order_id: str, contractor: str, **data: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "number": f"N-{order_id}",
        "order_type": "billable",
        "status": "sent",
        "priority": "normal",
        "customer_organisation_id": "housing",
        "assignee_organisation_id": contractor,
        "operator_contact_user_id": None,
        "created_by": "staff-1",
        "order_date": "2026-12-02",
        "expected_contact_date": None,
        "expected_delivery_date": None,
        **data,
    }


async def test_bad_settings_are_refused_naming_the_field_and_change_nothing(people):
    jm = await seed_tenant(people, "jm")
    member = make_principal("jm", user="x", memberships={jm.contractor: ("user",)})

    async def configure(principal: Any, **input: Any) -> dict[str, Any]:
        payload: dict[str, Any] = (
            await people.graphql(CONFIGURE, {"input": input}, principal=principal)
        )["configureNotifications"]
        return payload

    def refusals(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
        return [(e["field"], e["code"]) for e in payload["userErrors"]]

    assert refusals(await configure(member, attentionStatuses=["x"])) == [(None, "FORBIDDEN")]
    assert refusals(await configure(jm.staff, portalUrl="ftp://jm.example")) == [
        ("portalUrl", "INVALID")
    ]
    assert refusals(await configure(jm.staff, disabledKinds=["no_such_kind"])) == [
        ("disabledKinds", "UNKNOWN_CODE")
    ]
    assert refusals(await configure(jm.staff, digestHour=25)) == [("digestHour", "INVALID")]
    assert refusals(await configure(jm.staff, rules=[{"kind": "x"}])) == [("rules", "INVALID")]
    sender = refusals(await configure(jm.staff, senderAddress="not an address"))
    assert [field for field, _code in sender] == ["senderAddress"]
    unchanged = (await people.graphql(SETTINGS, principal=jm.staff))["notificationSettings"]
    assert unchanged["portalUrl"] is None and unchanged["digestKinds"] == []
    assert "order_sent" in unchanged["kinds"] and len(unchanged["rules"]) >= 10
    assert (await people.graphql(SETTINGS, principal=member))["notificationSettings"] is None
    assert (await people.graphql(FAILED, principal=member))["failedNotifications"][
        "totalCount"
    ] == 0


async def test_unknown_recipients_and_kinds_without_template_fail_for_staff_to_see(
    people, mailbox, nats_client, people_settings
):
    jm = await seed_tenant(people, "jm")
    await add_user(people, jm, "emma-1", organisation=jm.contractor)
    own_rule = {
        "kind": "order_cancelled_for_contractor",
        "event": "orders.order.cancelled",
        "recipients": [{"source": "members", "field": "assignee_organisation_id"}],
        "link": "/orders/{order_id}",
    }
    defaults = (await people.graphql(SETTINGS, principal=jm.staff))["notificationSettings"]
    configured = (
        await people.graphql(
            CONFIGURE,
            {"input": {"rules": [*defaults["rules"], own_rule], "portalUrl": "https://jm.example"}},
            principal=jm.staff,
        )
    )["configureNotifications"]
    assert configured["userErrors"] == []
    assert "order_cancelled_for_contractor" in configured["settings"]["kinds"]

    prefix = people_settings.event_prefix
    await publish(
        nats_client,
        prefix,
        "created",
        created("o-1", jm.contractor, operator_contact_user_id="gone"),
    )
    await publish(
        nats_client,
        prefix,
        "comment_added",
        {
            "order_id": "o-1",
            "number": "N-o-1",
            "entry_id": "c",
            "visibility": "contractor",
            "attachment_count": 0,
            "author": (await add_user(people, jm, "emma-2", organisation=jm.contractor))["id"],
        },
    )
    await publish(
        nats_client,
        prefix,
        "cancelled",
        {
            "order_id": "o-1",
            "number": "N-o-1",
            "status": "x",
            "cancelled_at": "2026-12-02T10:00:00Z",
        },
    )
    sent = await mailbox.wait_for("emma-1@example.com")
    assert "https://jm.example/orders/o-1" in plain_text(sent)  # the tenant's portal address
    failed = await failed_when(people, jm.staff, 3)
    reasons = sorted((n["node"]["kind"], n["node"]["reason"]) for n in failed["edges"])
    assert reasons == [
        ("order_cancelled_for_contractor", "no mail template for this kind"),
        ("order_cancelled_for_contractor", "no mail template for this kind"),
        ("order_comment", "no such recipient"),
    ]
    assert all(n["node"]["status"] == "FAILED" for n in failed["edges"])


async def test_a_server_refusing_for_good_fails_the_mail_with_its_reason(
    settings_for, signer, nats_client
):
    from portal_kit.testing.harness import running_service
    from portal_people.app import create_app

    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    settings = settings_for(
        PeopleSettings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_poll_seconds=0.1,
        mail_retry_seconds=0.1,
        mail_max_retry_seconds=0.1,
    )
    try:
        async with running_service(create_app, settings, signer) as people:
            jm = await seed_tenant(people, "jm")
            await add_user(people, jm, "emma-1", organisation=jm.contractor)
            await publish(
                nats_client, settings.event_prefix, "created", created("o-9", jm.contractor)
            )
            for _ in range(100):
                failed = (await people.graphql(FAILED, principal=jm.staff))["failedNotifications"]
                nodes = [e["node"] for e in failed["edges"]]
                if nodes and nodes[0]["status"] == "FAILED":
                    break
                await asyncio.sleep(0.1)
            assert nodes == [
                {
                    "id": nodes[0]["id"],
                    "kind": "order_sent",
                    "status": "FAILED",
                    "reason": "SMTPDataError: (550, '5.7.1 refused for <address>')",
                    "recipient": nodes[0]["recipient"],
                    "attempts": 3,
                }
            ]
            # Staff send it again (say, once the address was fixed): queued as new.
            member = make_principal("jm", user="x", memberships={jm.contractor: ("user",)})
            retry = {"input": {"id": nodes[0]["id"]}}
            refused = (await people.graphql(RETRY, retry, principal=member))["retryNotification"]
            assert refused["userErrors"] == [{"field": None, "code": "FORBIDDEN"}]
            again = (await people.graphql(RETRY, retry, principal=jm.staff))["retryNotification"]
            assert again == {
                "notification": {"status": "QUEUED", "attempts": 0},
                "userErrors": [],
            }
            unknown = {"input": {"id": "no-such-mail"}}
            missing = (await people.graphql(RETRY, unknown, principal=jm.staff))[
                "retryNotification"
            ]
            assert missing["userErrors"] == [{"field": "id", "code": "NOT_FOUND"}]
    finally:
        controller.stop()


async def test_a_daily_digest_gathers_the_days_notifications_into_one_mail(
    people, mailbox, nats_client, people_settings
):
    jm = await seed_tenant(people, "jm")
    emma = await add_user(people, jm, "emma-1", organisation=jm.contractor)
    allowed = (
        await people.graphql(
            CONFIGURE, {"input": {"digestKinds": ["order_sent"]}}, principal=jm.staff
        )
    )["configureNotifications"]
    assert allowed["settings"]["digestKinds"] == ["order_sent"]
    chosen = await people.graphql(
        PREFERENCE,
        {"input": {"kind": "order_sent", "enabled": True, "mode": "DIGEST"}},
        principal=make_principal("jm", user=emma["id"], memberships={jm.contractor: ("user",)}),
    )
    assert chosen["setMyNotificationPreference"]["userErrors"] == []
    for order in ("d-1", "d-2"):
        await publish(
            nats_client, people_settings.event_prefix, "created", created(order, jm.contractor)
        )
    await asyncio.sleep(1.0)
    assert mailbox.to("emma-1@example.com") == []  # waiting for tomorrow morning

    service = people.app.state.services
    service.clock = lambda: utc_now_to_the_millisecond() + timedelta(days=1, hours=1)
    digest = await mailbox.wait_for("emma-1@example.com")
    assert digest["Subject"] == "JM: din daglige oppsummering"
    text = plain_text(digest)
    assert "JM: bestilling N-d-1 er sendt til deg" in text
    assert "JM: bestilling N-d-2 er sendt til deg" in text
    await asyncio.sleep(0.5)
    assert len(mailbox.to("emma-1@example.com")) == 1


async def test_ticket_followers_are_kept_from_the_tickets_events_and_told_of_public_posts(
    people, mailbox, nats_client, people_settings
):
    jm = await seed_tenant(people, "jm")
    creator = await add_user(people, jm, "kunde", organisation=jm.customer)
    follower = await add_user(people, jm, "kollega", organisation=jm.customer)
    gone = await add_user(people, jm, "borte", organisation=jm.customer)
    prefix, ticket = people_settings.event_prefix, {"ticket_id": "t-7", "number": "T-7"}

    async def ticket_event(name: str, **data: Any) -> None:
        await publish(nats_client, prefix, name, {**ticket, **data}, source="tickets.ticket")

    await ticket_event(
        "created",
        ticket_type="unclassified",
        status="new",
        organisation_id=jm.customer,
        created_by=creator["id"],
        private=False,
    )
    for user in (follower, gone):
        await ticket_event("follower_added", follower_id=user["id"], added_by=creator["id"])
    await ticket_event("follower_removed", follower_id=gone["id"], removed_by=gone["id"])
    post = {"entry_id": "p", "author_id": "staff-1", "author_side": "staff", "files": 0}
    await ticket_event("post_added", internal=True, **post)
    await ticket_event("post_added", internal=False, **{**post, "entry_id": "q"})
    told = await mailbox.wait_for("kollega@example.com")
    assert told["Subject"] == "JM: nytt svar i sak T-7"
    await mailbox.wait_for("kunde@example.com")
    await asyncio.sleep(0.5)
    assert len(mailbox.to("kunde@example.com")) == 1  # the internal note told nobody
    assert mailbox.to("borte@example.com") == []
