"""Files in MongoDB's standard GridFS layout, written with plain collection operations.

The in-memory stand-in (mongomock-motor) has no GridFS bucket, so this store writes what a GridFS
driver would: one document per file in `<bucket>.files` (`_id`, `length`, `chunkSize`,
`uploadDate`, `filename`, `metadata`) and its content in 255 KiB pieces in `<bucket>.chunks`
(`files_id`, `n`, `data`). Real GridFS tools (mongofiles, a driver's GridFSBucket) read them.
Both documents also carry `tenant` (rule 3), which GridFS readers ignore.

Chunks are written (in one `insert_many`) before the file document, so a file that can be found
is always complete; a crash in between leaves only unreachable chunks. `delete` removes files the
other way round, file document first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bson import Binary, ObjectId
from bson.errors import InvalidId

from portal_kit.mongo import ASCENDING, Database, IndexSpec, TenantCollection

CHUNK_SIZE = 255 * 1024


def gridfs_indexes(bucket: str = "fs") -> tuple[IndexSpec, ...]:
    """Tenant-first versions of the indexes GridFS drivers create."""
    return (
        IndexSpec(
            f"{bucket}.chunks",
            (("tenant", ASCENDING), ("files_id", ASCENDING), ("n", ASCENDING)),
            unique=True,
        ),
        IndexSpec(
            f"{bucket}.files",
            (("tenant", ASCENDING), ("filename", ASCENDING), ("uploadDate", ASCENDING)),
        ),
    )


@dataclass(frozen=True)
class StoredFile:
    id: str
    filename: str
    content_type: str
    length: int
    upload_date: datetime
    metadata: dict[str, Any]


class FileStore(Protocol):
    """What a use case needs of one tenant's stored files (GridFS serves it)."""

    async def put(
        self,
        data: bytes,
        *,
        filename: str,
        content_type: str,
        metadata: dict[str, Any] | None = None,
    ) -> StoredFile: ...

    async def delete(self, file_ids: Sequence[str]) -> int: ...

    async def info(self, file_id: str) -> StoredFile | None: ...

    async def read(self, file_id: str) -> bytes | None: ...


class GridFSStore:
    """One tenant's files in one bucket."""

    def __init__(self, database: Database, tenant: str, *, bucket: str = "fs") -> None:
        self._files: TenantCollection = database.for_tenant(f"{bucket}.files", tenant)
        self._chunks: TenantCollection = database.for_tenant(f"{bucket}.chunks", tenant)

    async def put(
        self,
        data: bytes,
        *,
        filename: str,
        content_type: str,
        metadata: dict[str, Any] | None = None,
    ) -> StoredFile:
        file_id = ObjectId()
        # One round trip for every chunk (the driver splits very large batches itself).
        await self._chunks.insert_many(
            [
                {
                    "_id": ObjectId(),
                    "files_id": file_id,
                    "n": n,
                    "data": Binary(data[start : start + CHUNK_SIZE]),
                }
                for n, start in enumerate(range(0, len(data), CHUNK_SIZE))
            ]
        )
        uploaded = datetime.now(UTC).replace(microsecond=0)
        meta = {**(metadata or {}), "contentType": content_type}
        await self._files.insert_one(
            {
                "_id": file_id,
                "length": len(data),
                "chunkSize": CHUNK_SIZE,
                "uploadDate": uploaded,
                "filename": filename,
                "metadata": meta,
            }
        )
        return StoredFile(str(file_id), filename, content_type, len(data), uploaded, meta)

    async def delete(self, file_ids: Sequence[str]) -> int:
        """Removes this tenant's files (another tenant's ids delete nothing); returns how many
        files went. The file documents go first, so a file that can still be found is always
        complete; a crash in between leaves only unreachable chunks, as in `put`."""
        object_ids = [o for o in (_object_id(f) for f in file_ids) if o is not None]
        if not object_ids:
            return 0
        deleted = await self._files.delete_many({"_id": {"$in": object_ids}})
        await self._chunks.delete_many({"files_id": {"$in": object_ids}})
        return deleted

    async def info(self, file_id: str) -> StoredFile | None:
        object_id = _object_id(file_id)
        if object_id is None:
            return None
        found = await self._files.find_one({"_id": object_id})
        if found is None:
            return None
        metadata = dict(found.get("metadata") or {})
        return StoredFile(
            str(found["_id"]),
            str(found.get("filename", "")),
            str(metadata.get("contentType", "application/octet-stream")),
            int(found["length"]),
            found["uploadDate"],
            metadata,
        )

    async def read(self, file_id: str) -> bytes | None:
        stored = await self.info(file_id)
        if stored is None:
            return None
        chunks = await self._chunks.find({"files_id": ObjectId(stored.id)}, sort=[("n", ASCENDING)])
        data = b"".join(bytes(chunk["data"]) for chunk in chunks)
        if len(data) != stored.length:
            raise OSError(f"file {file_id} is incomplete in the store")
        return data


def _object_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None
