"""Following another service's events into a local read model (docs/architecture.md, rule 1):
a start hook that adds a durable consumer of one aggregate's events of that service, and
`FollowedEvents`, how far that consumer has read."""

from __future__ import annotations

from dataclasses import dataclass

from portal_kit.consumer import EventConsumer, Handler
from portal_kit.jetstream import StreamNames, ensure_service_streams
from portal_kit.runtime import ServiceRuntime, StartHook


def follow_events(durable: str, service: str, aggregate: str, handler: Handler) -> StartHook:
    """On start: follow `service`'s events of `aggregate` with the durable consumer `durable`
    (the service's stream is made if it is not there yet)."""

    async def start(runtime: ServiceRuntime) -> None:
        names = StreamNames(runtime.settings.event_prefix, service)
        await ensure_service_streams(runtime.js, names, runtime.stream_limits)
        runtime.consumers.append(
            EventConsumer(
                runtime.js,
                runtime.database,
                runtime.names,
                durable=durable,
                stream=names.stream,
                filter_subject=f"{names.prefix}.*.{service}.{aggregate}.>",
                handler=handler,
            )
        )

    return start


@dataclass(frozen=True)
class FollowedEvents:
    """How far a followed consumer has read: a use case that finds nothing in its read model asks
    whether that 'nothing' can be trusted yet, or the event may still be on its way."""

    runtime: ServiceRuntime
    durable: str

    async def caught_up_within(self, seconds: float, *, settle: float = 0.0) -> bool:
        """Whether every event of the followed stream is handled, waiting up to `seconds` (see
        `EventConsumer.caught_up_within`); False while the consumer has not started or NATS
        cannot say."""
        for consumer in self.runtime.consumers:
            if consumer.durable == self.durable:
                return await consumer.caught_up_within(seconds, settle=settle)
        return False
