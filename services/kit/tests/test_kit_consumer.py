"""Durable consumers: each event takes effect once; bad and failing messages are dead-lettered."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from nats.js import JetStreamContext
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from portal_kit.consumer import EventConsumer, Handler
from portal_kit.events import CloudEvent
from portal_kit.jetstream import StreamNames, ensure_service_streams
from portal_kit.logging import tenant_var, traceparent_var
from portal_kit.metrics import REGISTRY
from portal_kit.mongo import Database, connect_database
from portal_kit.testing.plugin import TestNamespace

TIMEOUT = 10.0
DURABLE = "kit-test"


@pytest.fixture
async def database(mongo_url: str | None, namespace: TestNamespace) -> AsyncIterator[Database]:
    database = connect_database(mongo_url, namespace.database("kit"))
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def names(namespace: TestNamespace) -> StreamNames:
    return StreamNames(namespace.event_prefix, "kit")


@pytest.fixture
async def js(nats_client: Any, names: StreamNames) -> JetStreamContext:
    js: JetStreamContext = nats_client.jetstream()
    await ensure_service_streams(js, names)
    return js


@pytest.fixture
async def dead_letters(nats_client: Any, names: StreamNames) -> AsyncIterator[asyncio.Queue[Any]]:
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def on_message(message: Any) -> None:
        await queue.put(message)

    subscription = await nats_client.subscribe(names.dead_letter_subject(DURABLE), cb=on_message)
    await nats_client.flush()
    yield queue
    await subscription.unsubscribe()


StartConsumer = Callable[..., Awaitable[EventConsumer]]


@pytest.fixture
async def start_consumer(
    js: JetStreamContext, database: Database, names: StreamNames
) -> AsyncIterator[StartConsumer]:
    started: list[EventConsumer] = []

    async def start(handler: Handler, **options: Any) -> EventConsumer:
        consumer = EventConsumer(
            js,
            database,
            names,
            durable=options.pop("durable", DURABLE),
            stream=names.stream,
            filter_subject=f"{names.prefix}.*.kit.>",
            handler=handler,
            **options,
        )
        await consumer.start()
        started.append(consumer)
        return consumer

    yield start
    for consumer in started:
        await consumer.stop()


def _event(tenant: str = "acme", name: str = "created", **data: Any) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source="/portal/kit",
        type=f"portal.kit.thing.{name}",
        subject="t1",
        time="2024-05-01T12:00:00+00:00",  # type: ignore[arg-type]
        data=data,
        tenant=tenant,
    )


async def _publish(
    js: JetStreamContext, prefix: str, event: CloudEvent, msg_id: str | None = None
) -> None:
    await js.publish(
        event.nats_subject(prefix),
        orjson.dumps(event.model_dump(mode="json")),
        headers={"Nats-Msg-Id": msg_id or event.id},
    )


async def _publish_raw(js: JetStreamContext, prefix: str, payload: bytes) -> None:
    await js.publish(f"{prefix}.acme.kit.thing.created", payload)


async def _until(condition: Callable[[], bool]) -> None:
    """Counters move after the handler returns (record, ack): wait for them, don't race them."""
    for _ in range(int(TIMEOUT / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


class Recorder:
    """A handler remembering what it saw; `wait_for` waits until an event id was handled."""

    def __init__(self, fail_times: dict[str, int] | None = None) -> None:
        self.calls: list[str] = []
        self.effects: list[str] = []
        self.tenants: list[str | None] = []
        self.fail_times = fail_times or {}
        self._changed = asyncio.Event()

    async def __call__(self, event: CloudEvent) -> None:
        self.calls.append(event.id)
        self.tenants.append(tenant_var.get())
        self._changed.set()
        if self.fail_times.get(event.id, 0) > 0:
            self.fail_times[event.id] -= 1
            raise RuntimeError(f"handler broke on {event.name}")
        self.effects.append(event.id)

    async def wait_for(self, event_id: str) -> None:
        async def until() -> None:
            while event_id not in self.effects:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), TIMEOUT)


async def test_each_event_is_handled_once_in_order(
    js: JetStreamContext, names: StreamNames, start_consumer: StartConsumer
) -> None:
    recorder = Recorder()
    consumer = await start_consumer(recorder)
    events = [_event(n=n) for n in range(3)] + [_event("globex", n=3)]
    for event in events:
        await _publish(js, names.prefix, event)

    await recorder.wait_for(events[-1].id)

    assert recorder.effects == [e.id for e in events]
    assert recorder.calls == recorder.effects
    assert recorder.tenants == ["acme", "acme", "acme", "globex"]
    await _until(lambda: consumer.handled == 4)
    assert consumer.dead_lettered == 0


