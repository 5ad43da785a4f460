"""Aggregate repositories: one write holds the change and its events; stale saves change nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from portal_kit.domain import Aggregate, Conflict, StaleVersion, new_id
from portal_kit.events import DomainEvent
from portal_kit.mongo import Database, Document, connect_database
from portal_kit.outbox import OUTBOX
from portal_kit.outbox_claims import CLAIM, Claims
from portal_kit.repository import AggregateRepository
from portal_kit.testing.plugin import TestNamespace


class ThingCreated(DomainEvent):
    aggregate: ClassVar[str] = "thing"
    name: ClassVar[str] = "created"
    thing_id: str
    label: str


class ThingRenamed(DomainEvent):
    aggregate: ClassVar[str] = "thing"
    name: ClassVar[str] = "renamed"
    thing_id: str
    label: str


@dataclass(kw_only=True)
class Thing(Aggregate):
    label: str
    notes: str = ""

    @classmethod
    def create(cls, tenant: str, label: str) -> Thing:
        thing = cls(id=new_id(), tenant=tenant, label=label)
        thing.record(ThingCreated(thing_id=thing.id, label=label))
        return thing

    def rename(self, label: str) -> None:
        self.label = label
        self.record(ThingRenamed(thing_id=self.id, label=label))

    def annotate(self, notes: str) -> None:
        self.notes = notes  # a change nobody else cares about: no event


class ThingRepository(AggregateRepository[Thing]):
    collection = "things"
    service = "kit"

    def to_document(self, aggregate: Thing) -> Document:
        return {"label": aggregate.label, "notes": aggregate.notes}

    def from_document(self, document: Document) -> Thing:
        return Thing(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            label=document["label"],
            notes=document["notes"],
        )


@pytest.fixture
async def database(mongo_url: str | None, namespace: TestNamespace) -> AsyncIterator[Database]:
    database = connect_database(mongo_url, namespace.database("kit"))
    try:
        yield database
    finally:
        database.close()


class Commits:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


async def _stored(database: Database, thing_id: str) -> dict[str, Any]:
    document: dict[str, Any] | None = await database.system_collection("things").find_one(
        {"_id": thing_id}
    )
    assert document is not None
    return document


async def test_add_stores_version_1_with_its_events_in_the_outbox(database: Database) -> None:
    commits = Commits()
    repository = ThingRepository(database, "acme", on_commit=commits)
    thing = Thing.create("acme", "First")

    await repository.add(thing)

    assert thing.version == 1
    assert commits.count == 1
    stored = await _stored(database, thing.id)
    assert stored["tenant"] == "acme"
    assert stored["version"] == 1
    assert stored["label"] == "First"
    [event] = stored["outbox"]
    assert event["type"] == "portal.kit.thing.created"
    assert event["subject"] == thing.id
    assert event["tenant"] == "acme"
    assert event["data"] == {"thing_id": thing.id, "label": "First"}
    loaded = await repository.get(thing.id)
    assert loaded == Thing(id=thing.id, tenant="acme", version=1, label="First")


async def test_add_twice_is_a_duplicate(database: Database) -> None:
    repository = ThingRepository(database, "acme")
    thing = Thing.create("acme", "First")
    await repository.add(thing)
    again = Thing(id=thing.id, tenant="acme", label="Second")
    with pytest.raises(Conflict) as raised:
        await repository.add(again)
    assert raised.value.code == "DUPLICATE"
    assert (await _stored(database, thing.id))["label"] == "First"


async def test_save_appends_events_and_bumps_version(database: Database) -> None:
    commits = Commits()
    repository = ThingRepository(database, "acme", on_commit=commits)
    thing = Thing.create("acme", "First")
    await repository.add(thing)

    thing.rename("Second")
    await repository.save(thing)

    assert thing.version == 2
    assert commits.count == 2
    stored = await _stored(database, thing.id)
    assert stored["label"] == "Second"
    assert [e["type"] for e in stored["outbox"]] == [
        "portal.kit.thing.created",
        "portal.kit.thing.renamed",
    ]


async def test_stale_save_changes_nothing_and_adds_no_event(database: Database) -> None:
    commits = Commits()
    repository = ThingRepository(database, "acme", on_commit=commits)
    thing = Thing.create("acme", "First")
    await repository.add(thing)
    mine = await repository.get(thing.id)
    theirs = await repository.get(thing.id)
    assert mine is not None and theirs is not None

    theirs.rename("Theirs")
    await repository.save(theirs)
    before = await _stored(database, thing.id)
    commits_before = commits.count

    mine.rename("Mine")
    mine.annotate("late")
    with pytest.raises(StaleVersion) as raised:
        await repository.save(mine)

    assert raised.value.code == "STALE_VERSION"
    assert raised.value.field == "version"
    assert mine.version == 1
    assert await _stored(database, thing.id) == before
    assert before["version"] == 2
    assert before["label"] == "Theirs"
    assert len(before["outbox"]) == 2
    assert commits.count == commits_before


async def test_save_without_events_leaves_the_outbox_alone(database: Database) -> None:
    commits = Commits()
    repository = ThingRepository(database, "acme", on_commit=commits)
    thing = Thing.create("acme", "First")
    await repository.add(thing)
    outbox_before = (await _stored(database, thing.id))["outbox"]

    thing.annotate("quiet change")
    await repository.save(thing)

    stored = await _stored(database, thing.id)
    assert stored["outbox"] == outbox_before
    assert stored["notes"] == "quiet change"
    assert stored["version"] == 2
    assert commits.count == 1  # only the add woke the relay


async def test_another_tenant_cannot_load_or_save_it(database: Database) -> None:
    thing = Thing.create("acme", "First")
    await ThingRepository(database, "acme").add(thing)
    other = ThingRepository(database, "globex")

    assert await other.get(thing.id) is None
    assert await other.count() == 0
    assert await other.find({}) == []
    thing.rename("Hijacked")
    with pytest.raises(StaleVersion):
        await other.save(thing)
    stored = await _stored(database, thing.id)
    assert stored["label"] == "First"
    assert len(stored["outbox"]) == 1


@dataclass(kw_only=True)
class Diary(Aggregate):
    entries: list[str]
    loaded: int = 0  # how many entries the stored document held when this one was loaded


class DiaryRepository(AggregateRepository[Diary]):
    """A log that only grows: new entries are pushed, never `$set` over other writers'."""

    collection = "diaries"
    service = "kit"

    def to_document(self, aggregate: Diary) -> Document:
        return {"entries": list(aggregate.entries)}

    def from_document(self, document: Document) -> Diary:
        entries = list(document["entries"])
        return Diary(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            entries=entries,
            loaded=len(entries),
        )

    def appended(self, aggregate: Diary) -> dict[str, list[Any]]:
        return {"entries": aggregate.entries[aggregate.loaded :]}

    def saved(self, aggregate: Diary) -> None:
        aggregate.loaded = len(aggregate.entries)


