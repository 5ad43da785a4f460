"""Per-tenant sequences (order, ticket and invoice numbers) that stay gap-free and unique when
many requests ask at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.errors import DuplicateKeyError

from portal_kit.mongo import ASCENDING, Database, IndexSpec, TenantCollection

COUNTERS = "counters"
COUNTERS_INDEX = IndexSpec(COUNTERS, (("tenant", ASCENDING), ("name", ASCENDING)), unique=True)


@dataclass(frozen=True)
class GroupPosition:
    """Where one new member lands in a sequence split into groups (all counted from 1)."""

    position: int  # in the whole sequence
    group: int  # the group's ordinal: groups are numbered in the order they first appear
    in_group: int  # in its group


class Counters:
    """Per-tenant sequences, each one document moved on atomically by `$inc`: safe when many
    requests ask at once, in one process or many."""

    ATTEMPTS = 3

    def __init__(self, database: Database, tenant: str) -> None:
        self._documents: TenantCollection = database.for_tenant(COUNTERS, tenant)

    async def next(self, name: str) -> int:
        counter = await self._move(name, {"$inc": {"value": 1}})
        return int(counter["value"])

    async def next_in_group(self, name: str, group: str) -> GroupPosition:
        """Moves the sequence `name` on and, in the same single-document update, the count of
        `group` within it; a group seen for the first time gets the next group ordinal."""
        key = "g" + hashlib.sha256(group.encode()).hexdigest()[:24]
        counter = await self._move(
            name,
            {"$inc": {"value": 1, f"groups.{key}": 1}, "$addToSet": {"group_order": key}},
        )
        return GroupPosition(
            position=int(counter["value"]),
            group=list(counter["group_order"]).index(key) + 1,
            in_group=int(counter["groups"][key]),
        )

    async def _move(self, name: str, update: dict[str, Any]) -> dict[str, Any]:
        for _ in range(self.ATTEMPTS):
            try:
                counter = await self._documents.find_one_and_update(
                    {"name": name}, update, upsert=True
                )
            except DuplicateKeyError:
                # Two first uses raced to create the counter; the other one did, so go again.
                continue
            if counter is not None:
                return counter
        raise RuntimeError(f"could not move counter {name!r} on")


class Sequences(Protocol):
    """What a use case needs of the counters (an in-memory one serves fast tests)."""

    async def next(self, name: str) -> int: ...

    async def next_in_group(self, name: str, group: str) -> GroupPosition: ...
