"""What a running service holds: its database, its NATS connection, its streams and relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from portal_kit import metrics
from portal_kit.consumer import EventConsumer
from portal_kit.counters import Counters
from portal_kit.jetstream import StreamLimits, StreamNames, connect_nats, ensure_service_streams
from portal_kit.mongo import Database, IndexSpec, connect_database, pending_outbox_index
from portal_kit.outbox import OUTBOX, OutboxRelay
from portal_kit.principal import PrincipalVerifier
from portal_kit.repository import AggregateRepository
from portal_kit.settings import ServiceSettings
from portal_kit.tracing import Tracing, configure_tracing

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
        settings.check_database()
        # Spans of its requests, relay and consumers, exported when OTLP is configured.
        self.tracing: Tracing = configure_tracing(settings.service_name)
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
    def stream_limits(self) -> StreamLimits:
        return StreamLimits.of(self.settings)

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
        await self._database.ensure_indexes(
            [*self._indexes, *(pending_outbox_index(c, OUTBOX) for c in self._outbox_collections)]
        )
        self._nats = await connect_nats(
            settings.nats_url,
            name=settings.service_name,
            nkey_seed_file=settings.nats_nkey_seed_file,
        )
        self._js = self._nats.jetstream()
        await ensure_service_streams(self._js, self.names, self.stream_limits)
        self._relay = OutboxRelay(
            self._database,
            self._outbox_collections,
            self._js,
            prefix=settings.event_prefix,
            sweep_seconds=settings.outbox_sweep_seconds,
            lease_seconds=settings.outbox_lease_seconds,
            service=settings.service_name,
            tracer=self.tracing.tracer if self.tracing.exporting else None,
        )
        self._relay.start()
        for hook in self._on_start:
            await hook(self)
        for consumer in self.consumers:
            consumer.tracer = self.tracing.tracer
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
        # Spans still batched go out now (the exporter's timeout bounds it).
        if self.tracing.exporting:
            await asyncio.to_thread(self.tracing.flush)

    async def readiness(self) -> Readiness:
        """Whether the service can serve its API (it needs its database), and what is degraded.

        NATS trouble does not make the service unready: writes go on, their events wait in the
        outbox and the relay publishes them when NATS is back. It is reported as degraded (a
        health detail and the metrics of `portal_kit.metrics`)."""
        mongo = self._database is not None and await self._database.ping()
        nats_ok = False
        if self._nats is not None and self._nats.is_connected:
            try:
                await asyncio.wait_for(self._nats.flush(), 2.0)
                nats_ok = True
            except Exception:
                nats_ok = False
        degraded: dict[str, str] = {}
        if not nats_ok:
            degraded["nats"] = "unreachable: events wait in the outbox until it is back"
        failing = 0.0
        relay = self._relay
        if relay is not None and relay.failing_since is not None:
            failing = time.monotonic() - relay.failing_since
            degraded["outbox"] = (
                f"publishing has failed for {failing:.0f} s ({relay.last_problem}); "
                "events are kept and retried"
            )
        service = self.settings.service_name
        metrics.DEPENDENCY_UP.labels(service, "mongodb").set(1 if mongo else 0)
        metrics.DEPENDENCY_UP.labels(service, "nats").set(1 if nats_ok else 0)
        metrics.DEGRADED.labels(service).set(1 if degraded else 0)
        metrics.OUTBOX_FAILING_SECONDS.labels(service).set(failing)
        return Readiness(checks={"mongodb": mongo, "nats": nats_ok}, degraded=degraded)


@dataclass(frozen=True)
class Readiness:
    """`checks`: each dependency reached or not; `degraded`: what does not work, in words."""

    checks: dict[str, bool]
    degraded: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """The API can be served: the database answers (NATS may be away)."""
        return self.checks["mongodb"]

    @property
    def status(self) -> str:
        if not self.ready:
            return "not ready"
        return "degraded" if self.degraded else "ready"
