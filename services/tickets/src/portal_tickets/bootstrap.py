"""The composition root of the tickets service: what the app and each request are built from."""

from __future__ import annotations

from dataclasses import dataclass

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.principal import Principal
from portal_kit.runtime import ServiceRuntime
from starlette.requests import Request

from portal_tickets.adapters.repositories import INDEXES, OUTBOX_COLLECTIONS, TicketRepository
from portal_tickets.entrypoints.context import TicketsContext
from portal_tickets.service_layer.tickets import TicketDesk
from portal_tickets.settings import TicketsSettings


@dataclass(frozen=True)
class TicketsService:
    """The running service's parts, and the use cases of one caller built from them."""

    runtime: ServiceRuntime
    clock: Clock

    def desk(self, principal: Principal) -> TicketDesk:
        """The ticket use cases of `principal`, on its tenant's tickets and numbers."""
        tenant = principal.tenant
        return TicketDesk(
            principal,
            self.runtime.repository(TicketRepository, tenant),
            self.runtime.counters(tenant),
            clock=self.clock,
        )

    def context(
        self, runtime: ServiceRuntime, principal: Principal, request: Request
    ) -> TicketsContext:
        """What the resolvers of one request get (the kit's `ContextFactory`)."""
        return TicketsContext(principal=principal, tickets=self.desk(principal), request=request)


def bootstrap(
    settings: TicketsSettings, *, clock: Clock = utc_now_to_the_millisecond
) -> TicketsService:
    runtime = ServiceRuntime(settings, outbox_collections=OUTBOX_COLLECTIONS, indexes=INDEXES)
    return TicketsService(runtime=runtime, clock=clock)
