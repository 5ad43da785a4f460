"""The in-memory stand-in's scans and updates made cheaper, with the same answers.

mongomock matches every document of a collection against a filter with its general matcher
(about 10 µs a document), for `find_one({"_id": …})` as for anything: a service on the stand-in
spends most of its time there, and so do the tests. Two shortcuts, before that matcher, never
instead of it:

- a filter on `_id` equal to a value (or `$in` values), also within `$and`, looks the
  documents up by id, as MongoDB's `_id` index would;
- a filter's plain equalities (`{"tenant": "jm", "status": "new"}`) first drop the documents
  whose field holds a different value of the same type (or nothing), which a dict lookup tells.

Whatever is left is still matched by mongomock itself, so a shortcut can only skip documents
that could not match; the documents come in the order mongomock would give them.

Every document found is copied twice (out of the store, then again to make its dates
timezone-aware), field by field through `copy.copy`: both copies share what cannot change
(strings, numbers, ids, dates) and hand anything else to mongomock's own code as before.

An update (`update_one`, `update_many`, `find_one_and_update`, `replace_one`: all
`Collection._update`) runs mongomock 4.3.0's own `_update`, copied here with two changes:

- the snapshot of each document it changes (to compare with, and to put back when the update
  fails) is a structural copy: dicts and lists copied, what cannot change (strings, numbers,
  ids, dates, Decimal128 …) shared, anything else through `copy.deepcopy`, with one memo, so
  a list held twice is still one list twice, as `copy.deepcopy` gives it;
- the unique indexes' check, which scans the collection once per unique index, is left out when
  it can only pass: every unique index is plain (neither sparse nor partial, no dotted key), the
  update left each of its key values exactly as it was (same type, same value, each a string,
  an int, an ObjectId or null/missing), and nothing has ever put a value the check could see
  differently from here into the collection. That last is remembered per collection: a
  document written with another kind of value in a unique key (a list matches what it holds,
  mongomock's check is not symmetric then), a unique index made over such documents, or an
  update that failed half-way (mongomock leaves what it had already changed, unchecked) marks
  the collection, and from then on its updates are always checked. Otherwise the check passed
  when these key values were written, has seen every document written since, and such values
  match alike from either side: it would pass again.

The check, when it runs, is the same call as before (mongomock-motor's wrapper of it included,
so a duplicate raises the same error with the same details). On an order of about 110 values
with two unique indexes an update_one went from about 135 µs (200–260 µs among 200 orders, the
check growing with the collection) to about 55 µs (60 µs), as
`services/kit/bench/bench_stand_in_update.py` measures it. `apply()` must come before the
first client (as in `mongo.connect_database`): mongomock-motor binds each collection's check
when it wraps it. With another mongomock version than 4.3.0 updates are left as they are."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from bson import ObjectId
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.timestamp import Timestamp
from bson.tz_util import utc
from pymongo.errors import DuplicateKeyError

_EXACT = (str, int, ObjectId)  # values whose equality and hashing MongoDB's agree with here
_patched = False


def _exact(value: Any) -> bool:
    return isinstance(value, _EXACT) and not isinstance(value, bool)


def _parts(filter_: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The filter and the members of its `$and`s: each must hold of a document found."""
    yield filter_
    members = filter_.get("$and")
    if isinstance(members, list | tuple):
        for member in members:
            if isinstance(member, Mapping):
                yield from _parts(member)


def _ids(filter_: Mapping[str, Any]) -> set[Any] | None:
    """The ids a filter limits the documents to, where it says so plainly."""
    found: set[Any] | None = None
    for part in _parts(filter_):
        if "_id" not in part:
            continue
        wanted = part["_id"]
        ids: set[Any] | None = None
        if _exact(wanted):
            ids = {wanted}
        elif isinstance(wanted, Mapping) and set(wanted) == {"$in"}:
            values = wanted["$in"]
            if isinstance(values, list | tuple) and all(_exact(v) for v in values):
                ids = set(values)
        if ids is not None:
            found = ids if found is None else found & ids
    return found


COMMON = "tenant"  # portal_kit.mongo.TENANT: every document of a tenant holds the same one


