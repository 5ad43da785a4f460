"""Durable, idempotent event consumers with bounded redelivery and a dead-letter subject.

A handler takes effect at most once per event id: after it succeeds an idempotency record is
written, and a redelivered or republished event with a recorded id is acknowledged unseen.
A failing handler is retried with backoff up to `max_deliver` times; then, as for a message that
is not a valid event at all, the message goes to the dead-letter subject with the reason and the
consumer carries on. Handlers that change a document should also make that change idempotent in
the same write (for example by keying it on the event id), which closes the gap between effect
and record.

Each event is handled in a consumer span whose parent is the trace context the event carries
(the NATS `traceparent` header, else the envelope's), and with `traceparent_var` set to that
span, so the events a handler causes continue the trace of the request that caused this one.
Metrics (`portal_kit.metrics`, labelled with the service and the durable name): handled,
failed, duplicate, redelivered and dead-lettered events, handling time, and the lag
(`num_pending`) from each message's metadata and from the consumer's info every
`lag_poll_seconds` (an idle consumer's lag too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError

from portal_kit import metrics, tracing
from portal_kit.events import CloudEvent
from portal_kit.jetstream import StreamNames
from portal_kit.logging import tenant_var, traceparent_var
from portal_kit.mongo import Database

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent], Awaitable[None]]
PROCESSED = "processed_events"
DEAD_LETTER_REASONS = ("malformed", "handler_failed")


class EventConsumer:
    def __init__(
        self,
        js: JetStreamContext,
        database: Database,
        names: StreamNames,
        *,
        durable: str,
        stream: str,
        filter_subject: str,
        handler: Handler,
        max_deliver: int = 5,
        backoff: Sequence[float] = (1.0, 5.0, 30.0, 120.0),
        ack_wait: float = 30.0,
        lag_poll_seconds: float = 15.0,
    ) -> None:
        if max_deliver < 1:
            raise ValueError("max_deliver must be at least 1")
        self._js = js
        self._processed = database.system_collection(PROCESSED)
        self._names = names
        self.durable = durable
        self._stream = stream
        self._filter = filter_subject
        self._handler = handler
        self._max_deliver = max_deliver
        self._backoff = tuple(backoff) or (1.0,)
        self._ack_wait = ack_wait
        self._task: asyncio.Task[None] | None = None
        self._subscription: Any = None
        self._stopping = False
        self._settling = False
        self.handled = 0
        self.dead_lettered = 0
        # The service's tracer, given by the runtime before start (the global one otherwise).
        self.tracer: trace.Tracer = trace.get_tracer("portal.consumer")
        self._lag_poll_seconds = lag_poll_seconds
        self._lag_polled = float("-inf")
        labels = (names.service, durable)
        self._lag = metrics.CONSUMER_LAG.labels(*labels)
        self._handled = metrics.CONSUMER_HANDLED.labels(*labels)
        self._duplicates = metrics.CONSUMER_DUPLICATES.labels(*labels)
        self._failed = metrics.CONSUMER_FAILED.labels(*labels)
        self._redeliveries = metrics.CONSUMER_REDELIVERIES.labels(*labels)
        self._handle_seconds = metrics.CONSUMER_HANDLE_SECONDS.labels(*labels)
        for reason in DEAD_LETTER_REASONS:  # every series present from the start, at 0
            metrics.CONSUMER_DEAD_LETTERS.labels(*labels, reason)

    async def start(self) -> None:
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subject=self._filter,
            # JetStream's own limit sits one above ours so the last failure is still ours to
            # dead-letter instead of being silently dropped by the server.
            max_deliver=self._max_deliver + 1,
            ack_wait=self._ack_wait,
        )
        subscription = await self._js.pull_subscribe(
            self._filter, durable=self.durable, stream=self._stream, config=config
        )
        self._subscription = subscription
        self._stopping = False  # a consumer stopped and started again runs again
        self._task = asyncio.create_task(self._run(subscription), name=f"consumer-{self.durable}")

    async def stop(self) -> None:
        # A flag as well as the cancellation: nats-py can swallow a cancellation mid-publish.
        self._stopping = True
        if self._task is not None:
            if self._settling:
                # Let the message in hand settle (effect, idempotency record, ack) rather than
                # cut it between effect and record, which would repeat the effect after a restart.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._task), self._ack_wait)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._subscription is not None:
            # Drop the fetch inbox: messages sent to a cancelled fetch would otherwise sit in it
            # unacknowledged (redelivered only after ack_wait) and hold up draining the connection.
            # The durable consumer stays on the server; the next start resumes it.
            subscription, self._subscription = self._subscription, None
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _poll_lag(self, subscription: Any) -> None:
        """The lag from the consumer's info, at most every `lag_poll_seconds`."""
        now = time.monotonic()
        if now - self._lag_polled < self._lag_poll_seconds:
            return
        self._lag_polled = now
        try:
            info = await subscription.consumer_info()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # connection trouble: the next poll tries again
            log.debug("consumer info unavailable", extra={"problem": repr(error)})
            return
        self._lag.set(info.num_pending or 0)

    async def caught_up(self) -> bool:
        """Whether every event of the stream this consumer follows has been handled: none waits
        undelivered or unacknowledged. False when the server cannot tell (NATS unreachable)."""
        try:
            info = await self._js.consumer_info(self._stream, self.durable)
        except Exception:  # no answer is no proof of being current
            return False
        return not info.num_pending and not info.num_ack_pending

    async def caught_up_within(
        self, seconds: float, *, settle: float = 0.0, every: float = 0.1
    ) -> bool:
        """Whether the consumer is (or gets) caught up within `seconds`. Being caught up counts
        only after `settle` seconds: an event its producer committed a moment ago may not be in
        the stream yet (the producer's relay publishes just after the write)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            now = loop.time()
            if now - start >= settle and await self.caught_up():
                return True
            if now - start >= seconds:
                return False
            await asyncio.sleep(every)

    async def _run(self, subscription: Any) -> None:
        while not self._stopping:
            await self._poll_lag(subscription)
            try:
                messages: list[Msg] = await subscription.fetch(batch=20, timeout=1.0)
            except (NatsTimeout, TimeoutError):
                continue
            except asyncio.CancelledError:
                raise
            except Exception as error:  # connection trouble: wait and fetch again
                log.warning("consumer fetch failed", extra={"problem": repr(error)})
                await asyncio.sleep(0.5)
                continue
            for message in messages:
                if self._stopping:  # hand the rest of the batch back for prompt redelivery
                    with contextlib.suppress(Exception):
                        await message.nak()
                    continue
                self._settling = True
                try:
                    await self._process(message)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # never let one message stop the consumer
                    log.exception("consumer could not settle a message", extra={"e": repr(error)})
                finally:
                    self._settling = False

    async def _process(self, message: Msg) -> None:
        metadata = message.metadata
        self._lag.set(metadata.num_pending or 0)
        if metadata.num_delivered > 1:
            self._redeliveries.inc()
        try:
            event = CloudEvent.model_validate(orjson.loads(message.data))
        except (orjson.JSONDecodeError, ValidationError, TypeError) as error:
            await self._dead_letter(message, f"malformed event: {_summary(error)}", "malformed")
            return
        carrier = dict(message.headers or {})
        if "traceparent" not in carrier and event.traceparent:
            carrier["traceparent"] = event.traceparent
        with self.tracer.start_as_current_span(
            f"{self.durable} process",
            context=tracing.extract(carrier),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.operation.type": "process",
                "messaging.destination.name": message.subject,
                "messaging.consumer.group.name": self.durable,
                "messaging.message.id": event.id,
                "cloudevents.event_type": event.type,
            },
        ):
            traced = traceparent_var.set(tracing.current_traceparent())
            try:
                await self._settle(message, event)
            finally:
                traceparent_var.reset(traced)

    async def _settle(self, message: Msg, event: CloudEvent) -> None:
        record_id = f"{self.durable}:{event.id}"
        if await self._processed.find_one({"_id": record_id, "tenant": event.tenant}) is not None:
            self._duplicates.inc()
            await message.ack()
            return
        token = tenant_var.set(event.tenant)
        started = time.perf_counter()
        try:
            await self._handler(event)
        except Exception as error:
            self._failed.inc()
            trace.get_current_span().record_exception(error)
            trace.get_current_span().set_status(trace.StatusCode.ERROR, type(error).__name__)
            attempt = message.metadata.num_delivered
            if attempt >= self._max_deliver:
                await self._dead_letter(
                    message, f"handler failed {attempt} times: {error!r}", "handler_failed"
                )
            else:
                delay = self._backoff[min(attempt - 1, len(self._backoff) - 1)]
                log.warning(
                    "event handler failed; will retry",
                    extra={"event_type": event.type, "attempt": attempt, "problem": repr(error)},
                )
                await message.nak(delay=delay)
            return
        finally:
            self._handle_seconds.observe(time.perf_counter() - started)
            tenant_var.reset(token)
        with contextlib.suppress(DuplicateKeyError):
            await self._processed.insert_one(
                {"_id": record_id, "tenant": event.tenant, "at": datetime.now(UTC)}
            )
        self.handled += 1
        self._handled.inc()
        await message.ack()

    async def _dead_letter(self, message: Msg, reason: str, kind: str) -> None:
        await self._js.publish(
            self._names.dead_letter_subject(self.durable),
            message.data,
            headers={
                "Portal-Dead-Letter-Reason": reason[:500],
                "Portal-Original-Subject": message.subject,
            },
        )
        self.dead_lettered += 1
        metrics.CONSUMER_DEAD_LETTERS.labels(self._names.service, self.durable, kind).inc()
        log.error("event dead-lettered", extra={"consumer": self.durable, "reason": reason[:500]})
        await message.term()


def _summary(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(error)[:200]
