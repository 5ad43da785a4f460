"""Outbox relay figures: throughput, and commit-to-consumer latency under a steady write rate.

    uv run python services/kit/bench/bench_outbox.py [--events 20000] [--rate 1000] [--seconds 10]

NATS is `PORTAL_NATS_URL` or a nats-server this script starts (JetStream, file storage);
MongoDB is `PORTAL_MONGO_URL` or the in-memory stand-in (it says which: the stand-in scans in
Python, so figures on it say nothing about MongoDB). It prints:

- relay throughput: events/s for draining a backlog (`--events` events, in documents of 1 and
  of 10 events each, as a crash or an outage leaves them);
- on a real MongoDB, the plan of the relay's query (`explain`): the pending-outbox partial index,
  and how many keys and documents it read for how many pending documents;
- commit-to-consumer latency: writes at `--rate` events/s for `--seconds`, each an update that
  pushes one event onto one of `--aggregates` aggregates (200; the stand-in scans every document
  on every write, so many more make the writes, not the relay, the limit) and wakes the relay,
  as a repository does; a JetStream push consumer notes when each event arrives; p50/p99 from
  the write's return to the consumer's receipt, and the backlog left at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
import uuid
from typing import Any

import orjson
from portal_kit.events import CloudEvent
from portal_kit.jetstream import StreamNames, connect_nats, ensure_service_streams
from portal_kit.mongo import (
    PENDING_OUTBOX_INDEX,
    Database,
    connect_database,
    pending_outbox,
    pending_outbox_index,
)
from portal_kit.outbox import OUTBOX, OutboxRelay
from portal_kit.testing.nats_server import NatsServer, find_nats_server

COLLECTION = "things"


def envelope(thing: str, n: int) -> dict[str, Any]:
    return CloudEvent(
        id=uuid.uuid4().hex,
        source="/portal/bench",
        type="portal.bench.thing.changed",
        subject=thing,
        time="2026-12-01T12:00:00+00:00",  # type: ignore[arg-type]
        data={"n": n},
        tenant="bench",
    ).model_dump(mode="json")


class Timed:
    """The relay's view of the database, timing every call into MongoDB (or the stand-in), so
    the figures can say how much of the relay's time was the database's."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self.seconds = 0.0

    def system_collection(self, name: str) -> Any:
        return _TimedCollection(self, self._database.system_collection(name))


