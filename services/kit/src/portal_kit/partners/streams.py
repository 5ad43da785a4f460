"""Each tenant's partner stream: `<prefix>.<tenant>.>` sourced from every service stream.

Created by the platform (the operator's command), never by a partner. Its limits are the
services' stream limits; an existing stream keeps the operator's limits, only its sources follow
the list of services. Times in it are when it received an event (normally within a moment of
the service publishing it; events older than the stream itself all carry its creation time).
"""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig, StreamSource
from nats.js.errors import NotFoundError

from portal_kit.jetstream import StreamLimits
from portal_kit.partners.access import PartnerAccess

log = logging.getLogger(__name__)


async def ensure_partner_stream(
    js: JetStreamContext,
    access: PartnerAccess,
    services: list[str],
    limits: StreamLimits | None = None,
) -> str:
    """Create the partner stream, or bring its sources up to date; answers what it did."""
    limits = limits or StreamLimits()
    sources = [
        StreamSource(name=name, filter_subject=subjects)
        for name, subjects in access.stream_sources(services)
    ]
    try:
        info = await js.stream_info(access.stream)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=access.stream,
                description=f"events of tenant {access.tenant} for its partner",
                sources=sources,
                storage=StorageType.FILE,
                retention=RetentionPolicy.LIMITS,
                discard=DiscardPolicy.OLD,
                max_age=limits.max_age_seconds,
                max_bytes=limits.max_bytes,
                num_replicas=limits.replicas,
            )
        )
        log.info("partner stream created", extra={"stream": access.stream})
        return "created"
    have = {(s.name, s.filter_subject) for s in info.config.sources or []}
    if have == {(s.name, s.filter_subject) for s in sources}:
        return "unchanged"
    await js.update_stream(info.config.evolve(sources=sources))
    log.info("partner stream sources updated", extra={"stream": access.stream})
    return "sources updated"
