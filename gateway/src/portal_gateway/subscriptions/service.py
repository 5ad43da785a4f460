"""The subscriptions component of the gateway: the WebSocket endpoint on /graphql, the event
feed, fan-out, and a sweep that ends the connections whose token expired or was revoked."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from graphql import get_named_type
from starlette.websockets import WebSocket

from portal_gateway.authentication import Authenticator
from portal_gateway.engine import Engine
from portal_gateway.forwarding import Subgraph
from portal_gateway.revocations import Revocations
from portal_gateway.settings import GatewaySettings
from portal_gateway.subscriptions.connection import Connection
from portal_gateway.subscriptions.fanout import Fanout
from portal_gateway.subscriptions.feed import EventFeed
from portal_gateway.subscriptions.limits import SubscriptionLimits, TenantCounts
from portal_gateway.subscriptions.protocol import Close
from portal_gateway.subscriptions.reader import Reader
from portal_gateway.subscriptions.topics import STREAMS, TOPICS

log = logging.getLogger("portal.gateway.subscriptions")


def limits_of(settings: GatewaySettings) -> SubscriptionLimits:
    return SubscriptionLimits(
        init_timeout_seconds=settings.subscription_init_timeout_seconds,
        per_connection=settings.subscriptions_per_connection,
        per_tenant=settings.subscriptions_per_tenant,
        connections_per_tenant=settings.subscription_connections_per_tenant,
        messages_per_second=settings.subscription_messages_per_second,
        message_burst=settings.subscription_message_burst,
        max_message_bytes=settings.max_request_bytes,
        send_queue=settings.subscription_send_queue,
    )


class Subscriptions:
    def __init__(
        self,
        settings: GatewaySettings,
        engine: Engine,
        subgraphs: Mapping[str, Subgraph],
        authenticator: Authenticator,
        revocations: Revocations | None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.authenticator = authenticator
        self.revocations = revocations
        self.limits = limits_of(settings)
        self.counts = TenantCounts(self.limits)
        self.connections: set[Connection] = set()
        root = engine.schema.subscription_type
        self.change_types = {
            name: get_named_type(field.type).name
            for name, field in (root.fields.items() if root is not None else ())
            if name in TOPICS
        }
        self.reader = Reader(engine, subgraphs)
        self._subgraphs = subgraphs
        self.fanout = Fanout(
            self.reader,
            reads_in_flight=settings.subscription_reads_in_flight,
            batch_window=settings.subscription_batch_window_ms / 1000,
            batch_records=settings.subscription_batch_records,
            max_pending=settings.subscription_pending_events,
        )
        self.feed: EventFeed | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.settings.nats_url:
            self.feed = EventFeed(
                self.fanout.publish,
                nats_url=self.settings.nats_url,
                prefix=self.settings.event_prefix,
                streams=[s for s in STREAMS if s[0] in self._subgraphs],
                check_every=self.settings.subscription_feed_check_seconds,
            )
            self.feed.start()
        self._sweeper = asyncio.create_task(self._sweep(), name="subscriptions-sweep")

    def feed_status(self) -> dict[str, bool] | None:
        """Each followed subject and whether its events arrive now; None without NATS."""
        return self.feed.status() if self.feed is not None else None

    async def stop(self) -> None:
        for connection in list(self.connections):
            connection.close(Close.GOING_AWAY, "the gateway is shutting down")
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self.feed is not None:
            await self.feed.stop()

    async def _sweep(self) -> None:
        """Ends connections whose token expired or was revoked, even when no event comes."""
        while True:
            await asyncio.sleep(self.settings.subscription_check_seconds)
            for connection in list(self.connections):
                connection.may_receive()

    async def endpoint(self, websocket: WebSocket) -> None:
        await Connection(websocket, self).serve()
