"""Tenant-scoped collections: one tenant's documents never show through another's handle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from portal_kit.mongo import Database, IndexSpec, TenantRequired, connect_database
from portal_kit.testing.plugin import TestNamespace
from pymongo.errors import DuplicateKeyError


@pytest.fixture
async def database(mongo_url: str | None, namespace: TestNamespace) -> AsyncIterator[Database]:
    database = connect_database(mongo_url, namespace.database("kit"))
    try:
        yield database
    finally:
        database.close()


async def _seed(database: Database) -> None:
    alpha = database.for_tenant("things", "alpha")
    beta = database.for_tenant("things", "beta")
    await alpha.insert_one({"_id": "a1", "label": "shared", "n": 1})
    await alpha.insert_one({"_id": "a2", "label": "alpha only", "n": 2})
    await beta.insert_one({"_id": "b1", "label": "shared", "n": 10})


async def _raw(database: Database, document_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = await database.system_collection("things").find_one(
        {"_id": document_id}
    )
    return found


async def test_documents_carry_their_tenant(database: Database) -> None:
    await _seed(database)
    stored = await _raw(database, "a1")
    assert stored is not None
    assert stored["tenant"] == "alpha"


async def test_reads_and_counts_see_only_own_tenant(database: Database) -> None:
    await _seed(database)
    beta = database.for_tenant("things", "beta")

    assert [d["_id"] for d in await beta.find()] == ["b1"]
    assert [d["_id"] for d in await beta.find({"label": "shared"})] == ["b1"]
    assert await beta.count() == 1
    assert await beta.count({"label": "alpha only"}) == 0
    assert await beta.find_one({"_id": "a1"}) is None
    alpha = database.for_tenant("things", "alpha")
    assert sorted(d["_id"] for d in await alpha.find(sort=[("n", 1)])) == ["a1", "a2"]
    assert await alpha.count({"n": {"$gte": 0}}) == 2


async def test_other_tenants_documents_cannot_be_updated(database: Database) -> None:
    await _seed(database)
    beta = database.for_tenant("things", "beta")

    assert await beta.update_one({"_id": "a1"}, {"$set": {"label": "hijacked"}}) == 0
    assert await beta.find_one_and_update({"_id": "a1"}, {"$set": {"label": "hijacked"}}) is None
    # An upsert through beta cannot reach alpha's document either: it collides on the id.
    with pytest.raises(DuplicateKeyError):
        await beta.find_one_and_update({"_id": "a1"}, {"$set": {"label": "x"}}, upsert=True)

    stored = await _raw(database, "a1")
    assert stored is not None
    assert stored["label"] == "shared"
    assert stored["tenant"] == "alpha"


async def test_upsert_creates_document_in_own_tenant(database: Database) -> None:
    beta = database.for_tenant("things", "beta")
    created = await beta.find_one_and_update({"_id": "new"}, {"$set": {"label": "x"}}, upsert=True)
    assert created is not None
    assert created["tenant"] == "beta"
    assert await database.for_tenant("things", "alpha").count() == 0


@pytest.mark.parametrize(
    "filter_",
    [{"tenant": "alpha"}, {"tenant": {"$ne": "beta"}}, {"tenant": {"$in": ["alpha", "beta"]}}],
)
async def test_filter_naming_another_tenant_is_refused(
    database: Database, filter_: dict[str, Any]
) -> None:
    await _seed(database)
    beta = database.for_tenant("things", "beta")

    with pytest.raises(TenantRequired):
        await beta.find(filter_)
    with pytest.raises(TenantRequired):
        await beta.find_one(filter_)
    with pytest.raises(TenantRequired):
        await beta.count(filter_)
    with pytest.raises(TenantRequired):
        await beta.update_one(filter_, {"$set": {"label": "x"}})
    with pytest.raises(TenantRequired):
        await beta.find_one_and_update(filter_, {"$set": {"label": "x"}})


async def test_naming_own_tenant_is_allowed(database: Database) -> None:
    await _seed(database)
    beta = database.for_tenant("things", "beta")
    assert await beta.count({"tenant": "beta"}) == 1


async def test_insert_for_another_tenant_is_refused(database: Database) -> None:
    beta = database.for_tenant("things", "beta")
    with pytest.raises(TenantRequired):
        await beta.insert_one({"_id": "x", "tenant": "alpha"})
    assert await _raw(database, "x") is None


@pytest.mark.parametrize(
    "update",
    [
        {"$set": {"tenant": "beta"}},
        {"$unset": {"tenant": ""}},
        {"$rename": {"tenant": "was_tenant"}},
        {"$rename": {"label": "tenant"}},
        {"$set": {"label": "x", "tenant.sub": 1}},
    ],
)
async def test_update_cannot_move_a_document_to_another_tenant(
    database: Database, update: dict[str, Any]
) -> None:
    await _seed(database)
    alpha = database.for_tenant("things", "alpha")

    with pytest.raises(TenantRequired):
        await alpha.update_one({"_id": "a1"}, update)
    with pytest.raises(TenantRequired):
        await alpha.find_one_and_update({"_id": "a1"}, update)

    stored = await _raw(database, "a1")
    assert stored is not None
    assert stored["tenant"] == "alpha"
    assert stored["label"] == "shared"


@pytest.mark.parametrize("tenant", ["", None])
def test_empty_tenant_is_refused(database: Database, tenant: Any) -> None:
    with pytest.raises(TenantRequired):
        database.for_tenant("things", tenant)


async def test_aggregate_is_scoped_to_the_tenant(database: Database) -> None:
    await _seed(database)
    alpha = database.for_tenant("things", "alpha")

    totals = await alpha.aggregate([{"$group": {"_id": "$label", "total": {"$sum": "$n"}}}])
    assert sorted((t["_id"], t["total"]) for t in totals) == [("alpha only", 2), ("shared", 1)]
    # A later stage cannot widen the scope: the tenant match runs first.
    assert await alpha.aggregate([{"$match": {"tenant": "beta"}}]) == []


def test_index_must_start_with_tenant() -> None:
    with pytest.raises(ValueError, match="tenant"):
        IndexSpec("things", (("label", 1),))
    with pytest.raises(ValueError, match="tenant"):
        IndexSpec("things", (("label", 1), ("tenant", 1)))
    with pytest.raises(ValueError, match="tenant"):
        IndexSpec("things", ())
    IndexSpec("things", (("tenant", 1), ("label", 1)), unique=True)


async def test_unique_index_is_unique_per_tenant(database: Database) -> None:
    await database.ensure_indexes(
        [IndexSpec("things", (("tenant", 1), ("code", 1)), unique=True, name="tenant_code")]
    )
    alpha = database.for_tenant("things", "alpha")
    beta = database.for_tenant("things", "beta")
    await alpha.insert_one({"_id": "a1", "code": "X"})
    await beta.insert_one({"_id": "b1", "code": "X"})
    with pytest.raises(DuplicateKeyError):
        await alpha.insert_one({"_id": "a2", "code": "X"})


async def test_ping(database: Database) -> None:
    assert await database.ping() is True


@pytest.mark.parametrize("stage", ["$lookup", "$unionWith", "$graphLookup", "$out", "$merge"])
async def test_aggregate_refuses_stages_that_reach_other_collections(database, stage):
    orders = database.for_tenant("orders", "acme")
    await orders.insert_one({"_id": "o1"})
    with pytest.raises(TenantRequired):
        await orders.aggregate([{stage: {"from": "orders", "as": "x"}}])


async def test_facets_are_allowed_but_not_a_lookup_inside_one(database):
    orders = database.for_tenant("orders", "acme")
    await orders.insert_one({"_id": "o1", "status": "new"})
    await database.for_tenant("orders", "other").insert_one({"_id": "o2", "status": "new"})
    counted = await orders.aggregate([{"$facet": {"n": [{"$count": "n"}]}}])
    assert counted == [{"n": [{"n": 1}]}]
    with pytest.raises(TenantRequired):
        await orders.aggregate([{"$facet": {"x": [{"$lookup": {"from": "orders", "as": "y"}}]}}])


async def test_insert_many_gives_every_document_the_tenant(database: Database) -> None:
    beta = database.for_tenant("things", "beta")
    documents = [{"_id": "b1", "n": 1}, {"_id": "b2", "n": 2, "tenant": "beta"}]
    assert await beta.insert_many(documents) == 2
    assert await beta.insert_many([]) == 0
    assert [d["_id"] for d in await beta.find(sort=[("n", 1)])] == ["b1", "b2"]
    for document_id in ("b1", "b2"):
        stored = await _raw(database, document_id)
        assert stored is not None
        assert stored["tenant"] == "beta"
    assert await database.for_tenant("things", "alpha").count() == 0


async def test_insert_many_naming_another_tenant_inserts_nothing(database: Database) -> None:
    beta = database.for_tenant("things", "beta")
    with pytest.raises(TenantRequired):
        await beta.insert_many([{"_id": "b1"}, {"_id": "x", "tenant": "alpha"}, {"_id": "b3"}])
    # Checked before anything was written: not even the documents before the bad one exist.
    for document_id in ("b1", "x", "b3"):
        assert await _raw(database, document_id) is None


async def test_delete_one_removes_only_own_tenants_document(database: Database) -> None:
    await _seed(database)
    alpha = database.for_tenant("things", "alpha")
    beta = database.for_tenant("things", "beta")

    assert await beta.delete_one({"_id": "a1"}) == 0
    assert await _raw(database, "a1") is not None
    # The label matches documents of both tenants: beta's goes, alpha's stays.
    assert await beta.delete_one({"label": "shared"}) == 1
    assert await _raw(database, "b1") is None
    assert await _raw(database, "a1") is not None
    assert await alpha.delete_one({"_id": "a1"}) == 1
    assert await alpha.delete_one({"_id": "a1"}) == 0
    assert [d["_id"] for d in await alpha.find()] == ["a2"]


async def test_delete_many_never_reaches_another_tenant(database: Database) -> None:
    await _seed(database)
    beta = database.for_tenant("things", "beta")

    # Even an empty filter means "all of mine", never "all".
    assert await beta.delete_many({}) == 1
    assert await beta.count() == 0
    alpha = database.for_tenant("things", "alpha")
    assert await alpha.count() == 2
    assert await beta.delete_many({"_id": {"$in": ["a1", "a2"]}}) == 0
    assert await alpha.count() == 2
    assert await alpha.delete_many({"n": {"$gte": 1}}) == 2
    assert await alpha.count() == 0


@pytest.mark.parametrize(
    "filter_",
    [{"tenant": "alpha"}, {"tenant": {"$ne": "beta"}}, {"tenant": {"$in": ["alpha", "beta"]}}],
)
async def test_delete_naming_another_tenant_is_refused(
    database: Database, filter_: dict[str, Any]
) -> None:
    await _seed(database)
    beta = database.for_tenant("things", "beta")
    with pytest.raises(TenantRequired):
        await beta.delete_one(filter_)
    with pytest.raises(TenantRequired):
        await beta.delete_many(filter_)
    assert await database.for_tenant("things", "alpha").count() == 2
    assert await beta.count() == 1
