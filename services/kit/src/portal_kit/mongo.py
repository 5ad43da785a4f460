"""MongoDB access where every read and write is scoped to one tenant.

A `TenantCollection` is the only handle repositories get: it adds the tenant to every filter,
document and aggregation, so a query without a tenant cannot be expressed. The in-memory stand-in
(mongomock-motor) is used only when no MongoDB URL is configured, and says so loudly; outside
dev mode and the tests a service refuses to start without one (`ServiceSettings.check_database`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from portal_kit import stand_in

log = logging.getLogger(__name__)

Document = dict[str, Any]
TENANT = "tenant"


class TenantRequired(ValueError):
    """Raised when code tries to reach data without naming a tenant."""


@dataclass(frozen=True)
class IndexSpec:
    """An index a service declares in code; it must start with the tenant id (rule 3)."""

    collection: str
    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    name: str | None = None
    partial: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.keys or self.keys[0][0] != TENANT:
            raise ValueError(f"index on {self.collection} must start with '{TENANT}'")


# The outbox relay's index, on every outbox collection (runtime.py declares it at start-up). A
# partial index holds only the documents with unpublished events, so the relay's pass reads the
# few pending ones instead of scanning the collection. Keyed on the tenant first (rule 3), it is
# of no use to the planner for the relay's query across tenants, which has no tenant condition:
# the relay names it (a hint) and reads it whole. Its filter is part of the relay's query (which
# adds only the claim condition, outbox_claims.py), so the query implies it, as a hinted partial
# index requires.
PENDING_OUTBOX_INDEX = "pending_outbox"


def pending_outbox(field: str) -> Document:
    """The filter of documents whose outbox array `field` has an event in it."""
    return {f"{field}.0": {"$exists": True}}


def pending_outbox_index(collection: str, field: str) -> IndexSpec:
    return IndexSpec(
        collection,
        ((TENANT, ASCENDING), ("_id", ASCENDING)),
        name=PENDING_OUTBOX_INDEX,
        partial=pending_outbox(field),
    )


class Database:
    """A service's own database; hands out tenant-scoped collections only."""

    def __init__(self, raw: Any, *, client: Any, stand_in: bool) -> None:
        self._raw = raw
        self._client = client
        self.stand_in = stand_in

    def for_tenant(self, collection: str, tenant: str) -> TenantCollection:
        return TenantCollection(self._raw[collection], tenant)

    async def ping(self) -> bool:
        try:
            await self._raw.command("ping")
        except Exception:
            return False
        return True

    async def ensure_indexes(self, specs: Sequence[IndexSpec]) -> None:
        for spec in specs:
            options: dict[str, Any] = {"unique": spec.unique}
            if spec.name:
                options["name"] = spec.name
            if spec.partial is not None:
                options["partialFilterExpression"] = dict(spec.partial)
            await self._raw[spec.collection].create_index(list(spec.keys), **options)

    def system_collection(self, name: str) -> Any:
        """Raw access for platform machinery that works across tenants (the outbox relay).

        Repositories must never use this; it exists so the relay can sweep every tenant's
        unpublished events in one query.
        """
        return self._raw[name]

    async def server_version(self) -> str | None:
        """The MongoDB server's version (None for the stand-in), for benchmarks to report."""
        if self.stand_in:
            return None
        info = await self._raw.command("buildInfo")
        return str(info.get("version"))

    async def drop(self) -> None:
        """Removes the whole database: for benchmarks and tests that made their own."""
        await self._raw.client.drop_database(self._raw.name)

    def close(self) -> None:
        self._client.close()


def connect_database(mongo_url: str | None, database_name: str) -> Database:
    if mongo_url:
        from motor.motor_asyncio import AsyncIOMotorClient

        client: Any = AsyncIOMotorClient(mongo_url, tz_aware=True, serverSelectionTimeoutMS=5000)
        return Database(client[database_name], client=client, stand_in=False)
    global _stand_in_client
    from mongomock_motor import AsyncMongoMockClient

    log.warning(
        "NO MONGODB CONFIGURED: using the in-memory stand-in (mongomock-motor); "
        "data is lost when the process stops. Set PORTAL_MONGO_URL for a real MongoDB.",
        extra={"database": database_name},
    )
    # One stand-in per process, like one server: a service restarted in the same process (as
    # tests do to simulate crashes) finds its data again.
    if _stand_in_client is None:
        stand_in.apply()
        _stand_in_client = AsyncMongoMockClient(tz_aware=True)
    return Database(_stand_in_client[database_name], client=_NoClose(), stand_in=True)


class _NoClose:
    def close(self) -> None:
        """The shared stand-in outlives any one service."""


_stand_in_client: Any = None


_CROSS_COLLECTION_STAGES = frozenset({"$lookup", "$unionWith", "$graphLookup", "$out", "$merge"})


