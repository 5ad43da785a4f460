"""Use cases of tickets: read what the caller may see, open a ticket (load, act, save)."""

from __future__ import annotations

from portal_kit.clock import Clock
from portal_kit.counters import Sequences
from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page
from portal_kit.values import Problems

from portal_tickets.domain.ticket import DEFAULT_CATALOGUE, Ticket, TicketCatalogue, TicketRequest
from portal_tickets.service_layer import access
from portal_tickets.service_layer.access import TicketSight
from portal_tickets.service_layer.ports import Tickets

TICKET_SEQUENCE = "ticket"


class TicketDesk:
    """The tickets service's use cases for one caller."""

    def __init__(
        self,
        principal: Principal,
        tickets: Tickets,
        sequences: Sequences,
        *,
        clock: Clock,
        catalogue: TicketCatalogue = DEFAULT_CATALOGUE,
    ) -> None:
        self.principal = principal
        self.tickets = tickets
        self.sequences = sequences
        self.clock = clock
        self.catalogue = catalogue
        self.sight = TicketSight.of(principal)

    # -- reading ----------------------------------------------------------------------------

    async def ticket(self, ticket_id: str) -> Ticket | None:
        """The ticket if the caller may see it; None for missing, invisible or another
        tenant's."""
        return await self.tickets.visible(self.sight, ticket_id)

    async def page(self, *, size: int, after: Keyset | None) -> Page[Ticket]:
        """Visible tickets by number, `size` of them after the position `after`."""
        return await self.tickets.page_for(self.sight, after, size)

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
        sequence = await self.sequences.next(TICKET_SEQUENCE)
        ticket = Ticket.create(
            self.principal.tenant,
            sequence,
            request,
            created_by=self.principal.user,
            created_at=self.clock(),
        )
        await self.tickets.add(ticket)
        return ticket
