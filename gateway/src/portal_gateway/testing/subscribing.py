"""A gateway whose subscriptions follow the services' events, and the waits its tests need
(bounded; they synchronise with the gateway, they never assert on time)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from portal_gateway.app import create_app
from portal_gateway.settings import GatewaySettings
from portal_gateway.testing.serving import free_port, serving
from portal_gateway.testing.transport_ws import Socket

SUBGRAPHS = ("people", "orders", "tickets", "billing")


@dataclass
class Following:
    client: httpx.AsyncClient
    url: str
    app: Any


async def until(condition: Any, what: str) -> None:
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(what)


@contextlib.asynccontextmanager
async def following(service: str, **settings: Any) -> AsyncIterator[Following]:
    """The gateway (subgraphs not given point where nothing listens), once it follows
    `service`'s stream: a change made before that would reach no subscriber."""
    values: dict[str, Any] = {
        **{f"{name}_url": f"http://127.0.0.1:{free_port()}/graphql" for name in SUBGRAPHS},
        "jwks_min_refetch_seconds": 0.0,
        "upstream_timeout_seconds": 5.0,
        "check_plans": True,
        **settings,
    }
    app = create_app(GatewaySettings(**values))
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:

        def live() -> bool:
            feed = app.state.subscriptions.feed
            return feed is not None and any(f".{service}." in s for s in feed.live)

        await until(live, f"the gateway never followed {service}' events")
        yield Following(client, url, app)


def wired(
    people: str,
    issuer: Any,
    principal_keys: tuple[bytes, bytes],
    nats_url: str,
    namespace: Any,
    **settings: Any,
) -> dict[str, Any]:
    """The settings of a gateway on the test's people, token issuer, NATS and namespace."""
    return {
        "principal_private_key": principal_keys[0].decode(),
        "jwks_url": issuer.url,
        "people_url": people,
        "nats_url": nats_url,
        "event_prefix": namespace.event_prefix,
        **settings,
    }


async def settled(app: Any) -> None:
    """Until the gateway has no event left to deliver."""
    await until(
        lambda: app.state.subscriptions.fanout.pending == 0,
        "the gateway never finished delivering",
    )


async def subscribed(ws: Socket) -> None:
    """Until the socket's subscriptions so far are running: the gateway handles a socket's
    messages in order, so the `pong` comes after them."""
    await ws.send({"type": "ping"})
    assert await ws.receive() == {"type": "pong"}
