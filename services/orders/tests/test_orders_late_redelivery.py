"""A rename of a contractor redelivered late, after a newer rename, against a real nats-server:
the consumer's handler fails once on it (a transient fault), JetStream redelivers it after the
backoff, behind the newer rename, and the order list still sorts by the newest name."""

from __future__ import annotations

import asyncio
from typing import Any

from portal_kit.consumer import EventConsumer
from portal_kit.events import CloudEvent
from portal_kit.jetstream import StreamNames
from portal_orders.adapters.repositories import OrganisationDirectory
from portal_orders.entrypoints.consumers import DURABLE, organisation_handler
from portal_orders.service_layer.organisations import OrganisationRegister

from .test_orders_lists import JM_STAFF, assign, create, paged, publish_organisation


async def test_a_rename_redelivered_after_a_newer_one_leaves_the_list_sorted_by_the_newer(
    service, nats_client, namespace
):
    runtime = service.runtime
    # The service's consumer steps aside for a replica on the same durable whose handler (the
    # service's own) fails once on the second rename's first delivery.
    running = next(c for c in runtime.consumers if c.durable == DURABLE)
    await running.stop()
    people = StreamNames(runtime.settings.event_prefix, "people")
    # Its last pull request (a 1 s fetch) may still stand on the server: a message sent to it
    # would only come again after the ack wait. Wait until the server holds none.
    await _until_no_pull_waits(runtime.js, people.stream)
    handle = organisation_handler(
        lambda tenant: OrganisationRegister(OrganisationDirectory(runtime.database, tenant))
    )
    handled: list[str] = []
    failed: list[str] = []

    async def failing_once(event: CloudEvent) -> None:
        name = str(event.data.get("display_name"))
        if name == "Celsius Rør AS" and not failed:
            failed.append(name)
            raise ConnectionError("the read model's database did not answer")
        await handle(event)
        handled.append(name)

    replica = EventConsumer(
        runtime.js,
        runtime.database,
        runtime.names,
        durable=DURABLE,
        stream=people.stream,
        filter_subject=f"{people.prefix}.*.people.organisation.>",
        handler=failing_once,
        backoff=(1.0,),
    )
    await replica.start()
    try:
        await publish_organisation(nats_client, namespace, "ue-2", "Berg AS")
        await publish_organisation(nats_client, namespace, "ue-1", "Dalen Rør AS")
        for version, name in ((2, "Celsius Rør AS"), (3, "Aker Rør AS")):
            await publish_organisation(
                nats_client, namespace, "ue-1", name, event="updated", version=version
            )
        await _until(lambda: len(handled) == 4)
    finally:
        await replica.stop()

    # The older rename did come last, after the newer one.
    assert failed == ["Celsius Rør AS"]
    assert handled == ["Berg AS", "Dalen Rør AS", "Aker Rør AS", "Celsius Rør AS"]
    orders = {}
    for organisation in ("ue-1", "ue-2"):
        order = await create(service, JM_STAFF["nb"], orderType="billable", description="x")
        orders[organisation] = (await assign(service, order, organisation))["number"]
    # Aker (the newest name) sorts before Berg; the late Celsius would sort after it.
    assert await paged(service, JM_STAFF["nb"], {"column": "ASSIGNEE"}) == [
        orders["ue-1"],
        orders["ue-2"],
    ]


async def _until(done: Any) -> None:
    for _ in range(300):  # 15 s at most: the redelivery comes after a 1 s backoff
        if done():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the organisation events were not all handled")


async def _until_no_pull_waits(js: Any, stream: str) -> None:
    for _ in range(200):  # 10 s at most; a pull request expires after its 1 s fetch
        if not (await js.consumer_info(stream, DURABLE)).num_waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the stopped consumer's pull request did not expire")
