"""Order-safe read-model writes: a read model keeps the newest state of another service's
aggregate even when that aggregate's events arrive out of order (consumer replicas sharing a
durable consumer, a failed handler's delayed redelivery).

Each read-model document remembers the version of what it reflects (`reflects`, or a field of
the caller's choosing for a part of the document with a history of its own: one fact, one
member of a set). A write carries its event's version and applies only over an older one, in
one conditional update; an older or repeated event changes nothing.

An event's version (`event_version`) is its CloudEvents `sequence` (the source aggregate's
version and the event's place in that change, kit-wide since the envelope carries it), else,
for events written before it, its `time`. Both are strings compared as strings; every sequence
sorts after every time, as events with a sequence are the newer ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from portal_kit.events import CloudEvent
from portal_kit.mongo import TenantCollection

REFLECTS = "reflects"
# Older than every event: what state seeded without an event (demo data, tests) is written as,
# so that any event about it wins.
BEFORE_ANY_EVENT = "0:"


def event_version(event: CloudEvent) -> str:
    """What an event's change is ordered by among the events of its subject."""
    return f"1:{event.sequence}" if event.sequence else time_version(event.time)


def time_version(moment: datetime) -> str:
    """The version of a change known only by its time (as `event_version` of such an event)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    # One fixed width in UTC, so that string order is time order.
    return f"0:{aware.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')}"


def older_than(version: str, field: str = REFLECTS) -> dict[str, Any]:
    """Documents whose `field` is older than `version`, or that have none yet (written before
    versions, or not yet by this part)."""
    return {"$or": [{field: {"$lt": version}}, {field: {"$exists": False}}]}


class VersionedDocuments:
    """One tenant's read-model documents, written only by newer versions.

    `key` names one document and must be covered by a unique index (`_id` is): when the
    document holds a newer version the filter matches nothing, the upsert's insert collides
    with it and is refused, and the write is ignored. Two first writes racing end the same way:
    one inserts, the other is refused and, when it is the newer one, retried once over it.
    """

    def __init__(self, documents: TenantCollection) -> None:
        self.documents = documents

    async def apply(
        self,
        key: Mapping[str, Any],
        version: str,
        update: Mapping[str, Any],
        *,
        field: str = REFLECTS,
        facts: Mapping[str, Any] | None = None,
    ) -> bool:
        """Applies `update` (a MongoDB update) to the document `key` if what it holds in
        `field` is older than `version`, recording `version` there; True when applied.

        `facts` are values that never change once known (an organisation's kind and parent):
        they go with the update, and are written alone when the update is too old, so a late
        first event still fills them in."""
        sets = {**dict(update.get("$set") or {}), **dict(facts or {}), field: version}
        conditional = {**update, "$set": sets}
        for _attempt in range(2):
            try:
                if await self.documents.update_one(
                    {**key, **older_than(version, field)}, conditional, upsert=True
                ):
                    return True
            except DuplicateKeyError:
                # Newer, the same, or a racing first insert: which one, the next try tells.
                pass
            if await self.documents.find_one({**key, field: {"$gte": version}}) is not None:
                break
        if facts:
            await self.documents.update_one(key, {"$set": dict(facts)})
        return False
