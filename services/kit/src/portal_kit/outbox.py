"""The outbox relay: how an event gets from a state change onto NATS (docs/architecture.md).

Events are appended to an `outbox` array in the aggregate's own document in the same update as
the change. The relay publishes them to JetStream with the event id as `Nats-Msg-Id` (so a
republish after a crash is dropped by the stream's dedup window) and only then removes them.
It wakes right after a commit and also sweeps periodically, so events left by a crash or a NATS
outage go out as soon as publishing works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from nats.js import JetStreamContext

from portal_kit.events import CloudEvent
from portal_kit.jetstream import headers_for
from portal_kit.mongo import Database

log = logging.getLogger(__name__)

OUTBOX = "outbox"
BATCH = 100

# Called after an event is published and before it is removed; tests use it to simulate a crash.
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
    ) -> None:
        self._collections = [database.system_collection(name) for name in collections]
        self._js = js
        self._prefix = prefix
        self._sweep_seconds = sweep_seconds
        self._after_publish = after_publish
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.published = 0

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
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a NATS or MongoDB outage: retry on the next sweep
                log.warning("outbox relay could not publish", extra={"problem": repr(error)})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._sweep_seconds):
                    await self._wakeup.wait()
            self._wakeup.clear()

    async def drain(self) -> int:
        """Publish every pending event of every collection; returns how many went out."""
        sent = 0
        for collection in self._collections:
            while True:
                documents: list[dict[str, Any]] = await collection.find(
                    {f"{OUTBOX}.0": {"$exists": True}}, {OUTBOX: 1, "tenant": 1}
                ).to_list(length=BATCH)
                if not documents:
                    break
                for document in documents:
                    sent += await self._publish_document(collection, document)
        return sent

    async def _publish_document(self, collection: Any, document: dict[str, Any]) -> int:
        # A failure part-way leaves every event in place; the next sweep republishes them and
        # the stream's dedup window (keyed on the event id) drops the ones that already went out.
        published_ids: list[str] = []
        for raw in document[OUTBOX]:
            event = CloudEvent.model_validate(raw)
            await self._js.publish(
                event.nats_subject(self._prefix),
                orjson.dumps(event.model_dump(mode="json")),
                headers=headers_for(event.id),
            )
            published_ids.append(event.id)
            if self._after_publish is not None:
                await self._after_publish(event)
        await collection.update_one(
            {"_id": document["_id"], "tenant": document["tenant"]},
            {"$pull": {OUTBOX: {"id": {"$in": published_ids}}}},
        )
        self.published += len(published_ids)
        return len(published_ids)
