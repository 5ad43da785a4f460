"""Per-tenant counters, plain and split into groups."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from portal_kit.counters import Counters, GroupPosition
from portal_kit.mongo import Database, connect_database
from portal_kit.testing.plugin import TestNamespace


@pytest.fixture
async def database(mongo_url: str | None, namespace: TestNamespace) -> AsyncIterator[Database]:
    database = connect_database(mongo_url, namespace.database("kit"))
    try:
        yield database
    finally:
        database.close()


async def test_groups_are_numbered_in_order_of_first_appearance(database: Database) -> None:
    counters = Counters(database, "alpha")
    places = [await counters.next_in_group("bundle", g) for g in ("kök", "bad", "kök", "hall")]
    assert places == [
        GroupPosition(1, 1, 1),
        GroupPosition(2, 2, 1),
        GroupPosition(3, 1, 2),
        GroupPosition(4, 3, 1),
    ]
    # Another sequence and another tenant start afresh; odd group names are just names.
    assert await counters.next_in_group("other", "a.b$c") == GroupPosition(1, 1, 1)
    assert await Counters(database, "beta").next_in_group("bundle", "bad") == GroupPosition(1, 1, 1)


async def test_concurrent_members_get_distinct_places(database: Database) -> None:
    counters = Counters(database, "alpha")
    places = await asyncio.gather(
        *(counters.next_in_group("bundle", g) for g in ["x", "y", "z"] * 5)
    )
    assert sorted(p.position for p in places) == list(range(1, 16))
    assert sorted((p.group, p.in_group) for p in places) == [
        (g, n) for g in (1, 2, 3) for n in range(1, 6)
    ]
    assert await counters.next("plain") == 1
    assert await counters.next("plain") == 2
