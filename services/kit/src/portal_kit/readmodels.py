"""What services keep alike of other services' events: a local read model of people's
organisations (id, kind, parent, name, ... as `$set` from each event, written only by a newer
event than the one it reflects, so a redelivered or late event changes nothing), with the walk
from organisations to all their departments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from portal_kit.mongo import Database
from portal_kit.versioned import VersionedDocuments

ORGANISATIONS = "organisations"


class OrganisationWrites(Protocol):
    """What people's organisation events write in a read model of them (a service's port)."""

    async def upsert(
        self,
        organisation_id: str,
        changes: Mapping[str, Any],
        *,
        version: str,
        facts: Mapping[str, Any] | None = None,
    ) -> bool:
        """Sets `changes` unless a newer `version` is kept already (True when set); `facts`,
        which never change, are set either way."""
        ...


class OrganisationTree:
    """One tenant's organisations as a service learnt them from people's events."""

    def __init__(self, database: Database, tenant: str) -> None:
        self._documents = database.for_tenant(ORGANISATIONS, tenant)
        self._versioned = VersionedDocuments(self._documents)

    async def upsert(
        self,
        organisation_id: str,
        changes: Mapping[str, Any],
        *,
        version: str,
        facts: Mapping[str, Any] | None = None,
    ) -> bool:
        """Sets `changes` if `version` (`portal_kit.versioned.event_version`) is newer than what
        the organisation reflects; `facts` (kind, parent: never changed after creation) are set
        either way. True when the changes were applied."""
        return await self._versioned.apply(
            {"_id": organisation_id}, version, {"$set": dict(changes)}, facts=facts
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
