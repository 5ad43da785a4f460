"""The tickets service's ports in memory, on the kit's fakes: `TicketSight.sees` stands in for
the repository's query. Import as `services.tickets.tests.fakes` (pytest's importlib mode)."""

from __future__ import annotations

from portal_kit.repository import Keyset, Page
from portal_kit.testing.fakes import InMemoryAggregates
from portal_tickets.domain.ticket import Ticket
from portal_tickets.service_layer.access import TicketSight


class InMemoryTickets(InMemoryAggregates[Ticket]):
    """The `Tickets` port of one tenant."""

    async def visible_one(self, sight: TicketSight, ticket_id: str) -> Ticket | None:
        return next(iter(self.matching(lambda t: t.id == ticket_id and sight.sees(t))), None)

    async def visible_page(
        self, sight: TicketSight, after: Keyset | None, size: int
    ) -> Page[Ticket]:
        return self.page_of(self.matching(sight.sees), after, sort_value=_number, size=size)


def _number(ticket: Ticket) -> int:
    return ticket.sequence
