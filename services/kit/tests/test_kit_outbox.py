"""The outbox relay: events reach the stream in order, exactly once, even across a crash."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from portal_kit.events import CloudEvent
from portal_kit.jetstream import DEDUP_WINDOW_SECONDS, StreamNames, ensure_service_streams
from portal_kit.mongo import Database, connect_database, pending_outbox_index
from portal_kit.outbox import OUTBOX, OutboxRelay
from portal_kit.outbox_claims import CLAIM, LEASE_SECONDS
from portal_kit.testing.plugin import TestNamespace

TIMEOUT = 10.0


class Crash(Exception):
    pass


@pytest.fixture
async def database(mongo_url: str | None, namespace: TestNamespace) -> AsyncIterator[Database]:
    database = connect_database(mongo_url, namespace.database("kit"))
    # As a service's start-up does (runtime.py): on a real MongoDB the relay's hint needs it.
    await database.ensure_indexes([pending_outbox_index("things", OUTBOX)])
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
async def js(nats_client: Any, namespace: TestNamespace) -> JetStreamContext:
    js: JetStreamContext = nats_client.jetstream()
    await ensure_service_streams(js, StreamNames(namespace.event_prefix, "kit"))
    return js


def _names(namespace: TestNamespace) -> StreamNames:
    return StreamNames(namespace.event_prefix, "kit")


def _envelope(tenant: str, thing_id: str, name: str, n: int) -> dict[str, Any]:
    return CloudEvent(
        id=f"{thing_id}-{name}-{n}-{id(object())}",
        source="/portal/kit",
        type=f"portal.kit.thing.{name}",
        subject=thing_id,
        time="2024-05-01T12:00:00+00:00",  # type: ignore[arg-type]
        data={"n": n},
        tenant=tenant,
    ).model_dump(mode="json")


async def _store(database: Database, tenant: str, thing_id: str, events: list[dict[str, Any]]):
    await database.for_tenant("things", tenant).insert_one(
        {"_id": thing_id, "version": 1, "outbox": events}
    )


async def _outbox(database: Database, tenant: str, thing_id: str) -> list[dict[str, Any]]:
    document = await database.for_tenant("things", tenant).find_one({"_id": thing_id})
    assert document is not None
    outbox: list[dict[str, Any]] = document["outbox"]
    return outbox


async def _until_outbox_empty(database: Database, tenant: str, thing_id: str) -> None:
    for _ in range(int(TIMEOUT / 0.02)):
        if not await _outbox(database, tenant, thing_id):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the outbox of {thing_id} was not emptied")


async def _stream_messages(js: JetStreamContext, stream: str) -> list[Any]:
    info = await js.stream_info(stream)
    return [await js.get_msg(stream, seq) for seq in range(1, info.state.messages + 1)]


async def test_the_trace_context_travels_as_a_traceparent_header_too(
    database: Database, js: JetStreamContext, namespace: TestNamespace
) -> None:
    """The headers deploy/asyncapi.json documents: Nats-Msg-Id always, traceparent when traced."""
    traced = _envelope("acme", "t1", "created", 0)
    traced["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    untraced = _envelope("acme", "t2", "created", 0)
    await _store(database, "acme", "t1", [traced])
    await _store(database, "acme", "t2", [untraced])
    relay = OutboxRelay(database, ["things"], js, prefix=namespace.event_prefix)

    assert await relay.drain() == 2

    headers = {
        m.headers["Nats-Msg-Id"]: m.headers
        for m in await _stream_messages(js, _names(namespace).stream)
    }
    assert headers[traced["id"]]["traceparent"] == traced["traceparent"]
    assert "traceparent" not in headers[untraced["id"]]


async def test_drain_publishes_in_order_with_event_id_as_msg_id(
    database: Database, js: JetStreamContext, namespace: TestNamespace
) -> None:
    first = [_envelope("acme", "t1", name, n) for n, name in enumerate(["created", "renamed"])]
    first.append(_envelope("acme", "t1", "closed", 2))
    second = [_envelope("globex", "t2", "created", 0)]
    await _store(database, "acme", "t1", first)
    await _store(database, "globex", "t2", second)
    relay = OutboxRelay(database, ["things"], js, prefix=namespace.event_prefix)

    assert await relay.drain() == 4

    messages = await _stream_messages(js, _names(namespace).stream)
    assert len(messages) == 4
    by_id = {m.headers["Nats-Msg-Id"]: m for m in messages}
    assert set(by_id) == {e["id"] for e in first + second}
    acme = [m for m in messages if m.subject.startswith(f"{namespace.event_prefix}.acme.")]
    assert [m.headers["Nats-Msg-Id"] for m in acme] == [e["id"] for e in first]
    assert [m.subject for m in acme] == [
        f"{namespace.event_prefix}.acme.kit.thing.created",
        f"{namespace.event_prefix}.acme.kit.thing.renamed",
        f"{namespace.event_prefix}.acme.kit.thing.closed",
    ]
    for message in messages:
        body = orjson.loads(message.data)
        assert body["id"] == message.headers["Nats-Msg-Id"]
        assert CloudEvent.model_validate(body).id == body["id"]
    assert await _outbox(database, "acme", "t1") == []
    assert await _outbox(database, "globex", "t2") == []
    assert relay.published == 4
    assert await relay.drain() == 0


async def test_crash_after_publish_keeps_events_and_republish_is_deduplicated(
    database: Database, js: JetStreamContext, namespace: TestNamespace
) -> None:
    events = [_envelope("acme", "t1", "created", 0), _envelope("acme", "t1", "renamed", 1)]
    events.append(_envelope("acme", "t1", "closed", 2))
    await _store(database, "acme", "t1", events)
    published: list[str] = []

    async def crash_after_second(event: CloudEvent) -> None:
        published.append(event.id)
        if len(published) == 2:
            raise Crash("process died before removing the events")

    crashing = OutboxRelay(
        database, ["things"], js, prefix=namespace.event_prefix, after_publish=crash_after_second
    )
    with pytest.raises(Crash):
        await crashing.drain()

    assert [e["id"] for e in await _outbox(database, "acme", "t1")] == [e["id"] for e in events]
    stream = _names(namespace).stream
    assert (await js.stream_info(stream)).state.messages == 2

    restarted = OutboxRelay(database, ["things"], js, prefix=namespace.event_prefix)
    assert await restarted.drain() == 3

    messages = await _stream_messages(js, stream)
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [e["id"] for e in events]
    assert await _outbox(database, "acme", "t1") == []


async def test_crash_on_every_event_then_recovery(
    database: Database, js: JetStreamContext, namespace: TestNamespace
) -> None:
    events = [_envelope("acme", "t1", "created", 0), _envelope("acme", "t1", "renamed", 1)]
    await _store(database, "acme", "t1", events)

    async def crash(_: CloudEvent) -> None:
        raise Crash()

    for _ in range(3):  # crash repeatedly after publishing the first event
        with pytest.raises(Crash):
            await OutboxRelay(
                database, ["things"], js, prefix=namespace.event_prefix, after_publish=crash
            ).drain()
    assert len(await _outbox(database, "acme", "t1")) == 2

    await OutboxRelay(database, ["things"], js, prefix=namespace.event_prefix).drain()

    messages = await _stream_messages(js, _names(namespace).stream)
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [e["id"] for e in events]


async def test_background_relay_wakes_on_commit(
    database: Database, js: JetStreamContext, nats_client: Any, namespace: TestNamespace
) -> None:
    received: asyncio.Queue[Any] = asyncio.Queue()

    async def on_message(message: Any) -> None:
        await received.put(message)

    await nats_client.subscribe(f"{namespace.event_prefix}.>", cb=on_message)
    await nats_client.flush()
    first = _envelope("acme", "t1", "created", 0)
    await _store(database, "acme", "t1", [first])
    relay = OutboxRelay(database, ["things"], js, prefix=namespace.event_prefix, sweep_seconds=60)
    relay.start()
    try:
        # The first pass runs at start.
        message = await asyncio.wait_for(received.get(), TIMEOUT)
        assert message.headers["Nats-Msg-Id"] == first["id"]

        # Then the relay sleeps for the sweep interval (60 s) unless it is woken.
        second = _envelope("acme", "t2", "created", 0)
        await _store(database, "acme", "t2", [second])
        relay.wake()
        message = await asyncio.wait_for(received.get(), TIMEOUT)
        assert message.headers["Nats-Msg-Id"] == second["id"]
        # Subscribers see the event before the relay has its acknowledgement and removes it.
        await _until_outbox_empty(database, "acme", "t2")
    finally:
        await relay.stop()


async def test_relay_survives_a_nats_outage(
    database: Database, own_nats_server: Any, namespace: TestNamespace
) -> None:
    from portal_kit.jetstream import connect_nats

    client = await connect_nats(own_nats_server.url, name="kit-test")
    # A publish during the outage waits for its acknowledgement this long before the relay
    # gives up and retries on the next sweep (5 s by default; shorter keeps the test quick).
    js = client.jetstream(timeout=1.0)
    names = _names(namespace)
    await ensure_service_streams(js, names)
    relay = OutboxRelay(database, ["things"], js, prefix=namespace.event_prefix, sweep_seconds=0.2)
    relay.start()
    try:
        own_nats_server.stop()
        event = _envelope("acme", "t1", "created", 0)
        await _store(database, "acme", "t1", [event])
        relay.wake()
        await asyncio.sleep(0.3)
        assert len(await _outbox(database, "acme", "t1")) == 1  # kept while NATS is away
        own_nats_server.start()

        await _until_outbox_empty(database, "acme", "t1")
        messages = await _stream_messages(js, names.stream)
        assert [m.headers["Nats-Msg-Id"] for m in messages] == [event["id"]]
    finally:
        await relay.stop()
        await client.close()


async def test_many_documents_in_flight_keep_the_order_of_each_aggregate(
    database: Database, js: JetStreamContext, namespace: TestNamespace
) -> None:
    # More documents than one chunk, several events each: published concurrently across
    # documents, one after the other within a document.
    stored: dict[str, list[str]] = {}
    for d in range(1100):
        events = [_envelope("acme", f"t{d}", "changed", n) for n in range(1 + d % 3)]
        stored[f"t{d}"] = [e["id"] for e in events]
        await _store(database, "acme", f"t{d}", events)
    relay = OutboxRelay(database, ["things"], js, prefix=namespace.event_prefix)

    assert await relay.drain() == sum(len(ids) for ids in stored.values())

    seen: dict[str, list[str]] = {}
    for message in await _stream_messages(js, _names(namespace).stream):
        body = orjson.loads(message.data)
        seen.setdefault(body["subject"], []).append(message.headers["Nats-Msg-Id"])
    assert seen == stored
    left = await database.system_collection("things").count_documents(
        {"outbox.0": {"$exists": True}}
    )
    assert left == 0


class _FlakyJetStream:
    """The real JetStream context, except that chosen events fail once, as in an outage."""

    def __init__(self, js: JetStreamContext, failing: set[str]) -> None:
        self._js = js
        self._failing = failing

    async def publish_async(self, subject: str, payload: bytes, **options: Any) -> Any:
        event_id = options["headers"]["Nats-Msg-Id"]
        if event_id in self._failing:
            self._failing.discard(event_id)
            raise NatsTimeout()
        return await self._js.publish_async(subject, payload, **options)


async def test_a_failed_publish_stops_its_aggregate_only_and_order_survives_the_retry(
    database: Database, js: JetStreamContext, namespace: TestNamespace
) -> None:
    first = [_envelope("acme", "t1", "changed", n) for n in range(3)]
    second = [_envelope("acme", "t2", "changed", n) for n in range(2)]
    await _store(database, "acme", "t1", first)
    await _store(database, "acme", "t2", second)
    flaky = _FlakyJetStream(js, {first[1]["id"]})
    relay = OutboxRelay(database, ["things"], flaky, prefix=namespace.event_prefix)  # type: ignore[arg-type]

    with pytest.raises(NatsTimeout):
        await relay.drain()
    # t1's first event went out and is removed; its second failed, so its third waited.
    assert [e["id"] for e in await _outbox(database, "acme", "t1")] == [
        first[1]["id"],
        first[2]["id"],
    ]
    assert await _outbox(database, "acme", "t2") == []
    assert relay.failing_since is not None

    assert await relay.drain() == 2
    assert relay.failing_since is None
    messages = await _stream_messages(js, _names(namespace).stream)
    in_t1 = [m.headers["Nats-Msg-Id"] for m in messages if orjson.loads(m.data)["subject"] == "t1"]
    assert in_t1 == [e["id"] for e in first]


async def test_metrics_show_the_backlog_of_an_outage_and_its_publishing_after(
    database: Database, own_nats_server: Any, namespace: TestNamespace
) -> None:
    from portal_kit.jetstream import connect_nats
    from portal_kit.metrics import REGISTRY

    service = f"kit{namespace.token}"

    def sample(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"service": service, **labels})

    client = await connect_nats(own_nats_server.url, name="kit-test")
    js = client.jetstream(timeout=1.0)
    await ensure_service_streams(js, _names(namespace))
    relay = OutboxRelay(
        database, ["things"], js, prefix=namespace.event_prefix, sweep_seconds=0.2, service=service
    )
    assert sample("portal_outbox_pending_events") == 0
    relay.start()
    try:
        own_nats_server.stop()
        # Written 2024-05-01 (the envelopes' time): long waiting by any clock running this test.
        await _store(
            database, "acme", "t1", [_envelope("acme", "t1", "created", n) for n in (0, 1)]
        )
        await _store(database, "acme", "t2", [_envelope("acme", "t2", "created", 0)])
        relay.wake()
        async with asyncio.timeout(TIMEOUT):
            while sample("portal_outbox_pending_events") != 3:  # noqa: ASYNC110 - a gauge
                await asyncio.sleep(0.05)
        age = sample("portal_outbox_oldest_pending_age_seconds")
        assert age is not None and age > 86_400
        failures = sum(  # by the exception type, whichever the outage raised
            s.value
            for metric in REGISTRY.collect()
            if metric.name == "portal_outbox_publish_failures"
            for s in metric.samples
            if s.labels["service"] == service and s.name.endswith("_total")
        )
        assert failures >= 1
        assert sample("portal_outbox_published_events_total") == 0

        own_nats_server.start()
        await _until_outbox_empty(database, "acme", "t1")
        await _until_outbox_empty(database, "acme", "t2")
        async with asyncio.timeout(TIMEOUT):
            while sample("portal_outbox_published_events_total") != 3:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert sample("portal_outbox_pending_events") == 0
        assert sample("portal_outbox_oldest_pending_age_seconds") == 0
        assert sample("portal_outbox_publish_seconds_count") == 3
    finally:
        await relay.stop()
        await client.close()


# -- claims: relays of several replicas over the same documents (portal_kit.outbox_claims) -----


class _Clock:
    """The relays' clock, moved on by the test instead of waiting for a lease to run out."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class _Publishes:
    """An after-publish hook: records what one relay published and, if `stall`, holds that
    relay after its first publish until `resume` is set (forever without one: it died)."""

    def __init__(self, *, stall: bool = False, resume: asyncio.Event | None = None) -> None:
        self.ids: list[str] = []
        self.first_out = asyncio.Event()
        self._stall = stall
        self._resume = resume

    async def __call__(self, event: CloudEvent) -> None:
        self.ids.append(event.id)
        if self._stall and not self.first_out.is_set():
            self.first_out.set()
            if self._resume is None:
                await asyncio.Event().wait()  # until the relay's task is cancelled
            await asyncio.wait_for(self._resume.wait(), TIMEOUT)


