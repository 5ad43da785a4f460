"""Automatic persisted queries (`extensions.persistedQuery`, sha256): a document is stored only
after it parsed, validated and passed the limits, in a store bounded by bytes; operators may
turn registration by anonymous callers off (`PORTAL_PERSISTED_QUERIES_ANONYMOUS=false`: their
full queries are still answered, just not stored)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from portal_gateway import metrics
from portal_gateway.engine import RequestError
from portal_gateway.errors import BAD_REQUEST

# Parse, validate and check the limits of a document (in a worker thread, see app.py).
Check = Callable[[str], Awaitable[None]]


class PersistedQueries:
    def __init__(self, max_bytes: int, *, anonymous_registration: bool) -> None:
        self.max_bytes = max_bytes
        self.anonymous_registration = anonymous_registration
        self._queries: OrderedDict[str, str] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._queries)

    async def resolve(
        self,
        query: str | None,
        extensions: Mapping[str, Any] | None,
        *,
        anonymous: bool,
        check: Check,
    ) -> str | None:
        """The document to run: the query itself, or the one stored under the hash. A query
        sent with its hash is checked (`check` raises what refuses it) before it is stored."""
        persisted = (extensions or {}).get("persistedQuery")
        if not isinstance(persisted, dict):
            return query
        digest = persisted.get("sha256Hash")
        if persisted.get("version") != 1 or not isinstance(digest, str):
            raise RequestError("unsupported persistedQuery extension", "PERSISTED_QUERY_INVALID")
        digest = digest.lower()
        if query is None or query == "":
            known = self._queries.get(digest)
            if known is None:
                raise RequestError(
                    "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", status=200
                )
            self._queries.move_to_end(digest)
            return known
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            raise RequestError("provided sha256Hash does not match query", BAD_REQUEST)
        await check(query)  # nothing unparsable, invalid or over the limits is ever stored
        if anonymous and not self.anonymous_registration:
            return query
        self._store(digest, query)
        return query

    def _store(self, digest: str, query: str) -> None:
        size = len(query.encode())
        if size > self.max_bytes or digest in self._queries:
            return
        self._queries[digest] = query
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, evicted = self._queries.popitem(last=False)
            self.bytes -= len(evicted.encode())
        metrics.PERSISTED_QUERY_BYTES.set(self.bytes)
