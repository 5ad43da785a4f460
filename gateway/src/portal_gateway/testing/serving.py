"""Serve ASGI apps on free ports of 127.0.0.1 inside the running event loop (tests, bench)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: several run at once inside one test."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(app: Any, **config: Any) -> AsyncIterator[str]:
    """Serve an ASGI app on a free port of 127.0.0.1 (or `port=`); yields its base URL."""
    port = int(config.pop("port", None) or free_port())
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "loop": "asyncio",
        "http": "httptools",
        # As the gateway runs by default: no proxy in front is trusted.
        "proxy_headers": False,
    }
    options.update(config)
    server = _Server(uvicorn.Config(app, **options))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 20
    while not server.started:
        if task.done() or time.monotonic() > deadline:
            server.should_exit = True
            await task
            raise RuntimeError(f"the app did not start on port {port}")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