def _relay(
    database: Database, js: JetStreamContext, namespace: TestNamespace, **options: Any
) -> OutboxRelay:
    return OutboxRelay(database, ["things"], js, prefix=namespace.event_prefix, **options)


async def _stalled(relay: OutboxRelay, publishes: _Publishes) -> asyncio.Task[int]:
    """The relay draining in the background, once it has published its first event."""
    draining = asyncio.create_task(relay.drain())
    await asyncio.wait_for(publishes.first_out.wait(), TIMEOUT)
    return draining


async def _on_the_stream_once_in_order(
    database: Database, js: JetStreamContext, namespace: TestNamespace, ids: list[str]
) -> None:
    """The stream holds `ids` in that order, and t1 has neither events nor a claim left."""
    messages = await _stream_messages(js, _names(namespace).stream)
    assert [m.headers["Nats-Msg-Id"] for m in messages] == ids
    document = await database.for_tenant("things", "acme").find_one({"_id": "t1"})
    assert document is not None and document["outbox"] == [] and CLAIM not in document


async def test_a_relay_that_dies_holding_a_claim_has_its_document_taken_over_after_the_lease(
    database: Database, js: JetStreamContext, namespace: TestNamespace
) -> None:
    events = [_envelope("acme", "t1", "changed", n) for n in range(3)]
    await _store(database, "acme", "t1", events)
    clock = _Clock()
    # Hung for good after its first publish: to the others, as a replica that died.
    dead, successor_publishes = _Publishes(stall=True), _Publishes()
    dying = _relay(database, js, namespace, after_publish=dead, clock=clock)
    draining = await _stalled(dying, dead)
    successor = _relay(database, js, namespace, after_publish=successor_publishes, clock=clock)
    try:
        # The dead relay's claim holds until its lease runs out: the document is left to it.
        assert await successor.drain() == 0
        assert len(await _outbox(database, "acme", "t1")) == 3
        clock.now += LEASE_SECONDS
        assert await successor.drain() == 3
    finally:
        draining.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await draining

    ids = [e["id"] for e in events]
    assert dead.ids == ids[:1] and successor_publishes.ids == ids
    # The one event published twice (its publisher died before removing it) is on the stream
    # once, in its place: the lease is shorter than the duplicate window.
    await _on_the_stream_once_in_order(database, js, namespace, ids)


