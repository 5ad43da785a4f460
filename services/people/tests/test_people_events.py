"""Directory changes reach partners on JetStream: exactly once in effect, through outages and
relay crashes (docs/architecture.md: the outbox path)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from portal_kit.consumer import EventConsumer
from portal_kit.events import CloudEvent
from portal_kit.outbox import OutboxRelay
from portal_kit.testing.harness import running_service
from portal_people.adapters.repositories import OUTBOX_COLLECTIONS
from portal_people.app import create_app
from portal_people.settings import PeopleSettings
from portal_people.testing import CREATE_ORGANISATION, CREATE_USER, seed_tenant


class Partner:
    """A partner system's durable consumer that records the effect of each event."""

    def __init__(self) -> None:
        self.effects: list[CloudEvent] = []

    async def handle(self, event: CloudEvent) -> None:
        self.effects.append(event)

    def of_type(self, event_type: str) -> list[CloudEvent]:
        return [e for e in self.effects if e.type == event_type]

    async def wait_for(self, event_type: str, count: int = 1, seconds: float = 20.0) -> None:
        async with asyncio.timeout(seconds):
            while len(self.of_type(event_type)) < count:  # noqa: ASYNC110 - polling a test spy
                await asyncio.sleep(0.05)


async def start_partner(service: Any, durable: str = "crm") -> tuple[Partner, EventConsumer]:
    runtime = service.runtime
    partner = Partner()
    consumer = EventConsumer(
        runtime.js,
        runtime.database,
        runtime.names,
        durable=durable,
        stream=runtime.names.stream,
        filter_subject=f"{runtime.settings.event_prefix}.*.people.>",
        handler=partner.handle,
        backoff=(0.1,),
    )
    await consumer.start()
    return partner, consumer


async def create_department(service: Any, tenant: Any, name: str) -> dict[str, Any]:
    data = await service.graphql(
        CREATE_ORGANISATION,
        {"input": {"name": name, "kind": "CUSTOMER", "parentId": tenant.customer}},
        principal=tenant.staff,
    )
    organisation: dict[str, Any] = data["createOrganisation"]["organisation"]
    return organisation


async def test_directory_changes_reach_a_jetstream_consumer(people):
    partner, consumer = await start_partner(people)
    try:
        jm = await seed_tenant(people, "jm")
        await people.graphql(
            CREATE_USER,
            {
                "input": {
                    "username": "ola",
                    "email": "ola@x.example",
                    "name": "Ola Nordmann",
                    "memberships": [{"organisationId": jm.customer, "roles": ["user"]}],
                }
            },
            principal=jm.staff,
        )
        await partner.wait_for("portal.people.organisation.created", 4)
        await partner.wait_for("portal.people.user.created")
    finally:
        await consumer.stop()
    created = partner.of_type("portal.people.organisation.created")
    assert {e.tenant for e in created} == {"jm"}
    assert {e.data["kind"] for e in created} == {"operator", "contractor", "customer"}
    user_event = partner.of_type("portal.people.user.created")[0]
    # Events carry ids and codes, never contact details.
    assert "ola@x.example" not in user_event.model_dump_json()
    assert "Ola Nordmann" not in user_event.model_dump_json()
    assert user_event.data["organisation_ids"] == [jm.customer]
    assert partner.of_type("portal.people.tenant.created")[0].subject == "jm"


async def test_an_event_committed_while_nats_is_down_is_delivered_once_after(
    settings_for, signer, own_nats_server
):
    settings = settings_for(PeopleSettings, nats_url=own_nats_server.url)
    async with running_service(create_app, settings, signer) as people:
        partner, consumer = await start_partner(people)
        try:
            jm = await seed_tenant(people, "jm")
            await partner.wait_for("portal.people.organisation.created", 4)
            own_nats_server.stop()
            department = await create_department(people, jm, "Committed during the outage")
            pending = await people.runtime.database.system_collection("organisations").find_one(
                {"_id": department["id"]}
            )
            assert len(pending["outbox"]) == 1, "the event waits in the outbox"
            own_nats_server.start()
            await partner.wait_for("portal.people.organisation.created", 5, seconds=30)
            await asyncio.sleep(1.5)  # a few more sweeps: nothing may arrive twice
        finally:
            await consumer.stop()
    created = partner.of_type("portal.people.organisation.created")
    assert [e.subject for e in created].count(department["id"]) == 1
    assert len({e.id for e in created}) == len(created) == 5


async def test_a_relay_killed_between_publish_and_removal_causes_no_double_effect(people):
    runtime = people.runtime
    await runtime.relay.stop()  # the service's own relay is "down" while we stage the crash
    partner, consumer = await start_partner(people)
    try:
        await seed_tenant(people, "jm")

        async def crash(event: CloudEvent) -> None:
            raise RuntimeError("killed after publishing, before removing")

        crashing = OutboxRelay(
            runtime.database,
            OUTBOX_COLLECTIONS,
            runtime.js,
            prefix=runtime.settings.event_prefix,
            after_publish=crash,
        )
        with pytest.raises(RuntimeError):
            while True:
                await crashing.drain()
        restarted = OutboxRelay(
            runtime.database, OUTBOX_COLLECTIONS, runtime.js, prefix=runtime.settings.event_prefix
        )
        while await restarted.drain():
            pass
        await partner.wait_for("portal.people.organisation.created", 4)
        await asyncio.sleep(1.0)
    finally:
        await consumer.stop()
    # Every event of the tenant took effect exactly once, although one was published twice.
    ids = [e.id for e in partner.effects]
    assert len(ids) == len(set(ids)) == 5  # tenant.created + 4 organisation.created
    info = await runtime.js.stream_info(runtime.names.stream)
    assert info.state.messages == 5