async def test_same_event_republished_under_another_msg_id_takes_effect_once(
    js: JetStreamContext, names: StreamNames, start_consumer: StartConsumer
) -> None:
    recorder = Recorder()
    consumer = await start_consumer(recorder)
    twice = _event()
    await _publish(js, names.prefix, twice, msg_id="first-publish")
    await _publish(js, names.prefix, twice, msg_id="second-publish")
    sentinel = _event(name="closed")
    await _publish(js, names.prefix, sentinel)

    await recorder.wait_for(sentinel.id)

    assert (await js.stream_info(names.stream)).state.messages == 3  # the stream kept both
    assert recorder.effects == [twice.id, sentinel.id]
    await _until(lambda: consumer.handled == 2)


async def test_idempotency_survives_a_consumer_restart(
    js: JetStreamContext, names: StreamNames, start_consumer: StartConsumer
) -> None:
    recorder = Recorder()
    first = await start_consumer(recorder)
    event = _event()
    await _publish(js, names.prefix, event)
    await recorder.wait_for(event.id)
    await first.stop()

    await _publish(js, names.prefix, event, msg_id="republished-later")
    fresh = _event(name="closed")
    await _publish(js, names.prefix, fresh)
    await start_consumer(recorder)  # same durable: resumes where it stopped
    await recorder.wait_for(fresh.id)

    assert recorder.effects == [event.id, fresh.id]


async def test_a_stopped_consumer_can_be_started_again(
    js: JetStreamContext, names: StreamNames, start_consumer: StartConsumer
) -> None:
    recorder = Recorder()
    consumer = await start_consumer(recorder)
    await consumer.stop()
    await consumer.start()
    event = _event()
    await _publish(js, names.prefix, event)
    await recorder.wait_for(event.id)
    assert recorder.effects == [event.id]


