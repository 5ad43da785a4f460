"""The NATS connection (JetStream) and the streams a service owns; not a message bus of its own."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

if TYPE_CHECKING:
    from portal_kit.settings import ServiceSettings

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


async def connect_nats(url: str, *, name: str, nkey_seed_file: Path | None = None) -> NatsClient:
    """Connect and keep reconnecting forever: an outage delays events, it never loses them.

    `nkey_seed_file`: the platform's nkey, when the server requires authentication
    (`python -m portal_kit.partners`); None connects without credentials (dev, tests).
    """

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
        nkeys_seed=str(nkey_seed_file) if nkey_seed_file is not None else None,
    )
    return client


@dataclass(frozen=True)
class StreamLimits:
    """The limits start-up gives a stream it creates (from the service's settings)."""

    max_age_seconds: float = 30 * 86_400.0
    max_bytes: int = -1  # no byte limit unless the settings give one
    replicas: int = 1

    @classmethod
    def of(cls, settings: ServiceSettings) -> StreamLimits:
        return cls(
            max_age_seconds=settings.stream_max_age_days * 86_400.0,
            max_bytes=settings.stream_max_bytes or -1,
            replicas=settings.stream_replicas,
        )


def _wanted(config: StreamConfig) -> dict[str, Any]:
    return {
        "subjects": config.subjects,
        "storage": config.storage,
        "retention": config.retention,
        "discard": config.discard,
        "duplicate_window": config.duplicate_window,
        "max_age": config.max_age,
        "max_bytes": config.max_bytes,
        "num_replicas": config.num_replicas,
    }


async def ensure_stream(
    js: JetStreamContext, name: str, subjects: str, limits: StreamLimits | None = None
) -> dict[str, tuple[Any, Any]]:
    """Create the stream when it is missing, with file storage, the dedup window and `limits`.

    A stream that exists is left as it is: an operator may have tuned its limits or replicas,
    and start-up must not undo that. What differs from this service's wishes is logged and
    returned (setting -> (found, wanted)).
    """
    limits = limits or StreamLimits()
    config = StreamConfig(
        name=name,
        subjects=[subjects],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        duplicate_window=DEDUP_WINDOW_SECONDS,
        max_age=limits.max_age_seconds,
        max_bytes=limits.max_bytes,
        num_replicas=limits.replicas,
    )
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(config)
        log.info("stream created", extra={"stream": name})
        return {}
    found = _wanted(info.config)
    differences = {
        setting: (found[setting], wanted)
        for setting, wanted in _wanted(config).items()
        if found[setting] != wanted
    }
    if differences:
        log.warning(
            "stream kept as configured on the server; it differs from this service's settings",
            extra={
                "stream": name,
                "differences": {
                    key: f"{have!r} (wanted {want!r})" for key, (have, want) in differences.items()
                },
            },
        )
    return differences


async def ensure_service_streams(
    js: JetStreamContext, names: StreamNames, limits: StreamLimits | None = None
) -> None:
    await ensure_stream(js, names.stream, names.subjects, limits)
    await ensure_stream(js, names.dead_letter_stream, names.dead_letter_subjects, limits)


def headers_for(event_id: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    return {"Nats-Msg-Id": event_id, **(extra or {})}
