"""Per-tenant sequences (order, ticket and invoice numbers) that stay gap-free and unique when
many requests ask at once."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from portal_kit.mongo import ASCENDING, Database, IndexSpec, TenantCollection

COUNTERS = "counters"
COUNTERS_INDEX = IndexSpec(COUNTERS, (("tenant", ASCENDING), ("name", ASCENDING)), unique=True)


class Counters:
    """Per-tenant sequences, each one document moved on atomically by `$inc`: safe when many
    requests ask at once, in one process or many."""

    ATTEMPTS = 3

    def __init__(self, database: Database, tenant: str) -> None:
        self._documents: TenantCollection = database.for_tenant(COUNTERS, tenant)

    async def next(self, name: str) -> int:
        for _ in range(self.ATTEMPTS):
            try:
                counter = await self._documents.find_one_and_update(
                    {"name": name}, {"$inc": {"value": 1}}, upsert=True
                )
            except DuplicateKeyError:
                # Two first uses raced to create the counter; the other one did, so go again.
                continue
            if counter is not None:
                return int(counter["value"])
        raise RuntimeError(f"could not move counter {name!r} on")
