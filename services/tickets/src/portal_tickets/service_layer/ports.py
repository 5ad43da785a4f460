"""What the ticket use cases need of the world outside, as Protocols: MongoDB serves them in
`adapters/repositories.py`, in-memory fakes in the tests. The ticket numbers come from a
`portal_kit.counters.Sequences`."""

from __future__ import annotations

from typing import Protocol

from portal_kit.repository import SightedAggregates

from portal_tickets.domain.ticket import Ticket
from portal_tickets.service_layer.access import TicketSight


class Tickets(SightedAggregates[Ticket, TicketSight], Protocol):
    """The tickets of one tenant, read through a `TicketSight` in the order of their number;
    `add` refuses a taken number with `Conflict`."""
