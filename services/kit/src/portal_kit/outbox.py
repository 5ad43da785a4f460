"""The outbox relay: how an event gets from a state change onto NATS (docs/architecture.md).

Events are appended to an `outbox` array in the aggregate's own document in the same update as
the change. The relay publishes them to JetStream with the event id as `Nats-Msg-Id` (so a
republish after a crash is dropped by the stream's dedup window) and only then removes them.
It wakes right after a commit and also sweeps periodically, so events left by a crash or a NATS
outage go out as soon as publishing works again.

Metrics (`portal_kit.metrics`): publish latency and failures per event; the backlog (pending
events, age of the oldest) without a query while publishing works — a drain that succeeded left
nothing behind — and, after a failed drain, from one aggregation over the pending documents at
most once per sweep interval, so a scrape never touches the database.

Replicas: each relay claims a document before publishing its events and releases it with the
removal of what it published (`portal_kit.outbox_claims`), so the relays of several replicas
divide the backlog between them and each event is published by one relay; a dead relay's
documents are taken over when its lease runs out.

Throughput: the pending documents not claimed by another relay are read in chunks of `BATCH`;
the documents of a chunk are claimed in one update and published concurrently (up to
`IN_FLIGHT` acknowledgements awaited at once), and the chunk's published events are removed
with its claims in one update. Order per aggregate is kept: the events of one document go out
one after the other from one relay, each only after the previous one's acknowledgement, and a
document stops at its first failure, so a later event is never on the stream before an
earlier one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
from nats.js import JetStreamContext
from opentelemetry import trace

from portal_kit import metrics, tracing
from portal_kit.events import CloudEvent, event_subject
from portal_kit.jetstream import headers_for
from portal_kit.mongo import PENDING_OUTBOX_INDEX, Database, pending_outbox
from portal_kit.outbox_claims import LEASE_SECONDS, Claims

log = logging.getLogger(__name__)

OUTBOX = "outbox"
BATCH = 1000
IN_FLIGHT = 512

# Called after an event is published and before it is removed; tests use it to simulate a crash
# (one that fails releases the document's claim and removes nothing; a dead relay's claim stays).
AfterPublishHook = Callable[[CloudEvent], Awaitable[None]]


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        collections: Sequence[str],
        js: JetStreamContext,
        *,
        prefix: str,
        sweep_seconds: float = 5.0,
        after_publish: AfterPublishHook | None = None,
        publish_timeout: float | None = None,
        service: str = "unknown",
        tracer: trace.Tracer | None = None,
        lease_seconds: float = LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._collections = [database.system_collection(name) for name in collections]
        self._js = js
        self._prefix = prefix
        self._sweep_seconds = sweep_seconds
        self._after_publish = after_publish
        # How long an acknowledgement may take (the JetStream context's own timeout by default).
        self._publish_timeout = (
            publish_timeout if publish_timeout is not None else float(getattr(js, "_timeout", 5.0))
        )
        self._claims = Claims(
            OUTBOX, lease_seconds=lease_seconds, longest_publish=self._publish_timeout, clock=clock
        )
        self._in_flight = asyncio.Semaphore(IN_FLIGHT)
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.published = 0
        # Since when (monotonic seconds) publishing has failed without a success since; None
        # while the relay works. Readiness reports it as degraded, never as unready.
        self.failing_since: float | None = None
        self.last_problem: str | None = None
        self._service = service
        self._tracer = tracer  # only when the process exports traces
        # The backlog as last seen (module docstring): events waiting, the oldest one's time.
        self.pending = 0
        self.oldest_pending: float | None = None
        self._measured_at = float("-inf")
        self._publish_seconds = metrics.OUTBOX_PUBLISH_SECONDS.labels(service)
        self._published_total = metrics.OUTBOX_PUBLISHED.labels(service)
        metrics.OUTBOX_PENDING.labels(service).set_function(lambda: self.pending)
        metrics.OUTBOX_OLDEST_AGE.labels(service).set_function(self.oldest_pending_age)

    def wake(self) -> None:
        """Called by the unit of work right after a commit that carried events."""
        self._wakeup.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        # nats-py swallows a cancellation that lands inside a publish's flush, so the loop
        # also checks a flag: a stop is never lost.
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wakeup.clear()
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a NATS or MongoDB outage: retry on the next sweep
                log.warning("outbox relay could not publish", extra={"problem": repr(error)})
                await self._measure_backlog()
            if self._wakeup.is_set():
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._sweep_seconds):
                    await self._wakeup.wait()

    def _failed(self, error: BaseException) -> None:
        if self.failing_since is None:
            self.failing_since = time.monotonic()
        self.last_problem = type(error).__name__

    async def drain(self) -> int:
        """Publish every pending event of every collection; returns how many went out.

        Raises the first failure after removing what did go out (the rest stays for the next
        sweep)."""
        sent = 0
        try:
            for collection in self._collections:
                while True:
                    count, found = await self._drain_pass(collection)
                    sent += count
                    if not found:
                        break
        except Exception as error:
            self._failed(error)
            raise
        self.failing_since = None
        self.last_problem = None
        self.pending = 0
        self.oldest_pending = None
        return sent

    def oldest_pending_age(self) -> float:
        """Seconds the oldest waiting event has waited (0 when none waits), at scrape time."""
        return 0.0 if self.oldest_pending is None else max(0.0, time.time() - self.oldest_pending)

    async def _measure_backlog(self) -> None:
        """After a failed drain: count the waiting events and find the oldest, over the pending
        documents only and at most once per sweep interval (an outage retries on every commit)."""
        now = time.monotonic()
        if now - self._measured_at < self._sweep_seconds:
            return
        self._measured_at = now
        pending, oldest = 0, None
        try:
            for collection in self._collections:
                cursor = collection.aggregate(
                    [
                        {"$match": {f"{OUTBOX}.0": {"$exists": True}}},
                        {
                            "$group": {
                                "_id": None,
                                "events": {"$sum": {"$size": f"${OUTBOX}"}},
                                "oldest": {"$min": {"$arrayElemAt": [f"${OUTBOX}.time", 0]}},
                            }
                        },
                    ]
                )
                for found in await cursor.to_list(None):
                    pending += int(found["events"])
                    if isinstance(found.get("oldest"), str):
                        at = datetime.fromisoformat(found["oldest"]).timestamp()
                        oldest = at if oldest is None else min(oldest, at)
        except Exception as error:  # MongoDB away too: the last figures stand
            log.warning("outbox backlog not measured", extra={"problem": repr(error)})
            return
        self.pending, self.oldest_pending = pending, oldest

    def pending_filter(self) -> dict[str, Any]:
        """The relay's query: documents with pending events that no other relay holds now."""
        return {**pending_outbox(OUTBOX), **self._claims.unclaimed()}

    async def _drain_pass(self, collection: Any) -> tuple[int, bool]:
        """One pass over the documents with pending events that no other relay holds;
        (published, any found)."""
        # The claim condition is in the query only: the partial index stays `outbox.0 exists`,
        # which the query still implies, so the hint stays valid.
        cursor = collection.find(self.pending_filter(), {"_id": 1}).hint(PENDING_OUTBOX_INDEX)
        sent = 0
        found = False
        while True:
            documents = await _next_chunk(cursor)
            if not documents:
                return sent, found
            found = True
            claim = await self._claims.take(collection, [d["_id"] for d in documents])
            still_claimed = functools.partial(self._claims.keep, collection, claim)
            try:
                outcomes = await asyncio.gather(
                    *(
                        self._publish_document(document, still_claimed)
                        for document in claim.documents.values()
                    )
                )
            except asyncio.CancelledError:
                # Stopped: the claims go back at once instead of when the lease runs out (what
                # went out unremoved is republished by the next relay and dropped as a duplicate).
                # Only a relay that dies leaves its claims to run out.
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._claims.release(collection, claim, []))
                raise
            published = [event_id for ids, _ in outcomes for event_id in ids]
            # One update for the chunk: the published events (event ids are unique) and the
            # claims. A failure part-way leaves its event and the document's later ones in
            # place for the next sweep.
            await self._claims.release(collection, claim, published)
            failure = next((problem for _, problem in outcomes if problem is not None), None)
            if published:
                self.published += len(published)
                self._published_total.inc(len(published))
                self.pending = max(0, self.pending - len(published))
                sent += len(published)
            if failure is not None:
                raise failure

    async def _publish_document(
        self, document: dict[str, Any], still_claimed: Callable[[Any], Awaitable[bool]]
    ) -> tuple[list[str], BaseException | None]:
        """Publish one document's events in order; the ids that went out and what stopped it.
        Stops, without a problem, before a publish if the document's claim was lost."""
        published_ids: list[str] = []
        for raw in document[OUTBOX]:
            span = None
            try:
                # The stored envelope is the CloudEvent's JSON already: sent as it is.
                _, service, aggregate, name = raw["type"].split(".")
                subject = event_subject(self._prefix, raw["tenant"], service, aggregate, name)
                headers = headers_for(raw["id"], _trace_header(raw))
                async with self._in_flight:
                    if not await still_claimed(document["_id"]):
                        # Another relay took over after the lease ran out: it publishes the rest.
                        log.warning("outbox claim lost", extra={"event": raw["id"]})
                        return published_ids, None
                    span = self._publish_span(subject, raw["id"], headers)
                    started = time.perf_counter()
                    acknowledgement = await self._js.publish_async(
                        subject, orjson.dumps(raw), headers=headers
                    )
                    await asyncio.wait_for(acknowledgement, self._publish_timeout)
                    self._publish_seconds.observe(time.perf_counter() - started)
                if span is not None:
                    span.end()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # what went out before stays published and is removed
                metrics.OUTBOX_PUBLISH_FAILURES.labels(self._service, type(error).__name__).inc()
                if span is not None:
                    span.set_status(trace.StatusCode.ERROR, type(error).__name__)
                    span.end()
                return published_ids, error
            published_ids.append(raw["id"])
            if self._after_publish is not None:
                try:
                    await self._after_publish(CloudEvent.model_validate(raw))
                except Exception as error:  # a simulated crash: nothing of it is removed
                    return [], error
        return published_ids, None

    def _publish_span(self, subject: str, event_id: str, headers: dict[str, Any]) -> Any:
        """When exporting traces, a producer span for a traced event (child of the request that
        wrote it), whose context then goes in the NATS header: the consumer's span follows it,
        and the time the event waited in the outbox shows in the trace."""
        if self._tracer is None or "traceparent" not in headers:
            return None
        span = self._tracer.start_span(
            f"publish {subject.split('.', 2)[-1]}",  # the subject without prefix and tenant
            context=tracing.extract(headers),
            kind=trace.SpanKind.PRODUCER,
            attributes={
                "messaging.system": "nats",
                "messaging.operation.type": "send",
                "messaging.message.id": event_id,
            },
        )
        headers["traceparent"] = tracing.traceparent_of(span) or headers["traceparent"]
        return span


async def _next_chunk(cursor: Any) -> list[dict[str, Any]]:
    """Up to `BATCH` more documents of one cursor (the stand-in's `to_list` ignores a length)."""
    chunk: list[dict[str, Any]] = []
    async for document in cursor:
        chunk.append(document)
        if len(chunk) >= BATCH:
            break
    return chunk


def _trace_header(raw: dict[str, Any]) -> dict[str, str] | None:
    """The envelope's trace context as a `traceparent` header too, for NATS-level tooling."""
    traceparent = raw.get("traceparent")
    return {"traceparent": traceparent} if isinstance(traceparent, str) and traceparent else None
