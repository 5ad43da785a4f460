"""What a tenant's partner may do on NATS, as nats-server permissions (no I/O).

A partner reads its tenant's events two ways: live, as core NATS subscriptions on
`<prefix>.<tenant>.>`, and durably, through JetStream consumers on its tenant's *partner
stream*, which sources only `<prefix>.<tenant>.>` from every service stream. The JetStream API
names the stream in a subject token, so permissions can confine every consumer operation (create,
info, delete, pull, ack) to that stream; on the service streams themselves a consumer's name is
one free token, and a partner allowed there could pull from, ack or delete another tenant's
consumers. A consumer is created only with its filter in the subject (`$JS.API.CONSUMER.CREATE.
<stream>.<name>.<filter>`, nats-server 2.9; what nats-py does for a named consumer) and that
filter within the tenant's subjects; the forms without it (legacy `DURABLE.CREATE`, a filter in
the request body only) are not allowed, since permissions cannot see a body. nats-server 2.9
also wants a filter within one source (`<prefix>.<tenant>.<service>.>`, one consumer per
service); 2.10 takes `<prefix>.<tenant>.>` as well. Nothing may be published on the event
subjects, and replies arrive on the partner's own inbox prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal_kit.events import TENANT_TOKEN
from portal_kit.jetstream import StreamNames


class InvalidTenant(ValueError):
    """A tenant id that is not one (it would make unsafe subjects)."""


@dataclass(frozen=True)
class PartnerAccess:
    """One tenant's partner: its subjects, its inbox prefix, its stream and its permissions."""

    prefix: str
    tenant: str

    def __post_init__(self) -> None:
        if not TENANT_TOKEN.fullmatch(self.tenant):
            raise InvalidTenant(self.tenant)

    @property
    def user(self) -> str:
        return f"partner-{self.tenant}"

    @property
    def subjects(self) -> str:
        return f"{self.prefix}.{self.tenant}.>"

    @property
    def inbox_prefix(self) -> str:
        """Replies (JetStream API answers, pulled messages) come here; no other partner reads it."""
        return f"_INBOX_{self.tenant}"

    @property
    def stream(self) -> str:
        return f"{self.prefix.upper()}_PARTNER_{self.tenant.upper()}"

    def permissions(self) -> dict[str, Any]:
        api = "$JS.API"
        stream = self.stream
        return {
            "publish": {
                "allow": [
                    f"{api}.CONSUMER.CREATE.{stream}.*.{self.subjects}",
                    f"{api}.CONSUMER.INFO.{stream}.*",
                    f"{api}.CONSUMER.DELETE.{stream}.*",
                    f"{api}.CONSUMER.MSG.NEXT.{stream}.*",
                    f"{api}.CONSUMER.NAMES.{stream}",
                    f"{api}.CONSUMER.LIST.{stream}",
                    f"{api}.STREAM.INFO.{stream}",
                    f"$JS.ACK.{stream}.>",
                    f"$JS.FC.{stream}.>",
                ],
                # Belt and braces: whatever the allow list grows into, events are not a partner's
                # to publish.
                "deny": [f"{self.prefix}.>"],
            },
            "subscribe": {
                "allow": [self.subjects, f"{self.inbox_prefix}.>"],
            },
        }

    def stream_sources(self, services: list[str]) -> list[tuple[str, str]]:
        """(service stream, filter) pairs the partner stream sources from; a source's filter
        must lie within its stream's subjects (`<prefix>.*.<service>.>`), hence one per service."""
        return [
            (StreamNames(self.prefix, service).stream, f"{self.prefix}.{self.tenant}.{service}.>")
            for service in services
        ]
