"""What a running service holds: its database, its NATS connection, its streams and relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from portal_kit.consumer import EventConsumer
from portal_kit.counters import Counters
from portal_kit.jetstream import StreamNames, connect_nats, ensure_service_streams
from portal_kit.mongo import Database, IndexSpec, connect_database
from portal_kit.outbox import OutboxRelay
from portal_kit.principal import PrincipalVerifier
from portal_kit.repository import AggregateRepository
from portal_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

R = TypeVar("R", bound=AggregateRepository[Any])
StartHook = Callable[["ServiceRuntime"], Awaitable[None]]
PeriodicJob = Callable[[], Awaitable[None]]


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        outbox_collections: Sequence[str],
        indexes: Sequence[IndexSpec] = (),
        on_start: Sequence[StartHook] = (),
    ) -> None:
        self.settings = settings
        self.names = StreamNames(settings.event_prefix, settings.service_name)
        self.verifier = PrincipalVerifier(settings.public_key_pem())
        self._outbox_collections = tuple(outbox_collections)
        self._indexes = tuple(indexes)
        self._on_start = tuple(on_start)
        self.consumers: list[EventConsumer] = []
        self._periodic: list[tuple[str, float, PeriodicJob]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._database: Database | None = None
        self._nats: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._relay: OutboxRelay | None = None

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError("the service has not started")
        return self._database

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("the service has not started")
        return self._js

    @property
    def relay(self) -> OutboxRelay:
        if self._relay is None:
            raise RuntimeError("the service has not started")
        return self._relay

    def repository(self, kind: type[R], tenant: str) -> R:
        """A repository of one tenant whose commits wake the relay."""
        return kind(self.database, tenant, on_commit=self.wake_relay)

    def counters(self, tenant: str) -> Counters:
        return Counters(self.database, tenant)

    def wake_relay(self) -> None:
        if self._relay is not None:
            self._relay.wake()

    def every(self, seconds: float, name: str, job: PeriodicJob) -> None:
        """Run `job` every `seconds` while the service runs (added before `start`). A failing
        round is logged and the next one comes as usual: an outage only delays the work."""
        if seconds <= 0:
            raise ValueError("a periodic job needs a positive interval")
        self._periodic.append((name, seconds, job))

    async def _repeat(self, name: str, seconds: float, job: PeriodicJob) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("periodic job failed", extra={"job": name, "problem": repr(error)})

    async def start(self) -> None:
        settings = self.settings
        self._database = connect_database(settings.mongo_url, settings.database_name)
        await self._database.ensure_indexes(self._indexes)
        self._nats = await connect_nats(settings.nats_url, name=settings.service_name)
        self._js = self._nats.jetstream()
        await ensure_service_streams(self._js, self.names)
        self._relay = OutboxRelay(
            self._database,
            self._outbox_collections,
            self._js,
            prefix=settings.event_prefix,
            sweep_seconds=settings.outbox_sweep_seconds,
        )
        self._relay.start()
        for hook in self._on_start:
            await hook(self)
        for consumer in self.consumers:
            await consumer.start()
        self._tasks = [
            asyncio.create_task(self._repeat(name, seconds, job), name=name)
            for name, seconds, job in self._periodic
        ]
        log.info("service started", extra={"stand_in_database": self._database.stand_in})

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for consumer in self.consumers:
            await consumer.stop()
        if self._relay is not None:
            await self._relay.stop()
        if self._nats is not None and not self._nats.is_closed:
            try:
                await self._nats.drain()
            except Exception as error:  # NATS unreachable while stopping: just drop the connection
                log.warning("nats drain failed on stop", extra={"problem": repr(error)})
                with contextlib.suppress(Exception):
                    await self._nats.close()
        if self._database is not None:
            self._database.close()

    async def readiness(self) -> dict[str, bool]:
        mongo = self._database is not None and await self._database.ping()
        nats_ok = False
        if self._nats is not None and self._nats.is_connected:
            try:
                await asyncio.wait_for(self._nats.flush(), 2.0)
                nats_ok = True
            except Exception:
                nats_ok = False
        return {"mongodb": mongo, "nats": nats_ok}
