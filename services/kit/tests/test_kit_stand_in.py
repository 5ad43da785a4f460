"""The stand-in's shortcuts answer exactly what mongomock's own matcher answers."""

from __future__ import annotations

from typing import Any

import mongomock
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st
from mongomock.filtering import filter_applies
from portal_kit import stand_in

stand_in.apply()

OIDS = [ObjectId() for _ in range(3)]
scalars = st.one_of(
    st.sampled_from(["a", "b", "Å", ""]),
    st.integers(-2, 2),
    st.sampled_from([1.0, 2.5, True, False, None]),
    st.sampled_from(OIDS),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.fixed_dictionaries({"x": scalars}))
ids = st.one_of(st.sampled_from(["o1", "o2", "o3", "o4"]), st.integers(0, 3), st.sampled_from(OIDS))
documents = st.fixed_dictionaries(
    {"_id": ids},
    optional={"tenant": scalars, "status": values, "n": values, "tags": st.lists(scalars)},
)
conditions = st.one_of(
    scalars,
    st.fixed_dictionaries({"$in": st.lists(scalars, max_size=3)}),
    st.fixed_dictionaries({"$ne": scalars}),
    st.fixed_dictionaries({"$exists": st.booleans()}),
)
plain_filters = st.dictionaries(
    st.sampled_from(["_id", "tenant", "status", "n", "tags", "status.x"]),
    st.one_of(conditions, st.fixed_dictionaries({"$in": st.lists(ids, max_size=3)})),
    max_size=3,
)
filters = st.one_of(
    plain_filters,
    st.builds(
        lambda outer, members: {**outer, "$and": members},
        plain_filters,
        st.lists(plain_filters, min_size=1, max_size=3),
    ),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(documents, max_size=8), filters)
def test_the_shortcuts_find_what_the_full_scan_finds(
    docs: list[dict[str, Any]], filter_: dict[str, Any]
) -> None:
    collection = mongomock.MongoClient().db.things
    docs = list({d["_id"]: d for d in docs}.values())  # one per id
    if docs:
        collection.insert_many([dict(d) for d in docs])
    stored = list(collection._store.documents)
    expected = [d["_id"] for d in stored if filter_applies(filter_, d)]
    assert [d["_id"] for d in collection.find(filter_)] == expected
    assert collection.count_documents(filter_) == len(expected)
    first = collection.find_one(filter_)
    assert (first or {}).get("_id") == (expected[0] if expected else None)


def test_an_update_by_id_changes_that_document_only() -> None:
    collection = mongomock.MongoClient().db.orders
    collection.insert_many([{"_id": f"o{i}", "tenant": "jm", "v": 1} for i in range(5)])
    collection.insert_one({"_id": "o9", "tenant": "fb", "v": 1})
    result = collection.update_one({"_id": "o3", "tenant": "jm"}, {"$inc": {"v": 1}})
    assert result.matched_count == 1
    assert (
        collection.update_one({"_id": "o9", "tenant": "jm"}, {"$inc": {"v": 1}}).matched_count == 0
    )
    assert [d["v"] for d in collection.find({}, sort=[("_id", 1)])] == [1, 1, 1, 2, 1, 1]
