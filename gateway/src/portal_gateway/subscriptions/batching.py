"""Re-reads of several records for one group of subscribers (same principal, language and
reading) gathered into one request: `r0_order: order(id: $portalRecord0) {…} r1_order: …`,
run through the engine like any query, so each record keeps the visibility of that principal
and nothing is shared between principals.

A group's records wait `window` seconds and then for the group's previous request, unless
their request is full: a record that changes while its group's subgraph is busy joins the next
request instead of adding one, so the subgraph's requests follow its pace.
A request holds at most `max_records` records, fewer if the engine's limits (aliases, root
fields, cost) refuse that many: it is then split, and that reading's requests stay smaller."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from portal_kit.principal import Principal

from portal_gateway.subscriptions import metrics
from portal_gateway.subscriptions.reader import Reader
from portal_gateway.subscriptions.reading import Reading, split_answer

log = logging.getLogger("portal.gateway.subscriptions")

LIMIT_CODES = frozenset(
    {"TOO_MANY_ALIASES", "TOO_MANY_ROOT_FIELDS", "QUERY_TOO_LARGE", "QUERY_TOO_COSTLY"}
)


@dataclass(eq=False)
class _Batch:
    principal: Principal
    language: str | None
    reading: Reading
    traceparent: str | None
    capacity: int
    records: dict[str, asyncio.Future[dict[str, Any] | None]] = field(default_factory=dict)
    closed: bool = False
    full: asyncio.Event = field(default_factory=asyncio.Event)


class Batches:
    def __init__(
        self, reader: Reader, reads: asyncio.Semaphore, *, window: float, max_records: int
    ) -> None:
        self.reader = reader
        self._reads = reads
        self._window = window
        self._max_records = max_records
        self._open: dict[Hashable, _Batch] = {}
        self._last: dict[Hashable, asyncio.Task[None]] = {}
        self._capacity: dict[str, int] = {}  # per reading's query, once limits refused more

    async def read(
        self,
        group: Hashable,
        principal: Principal,
        language: str | None,
        reading: Reading,
        record_id: str,
        traceparent: str | None,
    ) -> dict[str, Any] | None:
        """The answer for `record_id` as if read alone (None if it could not be read)."""
        batch = self._open.get(group)
        if batch is None:
            capacity = min(self._max_records, self._capacity.get(reading.query, self._max_records))
            batch = _Batch(principal, language, reading, traceparent, capacity)
            self._open[group] = batch
            previous = self._last.get(group)
            task = asyncio.create_task(self._run(group, batch, previous))
            self._last[group] = task

            def done(finished: asyncio.Task[None]) -> None:
                if self._last.get(group) is finished:
                    del self._last[group]

            task.add_done_callback(done)
        future = batch.records.get(record_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            batch.records[record_id] = future
            if len(batch.records) >= batch.capacity:
                self._close(group, batch)
                batch.full.set()
        return await asyncio.shield(future)

    def _close(self, group: Hashable, batch: _Batch) -> None:
        if not batch.closed:
            batch.closed = True
            if self._open.get(group) is batch:
                del self._open[group]

    async def _run(
        self, group: Hashable, batch: _Batch, previous: asyncio.Task[None] | None
    ) -> None:
        try:
            await asyncio.sleep(self._window)
            if previous is not None and not batch.full.is_set():
                # Meanwhile, more records join this one; once it is full, it need not wait.
                full = asyncio.create_task(batch.full.wait())
                await asyncio.wait([previous, full], return_when=asyncio.FIRST_COMPLETED)
                full.cancel()
            async with self._reads:
                self._close(group, batch)
                answers = await self._answers(batch, list(batch.records))
        except BaseException:
            self._close(group, batch)
            for future in batch.records.values():
                if not future.done():
                    future.set_result(None)
            raise
        for record_id, future in batch.records.items():
            if not future.done():
                future.set_result(answers.get(record_id))

    async def _answers(
        self, batch: _Batch, record_ids: list[str]
    ) -> dict[str, dict[str, Any] | None]:
        reading = batch.reading
        started = time.perf_counter()
        try:
            answer = await self.reader.read(
                batch.principal,
                batch.language,
                reading.batch_query(len(record_ids)),
                reading.variables_for_batch(record_ids),
                batch.traceparent,
            )
        except Exception:
            log.exception("subscriptions' records could not be re-read")
            return {}
        finally:
            metrics.READ_SECONDS.observe(time.perf_counter() - started)
        if len(record_ids) > 1 and _refused_by_limits(answer):
            # This reading is too big to read so many at once: halves, and smaller from now.
            half = len(record_ids) // 2
            self._capacity[reading.query] = half
            return {
                **(await self._answers(batch, record_ids[:half])),
                **(await self._answers(batch, record_ids[half:])),
            }
        metrics.READ_REQUESTS.inc()
        metrics.READS.inc(len(record_ids))
        return dict(zip(record_ids, split_answer(reading, answer, len(record_ids)), strict=True))


def _refused_by_limits(answer: dict[str, Any]) -> bool:
    if answer.get("data") is not None:
        return False
    errors = answer.get("errors") or ()
    return any((e.get("extensions") or {}).get("code") in LIMIT_CODES for e in errors)
