"""Safe retries of mutations: the first outcome of a request with an idempotency key is kept,
and the same request again with the same key gets that outcome instead of acting twice.

The gateway passes a client's `Idempotency-Key` header on to the subgraphs that run its mutation
(one key per subgraph fetch, `IDEMPOTENCY_HEADER`); here `/graphql` of every service:

- looks the key up for the caller (tenant and user: anonymous callers never share outcomes);
- answers a kept outcome when the request is the same (same body), refuses another request under
  the same key with 422 `IDEMPOTENCY_KEY_REUSED`;
- while the first request under a key is still running, a retry waits for its outcome (up to
  `WAIT_SECONDS`, then 409 `IDEMPOTENCY_KEY_IN_USE`): so a write the gateway gave up on (a
  paused service answering late) is reported, not done again.

A claim that never got its outcome (the process died mid-request) may be taken over after
`STALE_SECONDS`; outcomes are kept for `KEEP_SECONDS`.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

import orjson
from pymongo.errors import DuplicateKeyError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal_kit.mongo import Database
from portal_kit.principal import Principal

IDEMPOTENCY_HEADER = "x-portal-idempotency-key"
COLLECTION = "idempotency_keys"
MAX_KEY_LENGTH = 200
WAIT_SECONDS = 30.0
STALE_SECONDS = 120.0
KEEP_SECONDS = 24 * 3600.0


def _error(status: int, message: str, code: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


class IdempotentGraphQL:
    """Wraps a service's /graphql app: requests carrying the idempotency header (from the
    gateway, for mutations of a signed-in caller) run at most once per key."""

    def __init__(self, app: ASGIApp, database: Any) -> None:
        self.app = app
        self._database = database  # a callable giving the running service's Database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        principal: Principal | None = scope.get("state", {}).get("principal")
        content_type = request.headers.get("content-type", "")
        if (
            key is None
            or request.method != "POST"
            or principal is None
            or not principal.authenticated
            or not content_type.startswith("application/json")
        ):
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            await _error(400, "invalid idempotency key", "BAD_REQUEST")(scope, receive, send)
            return
        body = await request.body()
        database: Database = self._database()
        keys = database.for_tenant(COLLECTION, principal.tenant)
        record_id = hashlib.sha256(f"{principal.user}|{key}".encode()).hexdigest()
        fingerprint = hashlib.sha256(body).hexdigest()
        claimed = await self._claim(keys, record_id, fingerprint)
        if isinstance(claimed, Response):
            await claimed(scope, receive, send)
            return
        status, headers, chunks = await self._run(scope, body)
        answer = b"".join(chunks)
        if status >= 500:  # a fault: nothing to keep, a retry may act
            await keys.delete_one({"_id": record_id})
        else:
            await keys.update_one(
                {"_id": record_id},
                {"$set": {"status": status, "body": answer, "done": True, "at": time.time()}},
            )
        response = Response(answer, status_code=status, media_type="application/json")
        response.headers.update({k: v for k, v in headers.items() if k == "x-request-id"})
        await response(scope, receive, send)

    async def _claim(self, keys: Any, record_id: str, fingerprint: str) -> Response | None:
        """None when this request may run; else the kept outcome (or a refusal)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            now = time.time()
            try:
                await keys.insert_one(
                    {"_id": record_id, "fingerprint": fingerprint, "done": False, "at": now}
                )
                return None
            except DuplicateKeyError:
                pass
            found = await keys.find_one({"_id": record_id})
            if found is None:
                continue  # removed meanwhile: claim again
            expired = found["done"] and now - found["at"] > KEEP_SECONDS
            stale = not found["done"] and now - found["at"] > STALE_SECONDS
            if expired or stale:
                await keys.delete_one({"_id": record_id, "at": found["at"]})
                continue
            if found["fingerprint"] != fingerprint:
                return _error(
                    422,
                    "this idempotency key was used for another request",
                    "IDEMPOTENCY_KEY_REUSED",
                )
            if found["done"]:
                return Response(
                    bytes(found["body"]),
                    status_code=int(found["status"]),
                    media_type="application/json",
                    headers={"x-idempotent-replay": "true"},
                )
            if time.monotonic() > deadline:
                return _error(
                    409,
                    "a request with this idempotency key is still running; retry later",
                    "IDEMPOTENCY_KEY_IN_USE",
                )
            await asyncio.sleep(0.05)

    async def _run(self, scope: Scope, body: bytes) -> tuple[int, dict[str, str], list[bytes]]:
        """The wrapped app's answer to the request, collected."""
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.update(
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, headers, chunks
