"""What services keep alike of other services' events: a local read model of people's
organisations (id, kind, parent, name, ... as `$set` from each event, so a redelivered event
changes nothing), with the walk from organisations to all their departments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portal_kit.mongo import Database

ORGANISATIONS = "organisations"


class OrganisationTree:
    """One tenant's organisations as a service learnt them from people's events."""

    def __init__(self, database: Database, tenant: str) -> None:
        self._documents = database.for_tenant(ORGANISATIONS, tenant)

    async def upsert(self, organisation_id: str, changes: Mapping[str, Any]) -> None:
        await self._documents.find_one_and_update(
            {"_id": organisation_id}, {"$set": dict(changes)}, upsert=True
        )

    async def with_descendants(self, organisation_ids: list[str]) -> list[str]:
        """The organisations and every department below them (breadth first, cycle-safe)."""
        seen = list(dict.fromkeys(organisation_ids))
        frontier = list(seen)
        while frontier:
            children = await self._documents.find(
                {"parent_id": {"$in": frontier}}, projection={"_id": 1}
            )
            frontier = [c["_id"] for c in children if c["_id"] not in seen]
            seen += frontier
        return seen

    async def existing(self, organisation_ids: list[str]) -> set[str]:
        """Which of the ids name an organisation of the tenant (others are refused as missing)."""
        wanted = [i for i in dict.fromkeys(organisation_ids) if isinstance(i, str) and i]
        if not wanted:
            return set()
        found = await self._documents.find({"_id": {"$in": wanted}}, projection={"_id": 1})
        return {str(d["_id"]) for d in found}