def _refuse_cross_collection(pipeline: Sequence[Mapping[str, Any]]) -> None:
    """Stages that read or write other collections would escape the tenant filter."""
    for stage in pipeline:
        reaching_out = _CROSS_COLLECTION_STAGES.intersection(stage)
        if reaching_out:
            raise TenantRequired(f"{sorted(reaching_out)[0]} is not allowed here")
        for facet in stage.get("$facet", {}).values():
            _refuse_cross_collection(facet)


def _require_tenant(tenant: str) -> str:
    if not isinstance(tenant, str) or not tenant:
        raise TenantRequired("a tenant id is required for every query")
    return tenant


class TenantCollection:
    """One collection seen through one tenant."""

    def __init__(self, collection: Any, tenant: str) -> None:
        self._collection = collection
        self.tenant = _require_tenant(tenant)

    def _scoped(self, filter_: Mapping[str, Any] | None) -> Document:
        scoped = dict(filter_ or {})
        if scoped.get(TENANT, self.tenant) != self.tenant:
            raise TenantRequired("a filter may not name another tenant")
        scoped[TENANT] = self.tenant
        return scoped

    def _scoped_update(self, update: Mapping[str, Any]) -> Document:
        # An update may not move a document to another tenant (or strip its tenant).
        for operator, spec in update.items():
            if not isinstance(spec, Mapping):
                continue
            for path, value in spec.items():
                if operator == "$rename" and str(value).split(".")[0] == TENANT:
                    raise TenantRequired("an update may not change the tenant")
                if path != TENANT and not path.startswith(f"{TENANT}."):
                    continue
                if operator in ("$set", "$setOnInsert") and value == self.tenant:
                    continue
                raise TenantRequired("an update may not change the tenant")
        return dict(update)

    async def find_one(
        self, filter_: Mapping[str, Any], projection: Mapping[str, Any] | None = None
    ) -> Document | None:
        found: Document | None = await self._collection.find_one(self._scoped(filter_), projection)
        return found

    async def find(
        self,
        filter_: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] = (),
        skip: int = 0,
        limit: int = 0,
        projection: Mapping[str, Any] | None = None,
    ) -> list[Document]:
        cursor = self._collection.find(self._scoped(filter_), projection)
        if sort:
            cursor = cursor.sort(list(sort))
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        documents: list[Document] = await cursor.to_list(length=None)
        return documents

    async def count(self, filter_: Mapping[str, Any] | None = None) -> int:
        counted: int = await self._collection.count_documents(self._scoped(filter_))
        return counted

    async def insert_one(self, document: Mapping[str, Any]) -> None:
        await self._collection.insert_one(self._scoped(document))

    async def insert_many(self, documents: Sequence[Mapping[str, Any]]) -> int:
        """Inserts the documents in order, each with this tenant; returns how many.

        Every document is checked before any is written: one naming another tenant raises
        `TenantRequired` and nothing is inserted.
        """
        scoped = [self._scoped(document) for document in documents]
        if not scoped:
            return 0
        result = await self._collection.insert_many(scoped, ordered=True)
        return len(result.inserted_ids)

    async def delete_one(self, filter_: Mapping[str, Any]) -> int:
        """Deletes at most one of this tenant's documents matching the filter; returns 0 or 1."""
        result = await self._collection.delete_one(self._scoped(filter_))
        deleted: int = result.deleted_count
        return deleted

    async def delete_many(self, filter_: Mapping[str, Any]) -> int:
        """Deletes this tenant's documents matching the filter (never another tenant's);
        returns how many."""
        result = await self._collection.delete_many(self._scoped(filter_))
        deleted: int = result.deleted_count
        return deleted

    async def find_one_and_update(
        self,
        filter_: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        upsert: bool = False,
    ) -> Document | None:
        updated: Document | None = await self._collection.find_one_and_update(
            self._scoped(filter_),
            self._scoped_update(update),
            upsert=upsert,
            return_document=ReturnDocument.AFTER,
        )
        return updated

    async def update_one(
        self, filter_: Mapping[str, Any], update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        """Updates at most one document; returns 1 when one was changed or (with `upsert`)
        inserted, else 0."""
        result = await self._collection.update_one(
            self._scoped(filter_), self._scoped_update(update), upsert=upsert
        )
        written: int = result.modified_count + (result.upserted_id is not None)
        return written

    async def aggregate(self, pipeline: Sequence[Mapping[str, Any]]) -> list[Document]:
        _refuse_cross_collection(pipeline)
        stages = [{"$match": {TENANT: self.tenant}}, *pipeline]
        cursor = self._collection.aggregate(stages)
        documents: list[Document] = await cursor.to_list(length=None)
        return documents


__all__ = [
    "ASCENDING",
    "DESCENDING",
    "PENDING_OUTBOX_INDEX",
    "Database",
    "Document",
    "IndexSpec",
    "TenantCollection",
    "TenantRequired",
    "connect_database",
    "pending_outbox",
    "pending_outbox_index",
]
