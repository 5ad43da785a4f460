"""What the ticket use cases need of the world outside, as Protocols: MongoDB serves them in
`adapters/repositories.py`, in-memory fakes in the tests. The ticket numbers come from a
`portal_kit.counters.Sequences`."""

from __future__ import annotations

from typing import Protocol

from portal_kit.repository import Keyset, Page

from portal_tickets.domain.ticket import Ticket
from portal_tickets.service_layer.access import TicketSight


class Tickets(Protocol):
    """The tickets of one tenant."""

    async def add(self, ticket: Ticket) -> None:
        """Stores a new ticket and its events; `Conflict` if its number is taken."""

    async def visible(self, sight: TicketSight, ticket_id: str) -> Ticket | None:
        """The ticket if it is in sight; None for a missing or hidden one alike."""

    async def page_for(self, sight: TicketSight, after: Keyset | None, size: int) -> Page[Ticket]:
        """`size` tickets in sight, by number, after the position `after`."""
