"""GridFS files per tenant: chunks written in one batch, deletions never reach another tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from portal_kit.gridfs import CHUNK_SIZE, GridFSStore
from portal_kit.mongo import Database, connect_database
from portal_kit.testing.plugin import TestNamespace

DATA = bytes(range(256)) * (CHUNK_SIZE // 256 * 2 + 10)  # three chunks


@pytest.fixture
async def database(mongo_url: str | None, namespace: TestNamespace) -> AsyncIterator[Database]:
    database = connect_database(mongo_url, namespace.database("kit"))
    try:
        yield database
    finally:
        database.close()


async def test_a_file_is_stored_in_chunks_and_read_back(database: Database) -> None:
    alpha = GridFSStore(database, "alpha")
    stored = await alpha.put(DATA, filename="a.bin", content_type="application/octet-stream")
    assert await alpha.read(stored.id) == DATA
    chunks = await database.system_collection("fs.chunks").find({}).to_list(length=None)
    assert sorted(c["n"] for c in chunks) == [0, 1, 2]
    assert {c["tenant"] for c in chunks} == {"alpha"}
    empty = await alpha.put(b"", filename="empty", content_type="text/plain")
    assert await alpha.read(empty.id) == b""


async def test_delete_removes_own_files_only(database: Database) -> None:
    alpha = GridFSStore(database, "alpha")
    beta = GridFSStore(database, "beta")
    kept = await alpha.put(DATA, filename="kept", content_type="application/octet-stream")
    gone = await alpha.put(b"x" * 10, filename="gone", content_type="text/plain")

    assert await beta.delete([kept.id, gone.id]) == 0
    assert await alpha.read(kept.id) == DATA
    assert await alpha.delete([gone.id, "not-an-id"]) == 1
    assert await alpha.read(gone.id) is None
    assert await alpha.read(kept.id) == DATA
    assert await alpha.delete([]) == 0
    assert await database.system_collection("fs.chunks").count_documents({}) == 3