async def test_a_stopped_relay_gives_its_claims_back_at_once(
    database: Database, js: JetStreamContext, namespace: TestNamespace
) -> None:
    events = [_envelope("acme", "t1", "changed", n) for n in range(3)]
    await _store(database, "acme", "t1", events)
    stopping, successor_publishes = _Publishes(stall=True), _Publishes()
    relay = _relay(database, js, namespace, after_publish=stopping, sweep_seconds=60)
    relay.start()
    await asyncio.wait_for(stopping.first_out.wait(), TIMEOUT)
    await relay.stop()  # as on SIGTERM, mid-document
    document = await database.for_tenant("things", "acme").find_one({"_id": "t1"})
    assert document is not None and CLAIM not in document

    # No lease to wait for: the next relay publishes the document now (the clock unmoved).
    successor = _relay(database, js, namespace, after_publish=successor_publishes)
    assert await successor.drain() == 3
    ids = [e["id"] for e in events]
    assert stopping.ids == ids[:1] and successor_publishes.ids == ids
    await _on_the_stream_once_in_order(database, js, namespace, ids)


async def test_a_relay_whose_lease_ran_out_while_it_stalled_publishes_nothing_more(
    database: Database, js: JetStreamContext, namespace: TestNamespace
) -> None:
    events = [_envelope("acme", "t1", "changed", n) for n in range(3)]
    await _store(database, "acme", "t1", events)
    clock, resume = _Clock(), asyncio.Event()
    slow, successor_publishes = _Publishes(stall=True, resume=resume), _Publishes()
    draining = await _stalled(
        _relay(database, js, namespace, after_publish=slow, clock=clock), slow
    )
    clock.now += LEASE_SECONDS  # the slow relay stalls past its lease: another takes over
    successor = _relay(database, js, namespace, after_publish=successor_publishes, clock=clock)
    assert await successor.drain() == 3
    resume.set()

    # Back, it finds its claim gone before its next publish and stops there.
    assert await draining == 1
    ids = [e["id"] for e in events]
    assert slow.ids == ids[:1] and successor_publishes.ids == ids
    await _on_the_stream_once_in_order(database, js, namespace, ids)


