"""Beyond one machine: the NATS cluster of deploy/kubernetes, and the services as replicas.

Three real nats-servers run the configuration of the manifests' `nats-config` ConfigMap (its
ports, paths and route host names moved to this machine). On that cluster:

- streams created with the subgraphs' settings from the `portal-service-settings` ConfigMap have
  a replica on each of the three servers;
- outbox relays draining the same documents (replicas of a service) divide the backlog by
  claiming each document before publishing it: every event is published by one relay only (the
  relays' publishes are counted, not only what the stream keeps) and in its document's order,
  also while a writer keeps appending; a relay that dies holding claims has its documents taken
  over once its lease runs out (the relays' clock is moved on, not waited for);
- two consumers with the same durable name (two replicas of a consumer) share the events: each
  is handled once, by one of them.

The relays and consumers share one database object (the in-memory stand-in cannot be shared
between clients); against a real MongoDB they behave as two processes would.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import nats
import orjson
import pytest
from nats.js import JetStreamContext
from nats.js.errors import APIError
from nats_cluster import BASE, SERVERS, Cluster, configmap
from portal_kit import outbox
from portal_kit.consumer import EventConsumer
from portal_kit.events import CloudEvent
from portal_kit.jetstream import StreamNames, ensure_service_streams, headers_for
from portal_kit.mongo import Database, connect_database
from portal_kit.outbox import OutboxRelay
from portal_kit.outbox_claims import LEASE_SECONDS
from portal_kit.runtime import ServiceRuntime
from portal_kit.settings import ServiceSettings
from portal_kit.testing.plugin import TestNamespace

TIMEOUT = 30.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with Cluster(tmp_path_factory.mktemp("nats-cluster")) as cluster:
        yield cluster


@pytest.fixture
async def database(mongo_url: str | None, namespace: TestNamespace) -> AsyncIterator[Database]:
    # One database for all replicas: the stand-in cannot be shared between two clients.
    with contextlib.closing(connect_database(mongo_url, namespace.database("replicas"))) as shared:
        yield shared


@pytest.fixture
def names(namespace: TestNamespace) -> StreamNames:
    return StreamNames(namespace.event_prefix, "kit")


@pytest.fixture
async def connections(cluster: Cluster) -> AsyncIterator[list[Any]]:
    """One client per server, as replicas on different nodes would have."""
    clients = [await nats.connect(cluster.url(index)) for index in range(SERVERS)]
    try:
        yield clients
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await client.drain()


@pytest.fixture
async def streams(
    connections: list[Any],
    names: StreamNames,
    namespace: TestNamespace,
    mongo_url: str | None,
    principal_keys: tuple[bytes, bytes],
) -> JetStreamContext:
    """The service's streams, created as start-up creates them from the manifests' settings."""
    data = configmap(BASE / "settings.yaml", "portal-service-settings")
    values: dict[str, Any] = {k.removeprefix("PORTAL_").lower(): v for k, v in data.items()}
    # Stream limits as the manifests give them; the database and names of this test.
    values.update(
        service_name="kit",
        mongo_url=mongo_url,
        mongo_stand_in=mongo_url is None,
        event_prefix=namespace.event_prefix,
        principal_public_key=principal_keys[1].decode(),
    )
    settings = ServiceSettings(**values)
    limits = ServiceRuntime(settings, outbox_collections=()).stream_limits
    js: JetStreamContext = connections[0].jetstream()
    # The servers elect a JetStream leader and learn their peers within seconds of starting.
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            await ensure_service_streams(js, names, limits)
            return js
        except (APIError, TimeoutError, nats.errors.TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def envelope(tenant: str, thing: str, n: int) -> dict[str, Any]:
    return CloudEvent(
        id=f"{thing}-{n}-{uuid.uuid4().hex[:8]}",
        source="/portal/kit",
        type="portal.kit.thing.changed",
        subject=thing,
        time="2026-05-01T12:00:00+00:00",  # type: ignore[arg-type]
        data={"n": n},
        tenant=tenant,
    ).model_dump(mode="json")


async def stored_events(js: JetStreamContext, stream: str) -> list[dict[str, Any]]:
    info = await js.stream_info(stream)
    return [
        orjson.loads((await js.get_msg(stream, seq)).data)
        for seq in range(info.state.first_seq, info.state.last_seq + 1)
    ]


def in_document_order(events: list[dict[str, Any]]) -> dict[str, list[int]]:
    order: dict[str, list[int]] = collections.defaultdict(list)
    for event in events:
        order[event["subject"]].append(event["data"]["n"])
    return dict(order)


async def backlog(things: Any, documents: int, per_document: int) -> None:
    """Documents t0, t1, ... with `per_document` events each waiting in their outbox."""
    for index in range(documents):
        events = [envelope("acme", f"t{index}", n) for n in range(per_document)]
        await things.insert_one({"_id": f"t{index}", "version": 1, "outbox": events})


async def on_the_stream_once_in_order(
    js: JetStreamContext, names: StreamNames, documents: int, per_document: int
) -> None:
    stored = await stored_events(js, names.stream)
    assert len({event["id"] for event in stored}) == len(stored) == documents * per_document
    wanted = list(range(per_document))
    assert in_document_order(stored) == {f"t{index}": wanted for index in range(documents)}


async def until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {TIMEOUT} s: {what}")
        await asyncio.sleep(0.05)


# ------------------------------------------------------------------------------ tests


async def test_streams_have_a_replica_on_each_server(
    streams: JetStreamContext, names: StreamNames
) -> None:
    for stream in (names.stream, names.dead_letter_stream):
        info = await streams.stream_info(stream)
        assert info.config.num_replicas == 3
        assert info.cluster is not None
        peers = {info.cluster.leader, *(peer.name for peer in info.cluster.replicas or [])}
        assert peers == {"nats-0", "nats-1", "nats-2"}


async def test_two_relays_over_one_backlog_divide_it_and_publish_each_event_once_in_order(
    streams: JetStreamContext,
    connections: list[Any],
    database: Database,
    names: StreamNames,
    namespace: TestNamespace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A backlog of several chunks, as an outage leaves behind.
    monkeypatch.setattr(outbox, "BATCH", 4)
    things = database.for_tenant("things", "acme")
    documents, per_document = 12, 3
    await backlog(things, documents, per_document)
    by_a: list[str] = []
    by_b: list[str] = []
    b_published = asyncio.Event()

    async def a_holds_after_its_first(event: CloudEvent) -> None:
        # Relay A holds its first chunk until B has published: B must find documents A does
        # not hold, and must not publish those A does.
        by_a.append(event.id)
        if len(by_a) == 1:
            await asyncio.wait_for(b_published.wait(), TIMEOUT)

    async def b_counts(event: CloudEvent) -> None:
        by_b.append(event.id)
        b_published.set()

    relay_a, relay_b = (
        OutboxRelay(
            database,
            ["things"],
            connections[index].jetstream(),
            prefix=namespace.event_prefix,
            after_publish=hook,
        )
        for index, hook in enumerate((a_holds_after_its_first, b_counts))
    )
    sent = await asyncio.gather(relay_a.drain(), relay_b.drain())

    total = documents * per_document
    assert sum(sent) == total
    publishes = collections.Counter([*by_a, *by_b])
    assert len(publishes) == total and set(publishes.values()) == {1}
    assert by_a and by_b  # the work was divided
    await on_the_stream_once_in_order(streams, names, documents, per_document)
    assert await _outboxes_empty(things)
    assert await things.find_one({"outbox_claim": {"$exists": True}}) is None


async def test_a_relay_that_dies_holding_claims_has_its_documents_taken_over_after_the_lease(
    streams: JetStreamContext,
    connections: list[Any],
    database: Database,
    names: StreamNames,
    namespace: TestNamespace,
) -> None:
    things = database.for_tenant("things", "acme")
    documents, per_document = 6, 3
    await backlog(things, documents, per_document)
    now = [time.time()]  # the relays' clock, moved on instead of waiting for the lease
    by_dead: list[str] = []
    by_successor: list[str] = []
    dead_published = asyncio.Event()

    async def die_after_the_first(event: CloudEvent) -> None:
        # Each document's first publish hangs for good (until the test ends): to the others,
        # the relay died, and it publishes nothing more that could renew its claims.
        by_dead.append(event.id)
        if len(by_dead) == documents:
            dead_published.set()
        await asyncio.Event().wait()

    async def successor_counts(event: CloudEvent) -> None:
        by_successor.append(event.id)

    dying, successor = (
        OutboxRelay(
            database,
            ["things"],
            connections[index].jetstream(),
            prefix=namespace.event_prefix,
            after_publish=hook,
            clock=lambda: now[0],
        )
        for index, hook in enumerate((die_after_the_first, successor_counts))
    )
    draining = asyncio.create_task(dying.drain())
    await asyncio.wait_for(dead_published.wait(), TIMEOUT)
    total = documents * per_document
    try:
        assert await successor.drain() == 0  # the dead relay's claims hold until the lease ends
        now[0] += LEASE_SECONDS
        assert await successor.drain() == total
    finally:
        draining.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await draining

    # Each event once on the stream, in its document's order, though the dead relay had
    # published the first of each (removing nothing) and the successor published them again.
    assert len(by_dead) == documents and set(by_dead) <= set(by_successor)
    assert len(set(by_successor)) == len(by_successor) == total
    await on_the_stream_once_in_order(streams, names, documents, per_document)
    assert await _outboxes_empty(things)


async def test_relays_racing_a_writer_keep_every_documents_order(
    streams: JetStreamContext,
    connections: list[Any],
    database: Database,
    names: StreamNames,
    namespace: TestNamespace,
) -> None:
    things = database.for_tenant("things", "acme")
    documents, per_document = 12, 6
    for index in range(documents):
        await things.insert_one({"_id": f"t{index}", "version": 1, "outbox": []})
    publishes: collections.Counter[str] = collections.Counter()

    async def count(event: CloudEvent) -> None:
        publishes[event.id] += 1

    relays = [
        OutboxRelay(
            database,
            ["things"],
            connections[index].jetstream(),
            prefix=namespace.event_prefix,
            sweep_seconds=0.05,
            after_publish=count,
        )
        for index in range(SERVERS)
    ]
    for relay in relays:
        relay.start()
    try:
        for n in range(per_document):
            for index in range(documents):
                await things.update_one(
                    {"_id": f"t{index}"}, {"$push": {"outbox": envelope("acme", f"t{index}", n)}}
                )
                relays[index % SERVERS].wake()  # the replica that committed wakes its relay

        async def all_stored() -> bool:
            info = await streams.stream_info(names.stream)
            return bool(info.state.messages >= documents * per_document)

        await until(all_stored, "every event on the stream")
        await until(lambda: _outboxes_empty(things), "every outbox emptied")
    finally:
        for relay in relays:
            await relay.stop()

    await on_the_stream_once_in_order(streams, names, documents, per_document)
    # Published by one relay each, not only kept once by the stream's duplicate window.
    assert len(publishes) == documents * per_document and set(publishes.values()) == {1}


async def _outboxes_empty(things: Any) -> bool:
    return await things.find_one({"outbox.0": {"$exists": True}}) is None


async def test_consumers_sharing_a_durable_handle_each_event_once(
    streams: JetStreamContext,
    connections: list[Any],
    database: Database,
    names: StreamNames,
    namespace: TestNamespace,
) -> None:
    total = 60
    handled: collections.Counter[str] = collections.Counter()
    by_replica: collections.Counter[str] = collections.Counter()
    b_handled_one = asyncio.Event()

    async def replica_a(event: CloudEvent) -> None:
        # A holds its first event until B has handled one: B must be given events A does not
        # hold (A's fetch takes at most 20 of the 60).
        await asyncio.wait_for(b_handled_one.wait(), TIMEOUT)
        handled[event.id] += 1
        by_replica["a"] += 1

    async def replica_b(event: CloudEvent) -> None:
        handled[event.id] += 1
        by_replica["b"] += 1
        b_handled_one.set()

    for n in range(total):
        event = envelope("acme", f"t{n % 5}", n)
        subject = f"{namespace.event_prefix}.acme.kit.thing.changed"
        await streams.publish(subject, orjson.dumps(event), headers=headers_for(event["id"]))
    consumers = [
        EventConsumer(
            connections[index + 1].jetstream(),
            database,
            names,
            durable="kit-replicas",
            stream=names.stream,
            filter_subject=names.subjects,
            handler=handler,
        )
        for index, handler in enumerate((replica_a, replica_b))
    ]
    for consumer in consumers:
        await consumer.start()
    try:

        async def all_handled() -> bool:
            return sum(consumer.handled for consumer in consumers) >= total

        await until(all_handled, "every event handled")
    finally:
        for consumer in consumers:
            await consumer.stop()

    assert len(handled) == total and set(handled.values()) == {1}
    assert by_replica["a"] > 0 and by_replica["b"] > 0
    assert sum(consumer.dead_lettered for consumer in consumers) == 0
