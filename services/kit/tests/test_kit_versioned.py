"""Order-safe read-model writes: an older event after a newer one changes nothing, on MongoDB
and the stand-in alike; the envelope's `sequence` orders an aggregate's events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_kit.domain import new_id
from portal_kit.events import CloudEvent
from portal_kit.mongo import ASCENDING, Database, IndexSpec, connect_database
from portal_kit.readmodels import OrganisationTree
from portal_kit.testing.plugin import TestNamespace
from portal_kit.versioned import VersionedDocuments, event_version, time_version
from pymongo.errors import DuplicateKeyError


@pytest.fixture
async def database(mongo_url: str | None, namespace: TestNamespace) -> AsyncIterator[Database]:
    database = connect_database(mongo_url, namespace.database("kit"))
    await database.ensure_indexes(
        [IndexSpec("holders", (("tenant", ASCENDING), ("holder", ASCENDING)), unique=True)]
    )
    try:
        yield database
    finally:
        database.close()


def _envelope(sequence: str | None, *, time: datetime | None = None) -> CloudEvent:
    return CloudEvent(
        id=new_id(),
        source="/portal/people",
        type="portal.people.organisation.updated",
        subject="o1",
        time=time or datetime.now(UTC),
        data={},
        tenant="acme",
        sequence=sequence,
    )


def test_a_sequence_orders_by_version_then_place_and_after_any_time() -> None:
    v = CloudEvent.sequence_of
    ordered = [v(1, 0), v(1, 1), v(2, 0), v(9, 3), v(10, 0), v(123456, 0)]
    versions = [event_version(_envelope(s)) for s in ordered]
    assert versions == sorted(versions)
    later_time = datetime(2100, 1, 1, tzinfo=UTC)
    assert event_version(_envelope(None, time=later_time)) < versions[0]


def test_times_without_a_sequence_order_as_instants_whatever_their_offset() -> None:
    base = datetime(2026, 3, 1, 12, 0, 0, 999_999, tzinfo=UTC)
    east = (base + timedelta(microseconds=1)).astimezone(timezone(timedelta(hours=5)))
    assert time_version(base) < time_version(east)
    assert time_version(base) == event_version(_envelope(None, time=base))


async def test_an_older_write_after_a_newer_one_changes_nothing(database: Database) -> None:
    tree = OrganisationTree(database, "acme")
    v = CloudEvent.sequence_of
    assert await tree.upsert("o1", {"name": "C"}, version=event_version(_envelope(v(3, 0))))
    assert not await tree.upsert("o1", {"name": "B"}, version=event_version(_envelope(v(2, 0))))
    assert not await tree.upsert("o1", {"name": "C"}, version=event_version(_envelope(v(3, 0))))
    stored = await database.for_tenant("organisations", "acme").find({})
    assert [(d["_id"], d["name"]) for d in stored] == [("o1", "C")]


async def test_a_late_first_event_still_fills_in_its_facts(database: Database) -> None:
    tree = OrganisationTree(database, "acme")
    await tree.upsert("o1", {"active": False, "name": "Renamed"}, version="1:000000000002.0000")
    applied = await tree.upsert(
        "o1",
        {"active": True, "name": "First"},
        version="1:000000000001.0000",
        facts={"kind": "department", "parent_id": "p1"},
    )
    assert not applied
    stored = await database.for_tenant("organisations", "acme").find_one({"_id": "o1"})
    assert stored is not None
    assert (stored["active"], stored["name"]) == (False, "Renamed")
    assert (stored["kind"], stored["parent_id"]) == ("department", "p1")


async def test_a_document_written_before_versions_takes_the_first_versioned_write(
    database: Database,
) -> None:
    documents = database.for_tenant("organisations", "acme")
    await documents.insert_one({"_id": "o1", "name": "Old", "as_of": 17})
    assert await OrganisationTree(database, "acme").upsert(
        "o1", {"name": "New"}, version="0:2026-01-01T00:00:00.000000"
    )
    assert (await documents.find_one({"_id": "o1"}) or {})["name"] == "New"


async def test_racing_first_writes_on_a_unique_key_leave_one_document_with_the_newest(
    database: Database,
) -> None:
    holders = VersionedDocuments(database.for_tenant("holders", "acme"))
    writes = [(f"1:{CloudEvent.sequence_of(n, 0)}", n) for n in range(1, 9)]
    for _round in range(5):
        holder = new_id()
        results = await asyncio.gather(
            *(
                holders.apply({"holder": holder}, version, {"$set": {"n": n}})
                for version, n in reversed(writes)
            )
        )
        assert results[0]  # the newest is always applied
        stored = await database.for_tenant("holders", "acme").find({"holder": holder})
        assert [d["n"] for d in stored] == [8]


async def test_each_member_of_a_set_keeps_its_own_newest_change(database: Database) -> None:
    """Per-member versions: a late 'added' cannot bring back a member removed later, while
    other members' changes are unaffected."""
    sets = VersionedDocuments(database.for_tenant("sets", "acme"))

    async def change(member: str, present: bool, version: int) -> bool:
        operator = "$addToSet" if present else "$pull"
        return await sets.apply(
            {"_id": "t1"},
            f"1:{CloudEvent.sequence_of(version, 0)}",
            {operator: {"members": member}},
            field=f"member_versions.{member}",
        )

    assert await change("ann", True, 1)
    assert await change("bob", True, 2)
    assert await change("ann", False, 3)
    assert not await change("ann", True, 1)  # redelivered late
    assert await change("cid", True, 4)
    stored = await database.for_tenant("sets", "acme").find_one({"_id": "t1"})
    assert stored is not None
    assert sorted(stored["members"]) == ["bob", "cid"]


