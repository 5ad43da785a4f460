"""The tickets service's ports in memory, on the kit's fakes. Tests import it as `.fakes`
(pytest's importlib mode names test modules by their path, so it does not clash with another
service's `fakes`)."""

from __future__ import annotations

from portal_kit.testing.fakes import InMemorySighted
from portal_tickets.domain.ticket import Ticket


class InMemoryTickets(InMemorySighted[Ticket]):
    """The `Tickets` port of one tenant: `TicketSight.sees` in place of the query."""