def _equalities(filter_: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The filter's plain equalities, the one most documents share (the tenant) last."""
    found = [
        (key, value)
        for part in _parts(filter_)
        for key, value in part.items()
        if not key.startswith("$") and "." not in key and key != "_id" and _exact(value)
    ]
    return sorted(found, key=lambda pair: pair[0] == COMMON)


def _candidates(
    documents: Iterable[Any], ids: set[Any] | None, equalities: list[tuple[str, Any]]
) -> list[Any]:
    if ids is not None:
        documents = [document for key, document in documents if key in ids]
    else:
        documents = [document for _, document in documents]
    if not equalities:
        return documents
    key, value = equalities[0]
    kind = type(value)
    # Inline for the first (most telling) equality: most documents end here.
    first = [
        document
        for document in documents
        if (held := document.get(key)) is not None and (type(held) is not kind or held == value)
    ]
    rest = equalities[1:]
    return [document for document in first if _may_match(document, rest)] if rest else first


def _may_match(document: Mapping[str, Any], equalities: list[tuple[str, Any]]) -> bool:
    for key, value in equalities:
        held = document.get(key)
        if held is None or (type(held) is type(value) and held != value):
            return False  # a missing field, or another value of the same type: no match
    return True


_SHARED = frozenset({str, int, float, bool, type(None), ObjectId, bytes})


def _fast_copy(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def copy_field(value: Any, container: Any) -> Any:
        kind = type(value)
        if kind in _SHARED or kind is datetime:
            return value
        if kind is list:
            return [copy_field(item, container) for item in value]
        if kind is dict and container is dict:
            return {key: copy_field(item, container) for key, item in value.items()}
        return original(value, container)

    return copy_field


def _fast_aware(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def aware(value: Any) -> Any:
        kind = type(value)
        if kind in _SHARED:
            return value
        if kind is dict:
            return {key: aware(item) for key, item in value.items()}
        if kind is list:
            return [aware(item) for item in value]
        if kind is datetime:
            return value.replace(tzinfo=utc)
        return original(value)

    return aware


# Values a snapshot may share with the document: none of them can be changed in place.
_ATOMIC = frozenset(
    {str, int, float, bool, type(None), bytes, ObjectId, datetime, date, time, timedelta}
    | {Decimal, Decimal128, Int64, Timestamp, UUID}
)


def snapshot(value: Any) -> Any:
    """What `copy.deepcopy(value)` gives, in value and in shape, sharing the atomic values."""
    if type(value) in _ATOMIC:
        return value
    return _copy(value, {})


def _copy(value: Any, memo: dict[int, Any], atomic: frozenset[type] = _ATOMIC) -> Any:
    # One memo, in copy.deepcopy's own form (id -> copy), for the containers copied here and
    # for whatever is handed to copy.deepcopy: aliasing inside a document survives as it would.
    # (`atomic` is a local name, not a global looked up for every value: a quarter faster.)
    kind = type(value)
    if kind is dict:
        copied = memo.get(id(value))
        if copied is None:
            copied = memo[id(value)] = {}
            for key, item in value.items():
                if type(key) is not str:
                    key = copy.deepcopy(key, memo)
                copied[key] = item if type(item) in atomic else _copy(item, memo)
        return copied
    if kind is list:
        copied = memo.get(id(value))
        if copied is None:
            copied = memo[id(value)] = []
            append = copied.append
            for item in value:
                append(item if type(item) in atomic else _copy(item, memo))
        return copied
    if kind in atomic:
        return value
    return copy.deepcopy(value, memo)


_MISSING = object()
_UNVERIFIED = "_stand_in_unverified"  # set on a mongomock CollectionStore: see the docstring
_PLAIN_KEYS = frozenset({str, int, ObjectId, type(None)})  # matched alike from either side


def _plain_unique(index: Mapping[str, Any]) -> bool:
    return (
        not index.get("sparse")
        and index.get("partialFilterExpression") is None
        and all("." not in field for field, _ in index["key"])
    )


def _plain_key(value: Any) -> bool:
    return value is _MISSING or type(value) in _PLAIN_KEYS


def _note(store: Any, document: Mapping[str, Any]) -> None:
    """Mark the collection when a document holds a key value the skip could not answer for."""
    for index in store.indexes.values():
        if index.get("unique") and _plain_unique(index):
            for field, _ in index["key"]:
                if not _plain_key(document.get(field, _MISSING)):
                    setattr(store, _UNVERIFIED, True)
                    return


def _uniques_unchanged(store: Any, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether mongomock's unique check of `new` can only pass (see the module docstring)."""
    uniques = [index for index in store.indexes.values() if index.get("unique")]
    if not uniques:
        return True  # the check would look at nothing
    if getattr(store, _UNVERIFIED, False):
        return False
    for index in uniques:
        if not _plain_unique(index):
            return False
        for field, _ in index["key"]:
            before = old.get(field, _MISSING)
            after = new.get(field, _MISSING)
            if type(before) is not type(after) or before != after or not _plain_key(before):
                return False
    return True


def _checked(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """mongomock's unique check, noting what it let into the collection."""

    def _ensure_uniques(self: Any, new_data: Any) -> None:
        try:
            original(self, new_data)
        except DuplicateKeyError:
            raise  # the caller takes the document back out
        except BaseException:
            setattr(self._store, _UNVERIFIED, True)  # the document stays, not fully checked
            raise
        _note(self._store, new_data)

    return _ensure_uniques


def _indexed(original: Callable[[Any, str, Any], None]) -> Callable[[Any, str, Any], None]:
    """A unique index made over documents already there: mark the collection if need be."""

    def create_index(self: Any, index_name: str, index_dict: Any) -> None:
        original(self, index_name, index_dict)
        if index_dict.get("unique") and _plain_unique(index_dict):
            for document in self._documents.values():
                _note(self, document)

    return create_index


def _fast_update(mm: Any) -> Callable[..., Any]:
    """mongomock 4.3.0's `Collection._update` (`mm`: its collection module), with the
    snapshot and the unique check as the module docstring says; otherwise line for line."""
    helpers = mm.helpers
    raise_not_implemented = mm.raise_not_implemented
    validate_is_mapping = mm.validate_is_mapping
    validate_list_or_mapping = mm.validate_list_or_mapping
    validate_document_stages = mm._validate_document_stages
    updaters = mm._updaters
    write_error = mm.WriteError
    object_id = mm.ObjectId

    def _update(
        self: Any,
        spec: Any,
        document: Any,
        upsert: bool = False,
        manipulate: bool = False,
        multi: bool = False,
        check_keys: bool = False,
        hint: Any = None,
        session: Any = None,
        collation: Any = None,
        let: Any = None,
        array_filters: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if session:
            raise_not_implemented("session", "Mongomock does not handle sessions yet")
        if hint:
            raise NotImplementedError(
                "The hint argument of update is valid but has not been implemented in mongomock yet"
            )
        if collation:
            raise_not_implemented(
                "collation",
                "The collation argument of update is valid but has not been implemented in "
                "mongomock yet",
            )
        if array_filters:
            raise_not_implemented(
                "array_filters", "Array filters are not implemented in mongomock yet."
            )
        if let:
            raise_not_implemented(
                "let",
                "The let argument of update is valid but has not been implemented in mongomock yet",
            )
        spec = helpers.patch_datetime_awareness_in_document(spec)
        document = helpers.patch_datetime_awareness_in_document(document)
        validate_is_mapping("spec", spec)
        validate_list_or_mapping("document", document)

        if isinstance(document, list):
            validate_document_stages(document)

        if self.database.client.server_info()["versionArray"] < [5]:
            for operator in updaters:
                if not document.get(operator, True):
                    raise write_error(
                        f"'{operator}' is empty. You must specify a field like so: "
                        f"{{{operator}: {{<field>: ...}}}}"
                    )

        updated_existing = False
        upserted_id = None
        num_updated = 0
        num_matched = 0
        for existing_document in itertools.chain(self._iter_documents(spec), [None]):
            # we need was_insert for the setOnInsert update operation
            was_insert = False
            # the sentinel document means we should do an upsert
            if existing_document is None:
                if not upsert or num_matched:
                    continue
                # For upsert operation we have first to create a fake existing_document,
                # update it like a regular one, then finally insert it
                if spec.get("_id") is not None:
                    _id = spec["_id"]
                elif not isinstance(document, list) and document.get("_id") is not None:
                    _id = document["_id"]
                else:
                    _id = object_id()
                to_insert = dict(spec, _id=_id)
                to_insert = self._expand_dots(to_insert)
                to_insert, _ = self._discard_operators(to_insert)
                existing_document = to_insert
                was_insert = True
            else:
                original_document_snapshot = snapshot(existing_document)
                updated_existing = True
            num_matched += 1

            try:
                if isinstance(document, list):
                    self._apply_update_pipeline(existing_document, document, session)
                else:
                    self._apply_update_document(existing_document, spec, document, was_insert)
            except BaseException:
                if not was_insert:
                    # mongomock keeps what it changed before the error, unchecked.
                    setattr(self._store, _UNVERIFIED, True)
                raise

            if was_insert:
                upserted_id = self._insert(existing_document)
                num_updated += 1
            elif existing_document != original_document_snapshot:
                # Document has been modified in-place.

                # Make sure the ID was not change.
                if original_document_snapshot.get("_id") != existing_document.get("_id"):
                    # Rollback.
                    self._store[original_document_snapshot["_id"]] = original_document_snapshot
                    raise write_error(
                        "After applying the update, the (immutable) field '_id' was found to "
                        "have been altered to _id: {}".format(existing_document.get("_id"))
                    )

                # Make sure it still respect the unique indexes and, if not, to
                # revert modifications
                try:
                    if not _uniques_unchanged(
                        self._store, original_document_snapshot, existing_document
                    ):
                        self._ensure_uniques(existing_document)
                    num_updated += 1
                except DuplicateKeyError:
                    # Rollback.
                    self._store[original_document_snapshot["_id"]] = original_document_snapshot
                    raise
            else:
                # Equal is not identical (1 == 1.0 == True): a key may have changed its type.
                _note(self._store, existing_document)

            if not multi:
                break

        return {
            "connectionId": self.database.client._id,
            "err": None,
            "n": num_matched,
            "nModified": num_updated if updated_existing else 0,
            "ok": 1,
            "upserted": upserted_id,
            "updatedExisting": updated_existing,
        }

    return _update


def apply() -> None:
    """Patch mongomock's collection scan and updates (once per process)."""
    global _patched
    if _patched:
        return
    import mongomock
    from mongomock import collection, helpers
    from mongomock.collection import Collection
    from mongomock.filtering import filter_applies
    from mongomock.store import CollectionStore

    collection._copy_field = _fast_copy(collection._copy_field)
    helpers.make_datetime_timezone_aware_in_document = _fast_aware(
        helpers.make_datetime_timezone_aware_in_document
    )

    scan = Collection._iter_documents

    def _iter_documents(self: Any, filter_: Any) -> Iterator[Any]:
        if not isinstance(filter_, Mapping) or self._store.is_empty:
            return scan(self, filter_)  # type: ignore[no-untyped-call,no-any-return]
        ids = _ids(filter_)
        equalities = _equalities(filter_)
        store = self._store
        candidates: list[Any]
        if ids is not None and len(ids) <= 1:
            found = store._documents.get(next(iter(ids))) if ids else None
            candidates = [] if found is None else [found]
        else:
            candidates = _candidates(list(store._documents.items()), ids, equalities)
        matches: Any = filter_applies  # mongomock is untyped
        return (document for document in candidates if matches(filter_, document))

    Collection._iter_documents = _iter_documents  # type: ignore[method-assign]

    # The update shortcuts copy mongomock 4.3.0's _update: another version keeps its own.
    if getattr(mongomock, "__version__", None) == "4.3.0":
        Collection._update = _fast_update(collection)  # type: ignore[method-assign]
        Collection._ensure_uniques = _checked(  # type: ignore[method-assign]
            Collection._ensure_uniques
        )
        CollectionStore.create_index = _indexed(  # type: ignore[method-assign]
            CollectionStore.create_index
        )
    _patched = True