class _TimedCollection:
    def __init__(self, timer: Timed, collection: Any) -> None:
        self._timer = timer
        self._collection = collection

    def find(self, *args: Any, **kwargs: Any) -> Any:
        return _TimedCursor(self._timer, self._collection.find(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        """The collection's other methods (the relay's claims and removals), timed."""
        method = getattr(self._collection, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self._timer.seconds += time.perf_counter() - started

        return timed


class _TimedCursor:
    def __init__(self, timer: Timed, cursor: Any) -> None:
        self._timer = timer
        self._cursor = cursor

    def hint(self, index: str) -> _TimedCursor:
        self._cursor = self._cursor.hint(index)
        return self

    def __aiter__(self) -> _TimedCursor:
        return self

    async def __anext__(self) -> Any:
        started = time.perf_counter()
        try:
            return await self._cursor.__anext__()
        finally:
            self._timer.seconds += time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def backlog(database: Database, prefix: str, js: Any, events: int, per_document: int) -> None:
    things = database.system_collection(COLLECTION)
    await things.delete_many({})
    documents = [
        {
            "_id": f"b{d}",
            "tenant": "bench",
            "version": 1,
            "outbox": [envelope(f"b{d}", n) for n in range(per_document)],
        }
        for d in range(events // per_document)
    ]
    await things.insert_many(documents)
    timed = Timed(database)
    relay = OutboxRelay(timed, [COLLECTION], js, prefix=prefix)  # type: ignore[arg-type]
    if per_document == 1:
        await explain(database, relay)
    started = time.perf_counter()
    sent = await relay.drain()
    seconds = time.perf_counter() - started
    publishing = seconds - timed.seconds
    print(
        f"relay throughput, {per_document:>2} event(s) per document: {sent} events in "
        f"{seconds:.2f} s = {sent / seconds:,.0f} events/s; of that {timed.seconds:.2f} s in "
        f"the database, so publishing alone {sent / publishing:,.0f} events/s"
    )


async def explain(database: Database, relay: OutboxRelay) -> None:
    """On a real MongoDB, how the relay's query runs: on the partial index, reading only the
    pending documents, among as many that have nothing pending (the stand-in cannot explain)."""
    if database.stand_in:
        return
    things = database.system_collection(COLLECTION)
    pending = await things.count_documents(pending_outbox(OUTBOX))
    await things.insert_many(
        [{"_id": f"done{d}", "tenant": "bench", "version": 1, "outbox": []} for d in range(pending)]
    )
    plan = (
        await things.find(relay.pending_filter(), {"_id": 1}).hint(PENDING_OUTBOX_INDEX).explain()
    )
    stats = plan["executionStats"]
    stages = []
    stage = plan["queryPlanner"]["winningPlan"]
    while stage:
        stages.append(f"{stage['stage']}({stage.get('indexName', '')})")
        stage = stage.get("inputStage")
    print(
        f"relay query plan: {' <- '.join(stages)}; {stats['totalKeysExamined']} keys and "
        f"{stats['totalDocsExamined']} documents read for {pending} pending of {2 * pending}"
    )
    await things.delete_many({"_id": {"$in": [f"done{d}" for d in range(pending)]}})


async def latency(
    database: Database,
    prefix: str,
    js: Any,
    names: StreamNames,
    *,
    rate: int,
    seconds: float,
    aggregates: int,
) -> None:
    things = database.system_collection(COLLECTION)
    await things.delete_many({})
    await things.insert_many(
        [{"_id": f"a{d}", "tenant": "bench", "version": 1, "outbox": []} for d in range(aggregates)]
    )
    committed: dict[str, float] = {}
    delays: list[float] = []
    received = 0
    total = int(rate * seconds)
    everything = asyncio.Event()

    async def on_message(message: Any) -> None:
        nonlocal received
        arrived = time.perf_counter()
        event_id = orjson.loads(message.data)["id"]
        if (at := committed.get(event_id)) is not None:
            delays.append(arrived - at)
        received += 1
        if received >= total:
            everything.set()

    subscription = await js.subscribe(
        names.subjects, cb=on_message, deliver_policy="new", manual_ack=False
    )
    relay = OutboxRelay(database, [COLLECTION], js, prefix=prefix, sweep_seconds=1.0)
    relay.start()
    started = time.perf_counter()
    for n in range(total):
        due = started + n / rate
        # Always yield: the stand-in's calls never wait, so a writer catching up would
        # otherwise hold the loop and the relay with it (requests of a service yield anyway).
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        event = envelope(f"a{n % aggregates}", n)
        await things.update_one(
            {"_id": f"a{n % aggregates}", "tenant": "bench"},
            {"$push": {"outbox": event}, "$inc": {"version": 1}},
        )
        committed[event["id"]] = time.perf_counter()
        relay.wake()
    writing = time.perf_counter() - started
    pending = sum(
        len(d["outbox"]) for d in await things.find({}, {"outbox": 1}).to_list(length=None)
    )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(everything.wait(), 30)
    await relay.stop()
    await subscription.unsubscribe()
    print(
        f"commit-to-consumer at {rate:,} events/s for {seconds:.0f} s (written at "
        f"{total / writing:,.0f}/s): {len(delays)} of {total} received, "
        f"p50 {percentile(delays, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(delays, 0.99) * 1000:.1f} ms, max {max(delays) * 1000:.1f} ms; "
        f"backlog when the writes stopped: {pending} events"
    )


async def main(events: int, rate: int, seconds: float, aggregates: int) -> None:
    server: NatsServer | None = None
    nats_url = os.environ.get("PORTAL_NATS_URL")
    if not nats_url:
        binary = find_nats_server()
        if binary is None:
            raise SystemExit("nats-server is not installed and PORTAL_NATS_URL is not set")
        server = NatsServer(binary)
        server.start()
        nats_url = server.url
    mongo_url = os.environ.get("PORTAL_MONGO_URL")
    database = connect_database(mongo_url, f"bench_outbox_{uuid.uuid4().hex[:8]}")
    await database.ensure_indexes([pending_outbox_index(COLLECTION, OUTBOX)])
    version = await database.server_version()
    print(
        "MongoDB:",
        f"MongoDB {version} at PORTAL_MONGO_URL"
        if version
        else "in-memory stand-in (mongomock-motor): figures say nothing about MongoDB",
    )
    print("NATS:", "PORTAL_NATS_URL" if server is None else "nats-server started by the bench")
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    names = StreamNames(prefix, "bench")
    client = await connect_nats(nats_url, name="bench-outbox")
    try:
        js = client.jetstream()
        await ensure_service_streams(js, names)
        await backlog(database, prefix, js, events, 1)
        await backlog(database, prefix, js, events, 10)
        await latency(
            database, prefix, js, names, rate=rate, seconds=seconds, aggregates=aggregates
        )
        await js.delete_stream(names.stream)
        await js.delete_stream(names.dead_letter_stream)
    finally:
        await client.close()
        await database.drop()
        database.close()
        if server is not None:
            server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--aggregates", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.events, arguments.rate, arguments.seconds, arguments.aggregates))
