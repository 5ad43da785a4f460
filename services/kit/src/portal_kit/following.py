"""Following another service's events into a local read model (docs/architecture.md, rule 1):
a start hook that adds a durable consumer of one aggregate's events of that service."""

from __future__ import annotations

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
