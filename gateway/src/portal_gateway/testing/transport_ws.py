"""A small graphql-transport-ws client for tests and the benchmark (the `websockets` library
speaks the WebSocket side): `async with socket(url) as ws: await ws.init(token)`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

SUBPROTOCOL = "graphql-transport-ws"


class Socket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.connection.send(
            message if isinstance(message, str) else orjson.dumps(message).decode()
        )

    async def receive(self, within: float = 10.0) -> dict[str, Any]:
        text = await asyncio.wait_for(self.connection.recv(), within)
        message: dict[str, Any] = orjson.loads(text)
        return message

    async def init(self, token: str) -> dict[str, Any]:
        await self.send(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        )
        return await self.receive()

    async def subscribe(self, ident: str, query: str, **variables: Any) -> None:
        await self.send(
            {"id": ident, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    async def closed(self, within: float = 10.0) -> tuple[int | None, str | None]:
        """The close code and reason, once the server closes (messages before are skipped)."""
        try:
            async with asyncio.timeout(within):
                while True:
                    await self.connection.recv()
        except ConnectionClosed as closed:
            if closed.rcvd is None:
                return None, None
            return closed.rcvd.code, closed.rcvd.reason
        raise AssertionError("unreachable")

    async def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """Whatever arrives within `seconds` (a bound on waiting, not a timing assertion)."""
        received = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    received.append(orjson.loads(await self.connection.recv()))
        return received


@contextlib.asynccontextmanager
async def socket(
    url: str, subprotocols: tuple[str, ...] = (SUBPROTOCOL,), **options: Any
) -> AsyncIterator[Socket]:
    """`url`: the gateway's http(s) base URL or its ws(s) /graphql URL; `options` go to
    `websockets.connect` (the benchmark turns the client's keep-alive pings off)."""
    if url.startswith("http"):
        url = "ws" + url[4:].rstrip("/") + "/graphql"
    async with connect(
        url,
        subprotocols=list(subprotocols),  # type: ignore[arg-type]
        open_timeout=30,
        **options,
    ) as connection:
        yield Socket(connection)