names = st.lists(st.text(alphabet="ABCDEFGH", min_size=1, max_size=3), min_size=1, max_size=8)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(states=names, data=st.data())
async def test_any_order_of_an_aggregates_events_leaves_the_last_ones_state(
    database: Database, states: list[str], data: Any
) -> None:
    tree = OrganisationTree(database, "acme")
    organisation_id = new_id()  # a fresh aggregate per example
    events = [(CloudEvent.sequence_of(version, 0), name) for version, name in enumerate(states, 1)]
    for sequence, name in data.draw(st.permutations(events)):
        await tree.upsert(organisation_id, {"name": name}, version=f"1:{sequence}")
    stored = await database.for_tenant("organisations", "acme").find_one({"_id": organisation_id})
    assert stored is not None and stored["name"] == states[-1]


class RacedOnce:
    """The collection as a write meets it when an older event's first insert of the same
    document lands between its filter and its insert (on a real MongoDB, under load)."""

    def __init__(self, documents: Any, older: dict[str, Any]) -> None:
        self.documents, self.older, self.raced = documents, older, False

    async def update_one(self, filter_: Any, update: Any, *, upsert: bool = False) -> int:
        if not self.raced:
            self.raced = True
            await self.documents.insert_one(self.older)
            raise DuplicateKeyError("E11000 duplicate key error")
        written: int = await self.documents.update_one(filter_, update, upsert=upsert)
        return written

    async def find_one(self, filter_: Any) -> Any:
        return await self.documents.find_one(filter_)


async def test_a_newer_write_losing_the_first_insert_to_an_older_one_is_applied_over_it(
    database: Database,
) -> None:
    documents = database.for_tenant("organisations", "acme")
    older = {"_id": "o1", "name": "Older", "reflects": "1:000000000001.0000"}
    raced = RacedOnce(documents, older)
    versioned = VersionedDocuments(raced)  # type: ignore[arg-type]

    applied = await versioned.apply({"_id": "o1"}, "1:000000000002.0000", {"$set": {"name": "New"}})

    assert raced.raced and applied
    assert [d["name"] for d in await documents.find({})] == ["New"]


async def test_an_older_write_losing_the_first_insert_to_a_newer_one_is_ignored(
    database: Database,
) -> None:
    documents = database.for_tenant("organisations", "acme")
    newer = {"_id": "o1", "name": "Newer", "reflects": "1:000000000003.0000"}
    versioned = VersionedDocuments(RacedOnce(documents, newer))  # type: ignore[arg-type]

    assert not await versioned.apply(
        {"_id": "o1"}, "1:000000000002.0000", {"$set": {"name": "Old"}}
    )
    assert [d["name"] for d in await documents.find({})] == ["Newer"]
