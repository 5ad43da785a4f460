"""The in-memory fakes keep the contract of the real repository and counters, so a use case
tested against them behaves as it will against MongoDB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest
from portal_kit.domain import Aggregate, Conflict, StaleVersion
from portal_kit.events import DomainEvent
from portal_kit.repository import Keyset
from portal_kit.testing.fakes import InMemoryAggregates, InMemoryCounters


class Renamed(DomainEvent):
    aggregate: ClassVar[str] = "thing"
    name: ClassVar[str] = "renamed"
    title: str


@dataclass(kw_only=True)
class Thing(Aggregate):
    title: str

    def rename(self, title: str) -> None:
        self.title = title
        self.record(Renamed(title=title))


async def test_a_stale_save_is_refused_and_changes_nothing() -> None:
    things = InMemoryAggregates[Thing]("jm")
    await things.add(Thing(id="t1", tenant="jm", title="first"))
    mine, theirs = await things.get("t1"), await things.get("t1")
    assert mine is not None and theirs is not None
    theirs.rename("theirs")
    await things.save(theirs)
    mine.rename("mine")
    with pytest.raises(StaleVersion):
        await things.save(mine)
    stored = await things.get("t1")
    assert stored is not None and stored.title == "theirs" and stored.version == 2
    assert [e.title for e in things.committed if isinstance(e, Renamed)] == ["theirs"]


async def test_adding_the_same_id_twice_is_a_duplicate() -> None:
    things = InMemoryAggregates[Thing]("jm")
    await things.add(Thing(id="t1", tenant="jm", title="a"))
    with pytest.raises(Conflict) as raised:
        await things.add(Thing(id="t1", tenant="jm", title="b"))
    assert raised.value.code == "DUPLICATE"


async def test_pages_follow_each_other_without_gaps_or_repeats() -> None:
    things = InMemoryAggregates[Thing]("jm")
    for n, title in enumerate(["c", "a", "b", "a", "d"]):
        await things.add(Thing(id=f"t{n}", tenant="jm", title=title))
    seen: list[str] = []
    after: Keyset | None = None
    while True:
        page = things.page_of(
            things.matching(lambda _: True), after, sort_value=lambda t: t.title, size=2
        )
        assert page.total == 5
        seen += [t.id for t in page.items]
        if not page.has_next:
            break
        last = page.items[-1]
        after = Keyset(last.title, last.id)
    assert seen == ["t1", "t3", "t2", "t0", "t4"]


async def test_counters_count_per_sequence_and_group() -> None:
    counters = InMemoryCounters()
    assert [await counters.next("order") for _ in range(3)] == [1, 2, 3]
    assert await counters.next("ticket") == 1
    first = await counters.next_in_group("ao", "bundle-a")
    second = await counters.next_in_group("ao", "bundle-b")
    third = await counters.next_in_group("ao", "bundle-a")
    assert (first.group, first.in_group) == (1, 1)
    assert (second.group, second.in_group) == (2, 1)
    assert (third.position, third.group, third.in_group) == (3, 1, 2)