async def test_stop_lets_the_message_in_hand_settle(
    js: JetStreamContext, names: StreamNames, start_consumer: StartConsumer
) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    effects: list[str] = []

    async def slow_handler(event: CloudEvent) -> None:
        effects.append(event.id)  # the effect happens ...
        started.set()
        await release.wait()  # ... and the handler is still busy when the service stops

    consumer = await start_consumer(slow_handler)
    event = _event()
    await _publish(js, names.prefix, event)
    await asyncio.wait_for(started.wait(), TIMEOUT)

    stopping = asyncio.create_task(consumer.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the handler instead of cutting it off
    release.set()
    await asyncio.wait_for(stopping, TIMEOUT)

    assert consumer.handled == 1
    # Acknowledged (the server applies acks asynchronously): a restart will not repeat it.
    for _ in range(100):
        info = await js.consumer_info(names.stream, DURABLE)
        if info.num_ack_pending == 0:
            break
        await asyncio.sleep(0.02)
    assert info.num_ack_pending == 0
    assert effects == [event.id]


async def test_a_newer_producers_extra_attribute_and_payload_field_are_handled_not_dead_lettered(
    js: JetStreamContext,
    names: StreamNames,
    start_consumer: StartConsumer,
    dead_letters: asyncio.Queue[Any],
) -> None:
    """A newer producer adds a CloudEvents extension attribute and a payload field this consumer
    does not know: the event is handled like any other (the unknown parts ignored)."""
    recorder = Recorder()
    seen: list[CloudEvent] = []

    async def handler(event: CloudEvent) -> None:
        seen.append(event)
        await recorder(event)

    consumer = await start_consumer(handler)
    event = _event(order_id="o1")
    envelope = event.model_dump(mode="json")
    envelope["partitionkey"] = "o1"  # an extension this version has never heard of
    envelope["data"]["added_in_v2"] = {"nested": [1, 2]}
    await js.publish(
        event.nats_subject(names.prefix),
        orjson.dumps(envelope),
        headers={"Nats-Msg-Id": event.id},
    )

    await recorder.wait_for(event.id)

    await _until(lambda: consumer.handled == 1)
    assert consumer.dead_lettered == 0
    assert dead_letters.empty()
    assert (await js.stream_info(names.dead_letter_stream)).state.messages == 0
    assert seen[0].id == event.id
    assert seen[0].data["order_id"] == "o1"
    assert seen[0].data["added_in_v2"] == {"nested": [1, 2]}  # passed on, for who wants it


@pytest.mark.parametrize(
    "payload",
    [
        b"not json at all",
        b"[1, 2, 3]",
        b'{"hello": "world"}',
        b'{"specversion": "1.0", "id": "x", "tenant": "NOT A TENANT"}',
        b"\xff\xfe",
    ],
    ids=["not-json", "json-array", "not-cloudevent", "bad-fields", "binary"],
)
async def test_malformed_message_is_dead_lettered_and_consumer_goes_on(
    js: JetStreamContext,
    names: StreamNames,
    start_consumer: StartConsumer,
    dead_letters: asyncio.Queue[Any],
    payload: bytes,
) -> None:
    recorder = Recorder()
    consumer = await start_consumer(recorder)
    await _publish_raw(js, names.prefix, payload)
    good = _event()
    await _publish(js, names.prefix, good)

    dead = await asyncio.wait_for(dead_letters.get(), TIMEOUT)
    await recorder.wait_for(good.id)

    assert dead.data == payload
    assert "malformed" in dead.headers["Portal-Dead-Letter-Reason"]
    assert dead.headers["Portal-Original-Subject"] == f"{names.prefix}.acme.kit.thing.created"
    assert recorder.calls == [good.id]
    await _until(lambda: consumer.dead_lettered == 1)
    # The dead letter is kept in the service's dead-letter stream for inspection.
    assert (await js.stream_info(names.dead_letter_stream)).state.messages == 1


async def test_handler_failing_every_time_is_tried_max_deliver_times_then_dead_lettered(
    js: JetStreamContext,
    names: StreamNames,
    start_consumer: StartConsumer,
    dead_letters: asyncio.Queue[Any],
) -> None:
    doomed = _event(name="renamed")
    recorder = Recorder(fail_times={doomed.id: 1_000})
    consumer = await start_consumer(recorder, max_deliver=2, backoff=(0.05,))
    await _publish(js, names.prefix, doomed)
    good = _event(name="closed")
    await _publish(js, names.prefix, good)

    dead = await asyncio.wait_for(dead_letters.get(), TIMEOUT)
    await recorder.wait_for(good.id)
    after = _event(name="created")
    await _publish(js, names.prefix, after)
    await recorder.wait_for(after.id)

    assert recorder.calls.count(doomed.id) == 2
    assert doomed.id not in recorder.effects
    reason = dead.headers["Portal-Dead-Letter-Reason"]
    assert "failed 2 times" in reason
    assert "handler broke on renamed" in reason
    assert orjson.loads(dead.data)["id"] == doomed.id
    await _until(lambda: consumer.dead_lettered == 1)
    assert recorder.effects == [good.id, after.id]


async def test_handler_failing_once_then_succeeding_takes_effect_once(
    js: JetStreamContext,
    names: StreamNames,
    start_consumer: StartConsumer,
    dead_letters: asyncio.Queue[Any],
) -> None:
    flaky = _event()
    recorder = Recorder(fail_times={flaky.id: 1})
    consumer = await start_consumer(recorder, max_deliver=3, backoff=(0.05,))
    await _publish(js, names.prefix, flaky)

    await recorder.wait_for(flaky.id)
    sentinel = _event(name="closed")
    await _publish(js, names.prefix, sentinel)
    await recorder.wait_for(sentinel.id)

    assert recorder.calls.count(flaky.id) == 2
    assert recorder.effects == [flaky.id, sentinel.id]
    await _until(lambda: consumer.handled == 2)
    assert consumer.dead_lettered == 0
    assert dead_letters.empty()


def test_max_deliver_must_be_positive(database: Database, names: StreamNames) -> None:
    async def handler(_: CloudEvent) -> None:
        return None

    with pytest.raises(ValueError):
        EventConsumer(
            None,  # type: ignore[arg-type]
            database,
            names,
            durable=DURABLE,
            stream=names.stream,
            filter_subject="x",
            handler=handler,
            max_deliver=0,
        )


def _sample(name: str, durable: str, **labels: str) -> float:
    found = REGISTRY.get_sample_value(name, {"service": "kit", "consumer": durable, **labels})
    return -1.0 if found is None else found


async def test_metrics_count_handled_failed_redelivered_and_dead_lettered_events(
    js: JetStreamContext, names: StreamNames, start_consumer: StartConsumer
) -> None:
    durable = f"metrics-{uuid.uuid4().hex[:8]}"
    doomed, flaky, fine = _event(name="renamed"), _event(name="closed"), _event()
    recorder = Recorder(fail_times={doomed.id: 1_000, flaky.id: 1})
    consumer = await start_consumer(
        recorder, durable=durable, max_deliver=2, backoff=(0.05,), lag_poll_seconds=0.05
    )
    for event in (doomed, flaky, fine):
        await _publish(js, names.prefix, event)
    await _publish_raw(js, names.prefix, b"not json")

    await _until(lambda: consumer.dead_lettered == 2 and consumer.handled == 2)
    await _until(lambda: _sample("portal_consumer_handled_events_total", durable) == 2)
    assert _sample("portal_consumer_failed_events_total", durable) == 3  # doomed twice, flaky once
    assert _sample("portal_consumer_redeliveries_total", durable) == 2  # doomed and flaky again
    dead = "portal_consumer_dead_letters_total"
    assert _sample(dead, durable, reason="handler_failed") == 1
    assert _sample(dead, durable, reason="malformed") == 1
    assert _sample("portal_consumer_duplicate_events_total", durable) == 0
    assert _sample("portal_consumer_handle_seconds_count", durable) == 5
    await _until(lambda: _sample("portal_consumer_lag_messages", durable) == 0)


async def test_lag_is_what_the_stream_holds_beyond_what_was_delivered(
    js: JetStreamContext, names: StreamNames, start_consumer: StartConsumer
) -> None:
    durable = f"lag-{uuid.uuid4().hex[:8]}"
    release = asyncio.Event()

    async def slow(event: CloudEvent) -> None:
        await release.wait()

    events = [_event() for _ in range(30)]
    for event in events:
        await _publish(js, names.prefix, event)
    consumer = await start_consumer(slow, durable=durable, lag_poll_seconds=0.05)
    # One fetch takes 20 messages: the other 10 wait on the stream while the first is held.
    await _until(lambda: _sample("portal_consumer_lag_messages", durable) >= 10)
    release.set()
    await _until(lambda: consumer.handled == 30)
    await _until(lambda: _sample("portal_consumer_lag_messages", durable) == 0)


TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
ENVELOPE_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class TraceSpy:
    """A handler keeping the trace context it runs in (what its events would carry)."""

    def __init__(self) -> None:
        self.seen: dict[str, str | None] = {}

    async def __call__(self, event: CloudEvent) -> None:
        self.seen[event.id] = traceparent_var.get()


async def _publish_traced(
    js: JetStreamContext, prefix: str, header: str | None, envelope: str | None
) -> CloudEvent:
    event = _event().model_copy(update={"traceparent": envelope})
    headers = {"Nats-Msg-Id": event.id, **({"traceparent": header} if header else {})}
    await js.publish(
        event.nats_subject(prefix), orjson.dumps(event.model_dump(mode="json")), headers=headers
    )
    return event


async def test_untraced_the_events_trace_context_passes_through_to_the_handler(
    js: JetStreamContext, names: StreamNames, start_consumer: StartConsumer
) -> None:
    spy = TraceSpy()
    consumer = await start_consumer(spy)
    both = await _publish_traced(js, names.prefix, TRACEPARENT, ENVELOPE_TRACEPARENT)
    envelope_only = await _publish_traced(js, names.prefix, None, ENVELOPE_TRACEPARENT)
    broken = await _publish_traced(js, names.prefix, "garbage", None)
    await _until(lambda: consumer.handled == 3)

    assert spy.seen[both.id] == TRACEPARENT  # the NATS header first
    assert spy.seen[envelope_only.id] == ENVELOPE_TRACEPARENT
    assert spy.seen[broken.id] is None  # a malformed header is no trace context
    assert traceparent_var.get() is None


async def test_traced_each_event_is_handled_in_a_consumer_span_under_the_events_trace(
    js: JetStreamContext, names: StreamNames, start_consumer: StartConsumer
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    spy = TraceSpy()
    consumer = await start_consumer(spy)
    consumer.tracer = provider.get_tracer("test")
    from_header = await _publish_traced(js, names.prefix, TRACEPARENT, ENVELOPE_TRACEPARENT)
    from_envelope = await _publish_traced(js, names.prefix, None, ENVELOPE_TRACEPARENT)
    await _until(lambda: consumer.handled == 2)

    spans = {str(s.attributes["messaging.message.id"]): s for s in exporter.get_finished_spans()}
    for event, parent in ((from_header, TRACEPARENT), (from_envelope, ENVELOPE_TRACEPARENT)):
        span = spans[event.id]
        _, trace_id, parent_id, _ = parent.split("-")
        assert span.kind is SpanKind.CONSUMER and span.name == f"{DURABLE} process"
        assert span.parent is not None and f"{span.parent.span_id:016x}" == parent_id
        assert f"{span.context.trace_id:032x}" == trace_id
        # What the handler's own events carry: this span, in the event's trace.
        assert spy.seen[event.id] == f"00-{trace_id}-{span.context.span_id:016x}-01"