async def test_a_save_while_the_relay_holds_the_document_is_neither_blocked_nor_lost(
    database: Database, js: JetStreamContext, namespace: TestNamespace
) -> None:
    events = [_envelope("acme", "t1", "changed", n) for n in range(2)]
    await _store(database, "acme", "t1", events)
    resume = asyncio.Event()
    publishes = _Publishes(stall=True, resume=resume)
    draining = await _stalled(_relay(database, js, namespace, after_publish=publishes), publishes)
    things = database.for_tenant("things", "acme")
    assert CLAIM in (await things.find_one({"_id": "t1"}) or {})
    # A save as AggregateRepository.save writes it: on the version, appending to the outbox.
    later = _envelope("acme", "t1", "renamed", 2)
    saved = await things.find_one_and_update(
        {"_id": "t1", "version": 1},
        {
            "$set": {"name": "Renamed"},
            "$inc": {"version": 1},
            "$push": {OUTBOX: {"$each": [later]}},
        },
    )
    assert saved is not None and saved["name"] == "Renamed" and saved["version"] == 2
    resume.set()

    assert await draining == 3  # the claimed two, then the appended one on the next pass
    await _on_the_stream_once_in_order(database, js, namespace, [e["id"] for e in [*events, later]])


@pytest.mark.parametrize("lease_seconds", [DEDUP_WINDOW_SECONDS, 1.5])
async def test_a_lease_must_be_shorter_than_the_duplicate_window_and_outlast_a_publish(
    database: Database, js: JetStreamContext, namespace: TestNamespace, lease_seconds: float
) -> None:
    with pytest.raises(ValueError, match="outbox lease"):
        _relay(database, js, namespace, publish_timeout=1.0, lease_seconds=lease_seconds)