async def test_a_growing_array_is_pushed_so_saves_in_a_row_keep_every_entry(
    database: Database,
) -> None:
    diaries = DiaryRepository(database, "jm")
    diary = Diary(id=new_id(), tenant="jm", entries=["registered"])
    await diaries.add(diary)
    assert diary.loaded == 1
    diary.entries.append("accepted")
    await diaries.save(diary)
    diary.entries.append("booked")
    await diaries.save(diary)
    stored = await diaries.get(diary.id)
    assert stored is not None
    assert stored.entries == ["registered", "accepted", "booked"]
    assert stored.version == 3


async def test_the_repository_gives_each_event_its_place_in_the_aggregates_history(
    database: Database,
) -> None:
    repository = ThingRepository(database, "acme")
    thing = Thing.create("acme", "First")
    await repository.add(thing)
    thing.rename("Second")
    thing.rename("Third")
    await repository.save(thing)
    stored = await database.system_collection("things").find_one({"_id": thing.id})
    sequences = [e["sequence"] for e in stored["outbox"]]
    assert sequences == ["000000000001.0000", "000000000002.0000", "000000000002.0001"]


async def test_a_save_while_a_relay_claims_the_document_keeps_the_claim(
    database: Database,
) -> None:
    repository = ThingRepository(database, "acme")
    thing = Thing.create("acme", "First")
    await repository.add(thing)
    claims = Claims(OUTBOX, lease_seconds=30.0, longest_publish=5.0, clock=time.time)
    claim = await claims.take(database.system_collection("things"), [thing.id])
    assert list(claim.documents) == [thing.id]

    loaded = await repository.get(thing.id)
    assert loaded is not None
    loaded.rename("Second")
    await repository.save(loaded)  # not blocked by the claim

    stored = await _stored(database, thing.id)
    # The relay's claim is as it set it, and the save's event waits behind the claimed one.
    assert stored[CLAIM]["token"] == claim.token and stored[CLAIM]["by"] == claims.holder
    assert stored["label"] == "Second" and stored["version"] == 2
    assert [e["type"] for e in stored["outbox"]] == [
        "portal.kit.thing.created",
        "portal.kit.thing.renamed",
    ]
