"""The NATS connection (JetStream) and the streams a service owns; not a message bus of its own."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

log = logging.getLogger(__name__)

DEDUP_WINDOW_SECONDS = 120.0


@dataclass(frozen=True)
class StreamNames:
    """Names of one service's stream and subjects under an event prefix."""

    prefix: str
    service: str

    @property
    def stream(self) -> str:
        return f"{self.prefix.upper()}_{self.service.upper()}"

    @property
    def subjects(self) -> str:
        return f"{self.prefix}.*.{self.service}.>"

    @property
    def dead_letter_stream(self) -> str:
        return f"{self.prefix.upper()}_DEADLETTER_{self.service.upper()}"

    def dead_letter_subject(self, consumer: str) -> str:
        return f"deadletter.{self.prefix}.{self.service}.{consumer}"

    @property
    def dead_letter_subjects(self) -> str:
        return f"deadletter.{self.prefix}.{self.service}.>"


async def connect_nats(url: str, *, name: str) -> NatsClient:
    """Connect and keep reconnecting forever: an outage delays events, it never loses them."""

    async def on_error(error: Exception) -> None:
        log.warning("nats connection problem", extra={"problem": type(error).__name__})

    client: NatsClient = await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        allow_reconnect=True,
        error_cb=on_error,
    )
    return client


async def ensure_stream(js: JetStreamContext, name: str, subjects: str) -> None:
    """Create the stream or bring its configuration up to date (file storage, dedup window)."""
    config = StreamConfig(
        name=name,
        subjects=[subjects],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        duplicate_window=DEDUP_WINDOW_SECONDS,
    )
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(config)
        log.info("stream created", extra={"stream": name})
    else:
        await js.update_stream(config)


async def ensure_service_streams(js: JetStreamContext, names: StreamNames) -> None:
    await ensure_stream(js, names.stream, names.subjects)
    await ensure_stream(js, names.dead_letter_stream, names.dead_letter_subjects)


def headers_for(event_id: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    return {"Nats-Msg-Id": event_id, **(extra or {})}
