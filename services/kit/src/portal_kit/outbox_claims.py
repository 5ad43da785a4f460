"""Claims (leases) on outbox documents: how the relays of several replicas divide the work.

Before publishing a document's events a relay claims the document with a conditional update
(`outbox_claim: {by, token, until}` where there is no claim or it ran out; one update for the
documents of a chunk, atomic per document), then reads the outbox of those it got as it is
then. Other relays' pending query leaves a claimed document out until its claim runs out, so a
crashed relay's documents are taken over after the lease. The holder renews its claim before a
publish could outlast it and stops a document whose claim is no longer its own, so two relays
never publish one document's events at once (each event goes out from one relay, in order).
The claims and the published events go in one update at the end of the chunk; a relay that
is stopped mid-chunk gives its claims back at once (outbox.py).

Writers are neither blocked nor able to clobber a claim: saves filter on `_id` and `version`,
`$push` onto the outbox and `$set` only the aggregate's own fields; the relay removes what it
published with `$pull` by event id, so events appended meanwhile stay for the next pass.

The lease is measured on the relays' clocks (stored as a date), so the replicas' clocks must
agree to well within the lease; it is shorter than the stream's duplicate window, so an event
republished after a takeover (its holder died between publishing and removing it) is still
dropped by the stream.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from portal_kit.jetstream import DEDUP_WINDOW_SECONDS
from portal_kit.mongo import Document

CLAIM = "outbox_claim"
LEASE_SECONDS = 30.0


@dataclass
class Claim:
    """The documents of one chunk this relay holds under one token: each one's outbox as it was
    claimed, those lost to another relay since, and when the claim runs out."""

    token: str
    until: float
    documents: dict[Any, Document]
    lost: set[Any] = field(default_factory=set)
    renewing: asyncio.Lock = field(default_factory=asyncio.Lock)


class Claims:
    """One relay's claims on the documents of its outbox collections."""

    def __init__(
        self,
        outbox: str,
        *,
        lease_seconds: float,
        longest_publish: float,
        clock: Callable[[], float],
    ) -> None:
        # A claim is renewed once half of it is gone, so at least half a lease is left when a
        # publish starts: that must cover the longest a publish may take.
        if not 2 * longest_publish <= lease_seconds < DEDUP_WINDOW_SECONDS:
            raise ValueError(
                f"the outbox lease ({lease_seconds} s) must be at least twice the publish "
                f"timeout ({longest_publish} s) and shorter than the stream's duplicate window "
                f"({DEDUP_WINDOW_SECONDS} s)"
            )
        self._outbox = outbox
        self._lease = lease_seconds
        self._clock = clock
        self.holder = uuid.uuid4().hex  # this relay, as other relays see it in a claim

    def unclaimed(self) -> Document:
        """The condition of a document nobody holds: no claim, or one that ran out."""
        return {"$or": [{CLAIM: None}, {f"{CLAIM}.until": {"$lte": _date(self._clock())}}]}

    async def take(self, collection: Any, document_ids: list[Any]) -> Claim:
        """Claims those of the documents that have pending events and that nobody holds (a
        conditional update per document, sent as one), then reads what it got."""
        token, until = uuid.uuid4().hex, self._clock() + self._lease
        await collection.update_many(
            {
                "_id": {"$in": document_ids},
                f"{self._outbox}.0": {"$exists": True},
                **self.unclaimed(),
            },
            {"$set": {CLAIM: {"by": self.holder, "token": token, "until": _date(until)}}},
        )
        held = collection.find(
            {"_id": {"$in": document_ids}, f"{CLAIM}.token": token}, {self._outbox: 1, "tenant": 1}
        )
        return Claim(token, until, {document["_id"]: document async for document in held})

    async def keep(self, collection: Any, claim: Claim, document_id: Any) -> bool:
        """Before a publish: whether the document is still this relay's. The chunk's claim is
        renewed once half of it is gone; a document another relay took over meanwhile (its
        claim ran out) is lost."""
        if claim.until - self._clock() <= self._lease / 2:
            async with claim.renewing:  # one renewal for the chunk's documents waiting on it
                now = self._clock()
                if claim.until - now <= self._lease / 2:
                    await self._renew(collection, claim, now + self._lease)
        return document_id not in claim.lost

    async def _renew(self, collection: Any, claim: Claim, until: float) -> None:
        held = [document_id for document_id in claim.documents if document_id not in claim.lost]
        mine = {"_id": {"$in": held}, f"{CLAIM}.token": claim.token}
        renewed = await collection.update_many(mine, {"$set": {f"{CLAIM}.until": _date(until)}})
        if renewed.matched_count != len(held):
            still = {document["_id"] async for document in collection.find(mine, {"_id": 1})}
            claim.lost.update(set(held) - still)
        claim.until = until

    async def release(self, collection: Any, claim: Claim, published: list[str]) -> None:
        """Removes the published events and the claim in one update. From documents lost
        meanwhile what was published is still removed (it is on the stream; event ids are
        unique), and the other relay's claim is left alone."""
        if not claim.documents:
            return
        removal: dict[str, Any] = {"$pull": {self._outbox: {"id": {"$in": published}}}}
        ids = list(claim.documents)
        released = await collection.update_many(
            {"_id": {"$in": ids}, f"{CLAIM}.token": claim.token},
            {**removal, "$unset": {CLAIM: ""}},
        )
        if released.matched_count != len(ids) and published:
            await collection.update_many({"_id": {"$in": ids}}, removal)


def _date(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
