"""The services' events the subscriptions follow: orders', tickets' and billing's JetStream
streams, read with ordered (ephemeral) consumers from new messages on, reconnecting forever.

A subscription sees changes from when it was made; an outage of NATS delays events (the
ordered consumer resumes where it was), and a stream not created yet is waited for. Every
`check_every` seconds the feed asks NATS for each consumer it reads from: one that is gone (its
stream deleted, say, or the consumer removed) is not live any more, and the feed follows the
stream anew once it is there, from the last time the consumer was known to exist, so events
published meanwhile still arrive (some perhaps twice, which subscribers do not see: a state
they got already is not sent again). Which subjects are followed right now is `live` (in
/readyz and the gauge `portal_gateway_subscription_feed_live`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from nats.aio.client import Client as NatsClient
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from portal_kit.jetstream import connect_nats

from portal_gateway.subscriptions.metrics import FEED_LIVE

log = logging.getLogger("portal.gateway.subscriptions")

Handler = Callable[[dict[str, Any]], None]

# Resuming reads a little before the last time a lost consumer was known: the gateway's clock
# and the NATS server's (which stamps the messages) may differ, and a repeat costs nothing.
CLOCK_MARGIN = timedelta(seconds=5)


class ConsumerGone(Exception):
    """NATS no longer knows the consumer the feed read a subject from."""


def _event(data: bytes) -> dict[str, Any] | None:
    """A CloudEvent with what fan-out needs (tenant, type, subject), else None."""
    try:
        event = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(event, dict):
        return None
    if not all(isinstance(event.get(k), str) for k in ("tenant", "type", "subject")):
        return None
    return event


class EventFeed:
    def __init__(
        self,
        handler: Handler,
        *,
        nats_url: str,
        prefix: str,
        streams: list[tuple[str, str]],
        check_every: float = 5.0,
    ) -> None:
        self._handler = handler
        self._url = nats_url
        self.subjects = [f"{prefix}.*.{service}.{aggregate}.>" for service, aggregate in streams]
        self._check_every = check_every
        self._client: NatsClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed: set[str] = set()
        self._resume_from: dict[str, datetime] = {}  # per subject whose consumer was lost

    @property
    def live(self) -> set[str]:
        """The subjects whose events arrive now: subscribed, over a connection that is up. While
        NATS is away the subscriptions stay (to resume where they were) but nothing arrives."""
        client = self._client
        if client is None or not client.is_connected:
            return set()
        return set(self._subscribed)

    def status(self) -> dict[str, bool]:
        """Each subject the feed is to follow, and whether it is live."""
        live = self.live
        return {subject: subject in live for subject in self.subjects}

    def _is_live(self, subject: str) -> float:
        return 1.0 if subject in self.live else 0.0

    def start(self) -> None:
        """Follows the streams in the background: connecting may wait (NATS away) and never
        holds the gateway's start."""
        for subject in self.subjects:
            FEED_LIVE.labels(subject).set_function(functools.partial(self._is_live, subject))
        self._tasks = [asyncio.create_task(self._connect_and_follow(), name="subscriptions-feed")]

    async def _connect_and_follow(self) -> None:
        self._client = await connect_nats(self._url, name="gateway-subscriptions")
        self._tasks += [
            asyncio.create_task(self._follow_forever(s), name=f"subscriptions-{s}")
            for s in self.subjects
        ]
        await asyncio.Event().wait()  # until stopped

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        for subject in self.subjects:
            with contextlib.suppress(KeyError):  # never started
                FEED_LIVE.remove(subject)
        if self._client is not None and not self._client.is_closed:
            with contextlib.suppress(Exception):
                await self._client.close()

    async def _follow_forever(self, subject: str) -> None:
        while True:
            try:
                await self._follow(subject)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the stream not there yet, or NATS away
                log.info(
                    "waiting for a stream to follow",
                    extra={"subject": subject, "problem": type(error).__name__},
                )
                await asyncio.sleep(1.0)

    async def _follow(self, subject: str) -> None:
        assert self._client is not None
        js = self._client.jetstream()
        handler = self._handler

        async def on_message(message: Any) -> None:
            event = _event(message.data)
            if event is not None:
                handler(event)

        resume_from = self._resume_from.get(subject)
        config = (
            ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
            if resume_from is None
            else ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=resume_from
            )
        )
        subscription = await js.subscribe(
            subject, cb=on_message, ordered_consumer=True, config=config
        )
        self._resume_from.pop(subject, None)
        self._subscribed.add(subject)
        try:
            while True:  # until stopped (cancelled)
                known = datetime.now(UTC)
                await asyncio.sleep(self._check_every)
                try:
                    await subscription.consumer_info()
                except NotFoundError:
                    self._resume_from[subject] = known - CLOCK_MARGIN
                    raise ConsumerGone(subject) from None
                except Exception:
                    continue  # NATS away or slow: the ordered consumer resumes by itself
        finally:
            self._subscribed.discard(subject)
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
