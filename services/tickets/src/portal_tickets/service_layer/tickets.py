"""Use cases of tickets: read what the caller may see, open a ticket (load, act, save)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from portal_kit.clock import utc_now_to_the_millisecond
from portal_kit.counters import Counters
from portal_kit.mongo import Database
from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page
from portal_kit.values import Problems

from portal_tickets.adapters.repositories import SORT_KEY, TicketRepository
from portal_tickets.domain.ticket import DEFAULT_CATALOGUE, Ticket, TicketCatalogue, TicketRequest
from portal_tickets.service_layer import access

TICKET_SEQUENCE = "ticket"


class TicketDesk:
    """The tickets service's use cases for one caller."""

    def __init__(
        self,
        database: Database,
        principal: Principal,
        on_commit: Callable[[], None],
        *,
        catalogue: TicketCatalogue = DEFAULT_CATALOGUE,
        clock: Callable[[], datetime] = utc_now_to_the_millisecond,
    ) -> None:
        self.database = database
        self.principal = principal
        self.on_commit = on_commit
        self.catalogue = catalogue
        self.clock = clock

    def tickets(self) -> TicketRepository:
        return TicketRepository(self.database, self.principal.tenant, on_commit=self.on_commit)

    # -- reading ----------------------------------------------------------------------------

    async def ticket(self, ticket_id: str) -> Ticket | None:
        """The ticket if the caller may see it; None for missing, invisible or another
        tenant's."""
        found = await self.tickets().find(
            {"$and": [{"_id": ticket_id}, access.visible_filter(self.principal)]}, limit=1
        )
        return found[0] if found else None

    async def page(self, *, size: int, after: Keyset | None) -> Page[Ticket]:
        """Visible tickets by number, `size` of them after the position `after`."""
        return await self.tickets().page(
            access.visible_filter(self.principal), after, sort_key=SORT_KEY, size=size
        )

    # -- changing ---------------------------------------------------------------------------

    async def create_ticket(
        self,
        *,
        subject: str,
        description: str,
        organisation_id: str,
        ticket_type: str | None = None,
        private: bool = False,
    ) -> Ticket:
        access.require_signed_in(self.principal)
        problems = Problems()
        request = problems.check(
            lambda: TicketRequest.parse(
                subject=subject,
                description=description,
                organisation_id=organisation_id,
                ticket_type=ticket_type,
                private=private,
                catalogue=self.catalogue,
            ),
            None,
        )
        if not problems.about("organisationId"):
            problems.check(
                lambda: access.require_may_open_for(self.principal, organisation_id.strip()), None
            )
        problems.raise_if_any()
        assert request is not None
        # Only a request that passed every check takes a number.
        sequence = await Counters(self.database, self.principal.tenant).next(TICKET_SEQUENCE)
        ticket = Ticket.create(
            self.principal.tenant,
            sequence,
            request,
            created_by=self.principal.user,
            created_at=self.clock(),
        )
        await self.tickets().add(ticket)
        return ticket
