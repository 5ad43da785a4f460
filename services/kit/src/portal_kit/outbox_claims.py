"""Claims (leases) on outbox documents: how the relays of several replicas divide the work.

Before publishing a document's events a relay claims the document with one conditional update
(`outbox_claim: {by, token, until}` where there is no claim or it ran out) that also reads the
document's outbox as it is then; other relays' pending query leaves a claimed document out
until its claim runs out, so a crashed relay's documents are taken over after the lease. The
holder renews its claim before a publish could outlast it and stops if the claim is no longer
its own, so two relays never publish one document's events at once (each event goes out from
one relay, in order). The claim and the published events go in one update at the end.

Writers are neither blocked nor able to clobber a claim: saves filter on `_id` and `version`,
`$push` onto the outbox and `$set` only the aggregate's own fields; the relay removes what it
published with `$pull` by event id, so events appended meanwhile stay for the next pass.

The lease is measured on the relays' clocks (stored as a date), so the replicas' clocks must
agree to well within the lease; it is shorter than the stream's duplicate window, so an event
republished after a takeover (its holder died between publishing and removing it) is still
dropped by the stream.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument

from portal_kit.jetstream import DEDUP_WINDOW_SECONDS
from portal_kit.mongo import Document

CLAIM = "outbox_claim"
LEASE_SECONDS = 30.0


@dataclass
class Claim:
    """A document this relay holds: its id, the outbox as claimed, when the claim runs out."""

    document_id: Any
    document: Document
    token: str
    until: float


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

    async def take(self, collection: Any, document_id: Any) -> Claim | None:
        """Claims the document if it has pending events and nobody holds it; None otherwise."""
        token = uuid.uuid4().hex
        until = self._clock() + self._lease
        found = await collection.find_one_and_update(
            {"_id": document_id, f"{self._outbox}.0": {"$exists": True}, **self.unclaimed()},
            {"$set": {CLAIM: {"by": self.holder, "token": token, "until": _date(until)}}},
            projection={self._outbox: 1, "tenant": 1},
            return_document=ReturnDocument.AFTER,
        )
        return None if found is None else Claim(document_id, found, token, until)

    async def keep(self, collection: Any, claim: Claim) -> bool:
        """Before a publish: whether the claim is still this relay's, renewed if half of it is
        gone. False if another relay took the document over (the claim ran out meanwhile)."""
        now = self._clock()
        if claim.until - now > self._lease / 2:
            return True
        until = now + self._lease
        renewed = await collection.update_one(
            {"_id": claim.document_id, f"{CLAIM}.token": claim.token},
            {"$set": {f"{CLAIM}.until": _date(until)}},
        )
        if renewed.matched_count != 1:
            return False
        claim.until = until
        return True

    async def release(self, collection: Any, claim: Claim, published: list[str]) -> None:
        """Removes the published events and the claim in one update. If the claim was lost
        meanwhile, what was published is still removed (it is on the stream) and the other
        relay's claim is left alone."""
        removal: dict[str, Any] = {"$pull": {self._outbox: {"id": {"$in": published}}}}
        released = await collection.update_one(
            {"_id": claim.document_id, f"{CLAIM}.token": claim.token},
            {**removal, "$unset": {CLAIM: ""}},
        )
        if released.matched_count != 1 and published:
            await collection.update_one({"_id": claim.document_id}, removal)


def _date(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
