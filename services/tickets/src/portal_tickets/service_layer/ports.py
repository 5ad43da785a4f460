"""What the ticket use cases need of the world outside, as Protocols: MongoDB serves them in
`adapters/repositories.py`, in-memory fakes in the tests. Ticket numbers come from a
`portal_kit.counters.Sequences`, files go to a `portal_kit.gridfs.FileStore`."""

from __future__ import annotations

from typing import Protocol

from portal_kit.repository import Keyset, Page, SightedAggregates

from portal_tickets.domain.ticket import Ticket
from portal_tickets.service_layer.access import TicketSight, TicketView


class Tickets(SightedAggregates[Ticket, TicketSight], Protocol):
    """The tickets of one tenant, read through a `TicketSight`; `add` refuses a taken number
    with `Conflict`."""

    async def listed(
        self, sight: TicketSight, view: TicketView, after: Keyset | None, size: int
    ) -> Page[Ticket]:
        """`size` tickets in sight that `view` takes, in its order, after `after`."""

    async def with_file(self, sight: TicketSight, file_id: str) -> Ticket | None:
        """The ticket in sight that holds the file; None for a missing or hidden one alike."""


class ProductAccess(Protocol):
    """The local read model of the people service's product access: which products a user
    (a profile) and a customer organisation have access to. Kept from people's events."""

    async def products_of(self, holder_kind: str, holder_id: str) -> frozenset[str] | None:
        """The holder's products; None when people never said anything of the holder."""

    async def record(
        self, holder_kind: str, holder_id: str, products: frozenset[str], *, as_of: int
    ) -> bool:
        """Stores the holder's products as of `as_of` (microseconds); False when a newer state
        is kept (a late redelivery changes nothing)."""


class OrganisationTree(Protocol):
    """The local read model of the people service's organisations: which is a department of
    which. Kept from people's events."""

    async def record(self, organisation_id: str, *, parent_id: str | None) -> None: ...

    async def with_descendants(self, organisation_ids: list[str]) -> list[str]:
        """The organisations and every department below them."""
