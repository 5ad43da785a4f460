"""From one event to the subscribers who may see it.

Subscribers are indexed by tenant, event type and record id (single-record subscriptions) or by
tenant and event type (list subscriptions). Per event, the record is re-read once for each
group of subscribers with the same principal, language and reading (nothing is shared between
principals, which may see differently), each subscriber's payload is cut from its group's
answer, and only a payload that differs from the last one that subscriber got of that record is
sent: an event that changes nothing the subscriber can see (an internal note, to a contractor)
sends nothing. A single-record subscription reads its record once when it is made (sending
nothing), so that holds from its first event; a list subscription reads the first
`LIST_BASELINE` records of the caller's list (the listing root field's default order) the same
way, and learns of any other record with its first event of it, which it gets whatever changed.
An event made after the subscription (by its CloudEvents `time`) that comes while such a first
read still runs is sent whatever it changed, since that read may already have seen it. Events
of one record are delivered in the order they came; a bounded number of re-reads run at once,
and a group's records waiting together are re-read in one request (`batching.py`)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson
from portal_kit.principal import Principal

from portal_gateway.subscriptions import metrics
from portal_gateway.subscriptions.batching import Batches
from portal_gateway.subscriptions.reader import Reader
from portal_gateway.subscriptions.reading import Reading, payload

log = logging.getLogger("portal.gateway.subscriptions")

MAX_DIGESTS = 256  # records a list subscriber remembers the last answer of
LIST_BASELINE = 200  # records of a list read when it is subscribed (a page's most)


class Receiver(Protocol):
    """The connection a subscriber belongs to."""

    principal: Principal
    language: str | None

    def may_receive(self) -> bool:
        """False (and the connection closing) once its token has expired or was revoked."""

    def send_next(self, ident: str, body: dict[str, Any]) -> None: ...


@dataclass(eq=False)
class Subscriber:
    receiver: Receiver
    ident: str
    reading: Reading
    active: bool = True
    # Of the answer last sent (or read at subscribing) per record; a few hundred at most.
    digests: dict[str, bytes] = field(default_factory=dict)
    baseline: asyncio.Task[None] | None = None
    # Records whose events made after `since` came while the baseline ran: it must not stand
    # for them.
    unsure: set[str] = field(default_factory=set)
    since: float = field(default_factory=time.time)  # when it was made (wall clock)
    group: tuple[Any, ...] = field(init=False)

    def __post_init__(self) -> None:
        reading = self.reading
        self.group = (
            self.receiver.principal,
            self.receiver.language,
            reading.query,
            orjson.dumps(reading.variables),
        )


@dataclass
class Waiting:
    """A delivery of one record not started yet (its record's previous one still runs)."""

    change: str
    subscribers: list[Subscriber]
    traceparent: Any
    arrived: float  # of its newest event (perf_counter)


class Fanout:
    def __init__(
        self,
        reader: Reader,
        *,
        reads_in_flight: int,
        max_pending: int,
        batch_window: float = 0.005,
        batch_records: int = 20,
    ) -> None:
        self.reader = reader
        self._records: dict[tuple[str, str, str], set[Subscriber]] = defaultdict(set)
        self._lists: dict[tuple[str, str], set[Subscriber]] = defaultdict(set)
        self._chains: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._waiting: dict[tuple[str, str, str], Waiting] = {}
        self._reads = asyncio.Semaphore(reads_in_flight)
        self._batches = Batches(reader, self._reads, window=batch_window, max_records=batch_records)
        self._max_pending = max_pending
        self.pending = 0

    def add(self, subscriber: Subscriber) -> None:
        tenant = subscriber.receiver.principal.tenant
        reading = subscriber.reading
        if reading.record_id is not None:
            self._records[(tenant, reading.topic.event_type, reading.record_id)].add(subscriber)
            subscriber.baseline = asyncio.create_task(self._baseline(subscriber))
        else:
            self._lists[(tenant, reading.topic.event_type)].add(subscriber)
            subscriber.baseline = asyncio.create_task(self._list_baseline(subscriber))
        metrics.SUBSCRIPTIONS.inc()

    async def _baseline(self, subscriber: Subscriber) -> None:
        """What the subscriber sees of its record now, so its first event sends only a change."""
        record_id = subscriber.reading.record_id
        assert record_id is not None
        await self._remember(subscriber, [record_id])

    async def _list_baseline(self, subscriber: Subscriber) -> None:
        """The same for the first records of the subscriber's list, as it would list them."""
        receiver, listing = subscriber.receiver, subscriber.reading.topic.listing
        query = f"{{ {listing}(first: {LIST_BASELINE}) {{ edges {{ node {{ id }} }} }} }}"
        try:
            answer = await self.reader.read(receiver.principal, receiver.language, query, {}, None)
        except Exception:
            log.exception("a list subscription's records could not be listed")
            return
        edges = ((answer.get("data") or {}).get(listing) or {}).get("edges") or ()
        ids = [str(e["node"]["id"]) for e in edges if isinstance(e, dict) and e.get("node")]
        await self._remember(subscriber, ids)

    async def _remember(self, subscriber: Subscriber, record_ids: list[str]) -> None:
        try:
            answers = await asyncio.gather(*(self._read(subscriber, r, None) for r in record_ids))
            for record_id, answer in zip(record_ids, answers, strict=True):
                if answer is None or record_id in subscriber.unsure:
                    continue
                subscriber.digests.setdefault(record_id, _digest(answer))
        finally:
            subscriber.unsure.clear()

    async def _read(
        self, subscriber: Subscriber, record_id: str, traceparent: str | None
    ) -> dict[str, Any] | None:
        receiver = subscriber.receiver
        return await self._batches.read(
            subscriber.group,
            receiver.principal,
            receiver.language,
            subscriber.reading,
            record_id,
            traceparent,
        )

    def remove(self, subscriber: Subscriber) -> None:
        if not subscriber.active:
            return
        subscriber.active = False
        if subscriber.baseline is not None:
            subscriber.baseline.cancel()
        tenant = subscriber.receiver.principal.tenant
        reading = subscriber.reading
        if reading.record_id is not None:
            key = (tenant, reading.topic.event_type, reading.record_id)
            _discard(self._records, key, subscriber)
        else:
            _discard(self._lists, (tenant, reading.topic.event_type), subscriber)
        metrics.SUBSCRIPTIONS.dec()

    def publish(self, event: dict[str, Any]) -> None:
        """One event of a followed stream (called from the NATS callback; never blocks)."""
        tenant, kind, record_id = event["tenant"], event["type"], event["subject"]
        prefix, _, change = kind.rpartition(".")
        prefix += "."
        key = (tenant, prefix, record_id)
        subscribers = [*self._records.get(key, ()), *self._lists.get((tenant, prefix), ())]
        if not subscribers:
            return
        first_reading = [s for s in subscribers if s.baseline is not None and not s.baseline.done()]
        if first_reading:
            made = _made_at(event)
            for subscriber in first_reading:
                if made is None or made >= subscriber.since:
                    subscriber.unsure.add(record_id)
        if self.pending >= self._max_pending:
            metrics.EVENTS_DROPPED.inc()
            log.warning("subscriptions behind: an event was dropped", extra={"tenant": tenant})
            return
        waiting = self._waiting.get(key)
        if waiting is not None:
            # A delivery of this record waits for the one before it and will read the record
            # then: it carries this event too (its newest change), so a record that changes
            # faster than it is read costs one read per read's time, not one per event.
            waiting.change, waiting.subscribers = change, subscribers
            waiting.traceparent = event.get("traceparent")
            waiting.arrived = time.perf_counter()
            metrics.EVENTS_MERGED.inc()
            return
        waiting = Waiting(change, subscribers, event.get("traceparent"), time.perf_counter())
        self._waiting[key] = waiting
        self.pending += 1
        previous = self._chains.get(key)
        task = asyncio.create_task(self._deliver(previous, key, waiting, record_id))
        self._chains[key] = task

        def done(finished: asyncio.Task[None]) -> None:
            self.pending -= 1
            if self._chains.get(key) is finished:
                del self._chains[key]
            if self._waiting.get(key) is waiting:
                del self._waiting[key]

        task.add_done_callback(done)

    async def _deliver(
        self,
        previous: asyncio.Task[None] | None,
        key: tuple[str, str, str],
        waiting: Waiting,
        record_id: str,
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # the record's earlier events first
        if self._waiting.get(key) is waiting:
            del self._waiting[key]  # from here on, a new event of the record waits anew
        groups: dict[tuple[Any, ...], list[Subscriber]] = defaultdict(list)
        for subscriber in waiting.subscribers:
            if subscriber.active:
                groups[subscriber.group].append(subscriber)
        trace = waiting.traceparent if isinstance(waiting.traceparent, str) else None
        await asyncio.gather(
            *(
                self._deliver_group(group, waiting.change, record_id, trace, waiting.arrived)
                for group in groups.values()
            )
        )

    async def _deliver_group(
        self,
        group: list[Subscriber],
        change: str,
        record_id: str,
        traceparent: str | None,
        arrived: float,
    ) -> None:
        first = group[0]
        if not first.receiver.may_receive():
            return  # one principal, one token: the whole group ends
        answer = await self._read(first, record_id, traceparent)
        if answer is None:
            return
        digest = _digest(answer)
        for subscriber in group:
            if subscriber.baseline is not None and not subscriber.baseline.done():
                await asyncio.wait([subscriber.baseline])
            if not subscriber.active or subscriber.digests.get(record_id) == digest:
                continue
            if not subscriber.receiver.may_receive():
                continue
            body = payload(subscriber.reading, change, answer)
            if body is None:
                continue  # out of sight, or gone: the subscriber learns nothing
            digests = subscriber.digests
            digests.pop(record_id, None)
            digests[record_id] = digest
            if len(digests) > MAX_DIGESTS:
                del digests[next(iter(digests))]
            subscriber.receiver.send_next(subscriber.ident, body)
            metrics.MESSAGES.inc()
            metrics.DELIVERY_SECONDS.observe(time.perf_counter() - arrived)


def _made_at(event: dict[str, Any]) -> float | None:
    """The event's `time` (when its change was committed), None if it has none readable."""
    try:
        return datetime.fromisoformat(event["time"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None


def _digest(answer: dict[str, Any]) -> bytes:
    return hashlib.blake2b(orjson.dumps(answer), digest_size=16).digest()


def _discard(table: dict[Any, set[Subscriber]], key: Any, subscriber: Subscriber) -> None:
    members = table.get(key)
    if members is not None:
        members.discard(subscriber)
        if not members:
            del table[key]


def unsubscribe_all(fanout: Fanout, subscribers: Iterable[Subscriber]) -> None:
    for subscriber in list(subscribers):
        fanout.remove(subscriber)
