"""Durable consumers of the other services' events that notify people by e-mail.

One durable consumer per source stream (orders' orders, tickets' tickets and billing's
invoices): each event goes to the tenant's `Notifier`, which records
the mails in the outbox. The kit's consumer acknowledges an event only after that, retries a
failing one with backoff, and a redelivered event records nothing twice (the mails' ids are
made of the event, the kind and the recipient).
"""

from __future__ import annotations

from collections.abc import Callable

from portal_kit.consumer import EventConsumer, Handler
from portal_kit.events import CloudEvent
from portal_kit.jetstream import StreamNames, ensure_service_streams
from portal_kit.runtime import ServiceRuntime, StartHook

from portal_people.domain.notifications import SOURCES
from portal_people.service_layer.notifications import Notifier


def durable_name(service: str, aggregate: str) -> str:
    return f"people-notify-{service}-{aggregate}"


def notification_handler(notifier_of: Callable[[str], Notifier]) -> Handler:
    async def handle(event: CloudEvent) -> None:
        await notifier_of(event.tenant).handle(event)

    return handle


def notification_consumers(
    notifier_of: Callable[[str], Notifier],
    sources: tuple[tuple[str, str], ...] = SOURCES,
) -> StartHook:
    """On start: follow each source's events (its stream is made if not there yet)."""
    handler = notification_handler(notifier_of)

    async def start(runtime: ServiceRuntime) -> None:
        for service, aggregate in sources:
            names = StreamNames(runtime.settings.event_prefix, service)
            await ensure_service_streams(runtime.js, names, runtime.stream_limits)
            runtime.consumers.append(
                EventConsumer(
                    runtime.js,
                    runtime.database,
                    runtime.names,
                    durable=durable_name(service, aggregate),
                    stream=names.stream,
                    filter_subject=f"{names.prefix}.*.{service}.{aggregate}.>",
                    handler=handler,
                )
            )

    return start
