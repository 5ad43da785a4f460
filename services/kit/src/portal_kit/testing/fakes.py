"""In-memory stand-ins for the ports every use case is given, for fast tests without MongoDB or
NATS: they keep the contract of the real adapters (versions, duplicates, events taken on
commit) so a use case behaves against them as against the real ones."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from portal_kit.counters import GroupPosition
from portal_kit.domain import Aggregate, Conflict, StaleVersion
from portal_kit.events import DomainEvent
from portal_kit.gridfs import StoredFile
from portal_kit.repository import Keyset, Page

A = TypeVar("A", bound=Aggregate)
A_contra = TypeVar("A_contra", bound=Aggregate, contravariant=True)


class Sight(Protocol[A_contra]):
    """A service layer's sight: it can tell of one aggregate in hand whether it takes it in."""

    def sees(self, aggregate: A_contra) -> bool: ...


class InMemoryAggregates(Generic[A]):
    """Aggregates of one tenant kept in a dict; `committed` lists the events a real repository
    would have put in the outbox, in commit order."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.stored: dict[str, A] = {}
        self.committed: list[DomainEvent] = []

    async def get(self, aggregate_id: str) -> A | None:
        found = self.stored.get(aggregate_id)
        return None if found is None else copy.deepcopy(found)

    async def add(self, aggregate: A) -> None:
        if aggregate.id in self.stored:
            raise Conflict("one with the same identifying value already exists", code="DUPLICATE")
        aggregate.version = 1
        self._commit(aggregate)

    async def save(self, aggregate: A) -> None:
        stored = self.stored.get(aggregate.id)
        if stored is None or stored.version != aggregate.version:
            raise StaleVersion(
                "it was changed by someone else since you loaded it; reload and try again",
                field="version",
            )
        aggregate.version += 1
        self._commit(aggregate)

    def _commit(self, aggregate: A) -> None:
        self.committed.extend(aggregate.take_events())
        self.stored[aggregate.id] = copy.deepcopy(aggregate)

    def matching(self, visible: Callable[[A], bool]) -> list[A]:
        return [copy.deepcopy(a) for a in self.stored.values() if visible(a)]

    def page_of(
        self,
        items: Iterable[A],
        after: Keyset | None,
        *,
        sort_value: Callable[[A], Any],
        size: int,
    ) -> Page[A]:
        """Keyset pagination in (sort value, id) order, as the real repositories page."""
        ordered = sorted(items, key=lambda a: (sort_value(a), a.id))
        total = len(ordered)
        if after is not None:
            ordered = [a for a in ordered if (sort_value(a), a.id) > (after.value, after.last_id)]
        return Page(ordered[:size], has_next=len(ordered) > size, total=total)


class InMemorySighted(InMemoryAggregates[A], Generic[A]):
    """The fake of a `portal_kit.repository.SightedRepository`: a sight's `sees` stands in for
    the repository's query (`assert_query_takes_in_what_sights_see` checks they agree)."""

    sort_key: ClassVar[str] = "sequence"

    async def visible(self, sight: Sight[A], aggregate_id: str) -> A | None:
        return next(iter(self.matching(lambda a: a.id == aggregate_id and sight.sees(a))), None)

    async def page_for(self, sight: Sight[A], after: Keyset | None, size: int) -> Page[A]:
        by_key = attrgetter(self.sort_key)
        return self.page_of(self.matching(sight.sees), after, sort_value=by_key, size=size)


async def assert_query_takes_in_what_sights_see(
    repository: Any, everything: Sight[A], sights: Iterable[Sight[A]]
) -> None:
    """A real repository's `page_for` and `visible` take in exactly what each sight `sees`, so a
    fake reading through `sees` stands in for it faithfully."""
    every = (await repository.page_for(everything, None, 1000)).items
    for sight in sights:
        page = await repository.page_for(sight, None, 1000)
        assert [a.id for a in page.items] == [a.id for a in every if sight.sees(a)], sight
        for aggregate in every:
            found = await repository.visible(sight, aggregate.id)
            assert (found is not None) == sight.sees(aggregate), (sight, aggregate.id)


class InMemoryCounters:
    """Per-tenant sequences, as `portal_kit.counters.Counters` hands them out."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self._groups: dict[str, list[str]] = {}
        self._in_group: dict[tuple[str, str], int] = {}

    async def next(self, name: str) -> int:
        self.values[name] = self.values.get(name, 0) + 1
        return self.values[name]

    async def next_in_group(self, name: str, group: str) -> GroupPosition:
        position = await self.next(name)
        order = self._groups.setdefault(name, [])
        if group not in order:
            order.append(group)
        key = (name, group)
        self._in_group[key] = self._in_group.get(key, 0) + 1
        return GroupPosition(
            position=position, group=order.index(group) + 1, in_group=self._in_group[key]
        )


class InMemoryFiles:
    """The kit's `FileStore` in memory: files by id with their bytes."""

    def __init__(self) -> None:
        self.stored: dict[str, tuple[StoredFile, bytes]] = {}

    async def put(
        self,
        data: bytes,
        *,
        filename: str,
        content_type: str,
        metadata: dict[str, Any] | None = None,
    ) -> StoredFile:
        file_id = f"file-{len(self.stored) + 1}"
        meta = {**(metadata or {}), "contentType": content_type}
        info = StoredFile(file_id, filename, content_type, len(data), datetime.now(UTC), meta)
        self.stored[file_id] = (info, data)
        return info

    async def delete(self, file_ids: Sequence[str]) -> int:
        return sum(self.stored.pop(f, None) is not None for f in file_ids)

    async def info(self, file_id: str) -> StoredFile | None:
        found = self.stored.get(file_id)
        return None if found is None else found[0]

    async def read(self, file_id: str) -> bytes | None:
        found = self.stored.get(file_id)
        return None if found is None else found[1]


class InMemoryOrganisationWrites:
    """As `OrganisationTree.upsert`: changes over an older version only, facts always; each
    organisation's values in `documents`."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}

    async def upsert(
        self,
        organisation_id: str,
        changes: Mapping[str, Any],
        *,
        version: str,
        facts: Mapping[str, Any] | None = None,
    ) -> bool:
        stored = self.documents.setdefault(organisation_id, {})
        stored.update(facts or {})
        if stored.get("reflects", "") >= version:
            return False
        stored.update(changes, reflects=version)
        return True
