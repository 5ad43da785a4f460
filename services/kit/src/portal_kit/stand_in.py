"""The in-memory stand-in's scans made cheaper, with the same answers.

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
(strings, numbers, ids, dates) and hand anything else to mongomock's own code as before."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.tz_util import utc

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


def apply() -> None:
    """Patch mongomock's collection scan (once per process)."""
    global _patched
    if _patched:
        return
    from mongomock import collection, helpers
    from mongomock.collection import Collection
    from mongomock.filtering import filter_applies

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
    _patched = True
