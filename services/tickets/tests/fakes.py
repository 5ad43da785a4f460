"""The tickets service's ports in memory, on the kit's fakes: a sight's `sees` stands in for the
repository's query. Import as `services.tickets.tests.fakes` (pytest's importlib mode names test
modules by their path, so this does not clash with another service's `tests/fakes.py`)."""

from __future__ import annotations

from operator import attrgetter
from typing import Generic, Protocol, TypeVar

from portal_kit.domain import Aggregate
from portal_kit.repository import Keyset, Page
from portal_kit.testing.fakes import InMemoryAggregates
from portal_tickets.domain.ticket import Ticket

A = TypeVar("A", bound=Aggregate)
A_contra = TypeVar("A_contra", bound=Aggregate, contravariant=True)
BY_NUMBER = attrgetter("sequence")


class Sight(Protocol[A_contra]):
    def sees(self, aggregate: A_contra) -> bool: ...


class InMemorySighted(InMemoryAggregates[A], Generic[A]):
    """Aggregates read through a sight, in the order of their number (`sequence`), as the
    repositories of tickets and billing read them. For the kit: billing's fakes use it too."""

    async def visible_one(self, sight: Sight[A], aggregate_id: str) -> A | None:
        return next(iter(self.matching(lambda a: a.id == aggregate_id and sight.sees(a))), None)

    async def visible_page(self, sight: Sight[A], after: Keyset | None, size: int) -> Page[A]:
        return self.page_of(self.matching(sight.sees), after, sort_value=BY_NUMBER, size=size)


class InMemoryTickets(InMemorySighted[Ticket]):
    """The `Tickets` port of one tenant."""
