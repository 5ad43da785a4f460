"""The tickets service's ports in memory, on the kit's fakes: a sight's `sees` stands in for the
repository's query. Tests import it as `.fakes`: pytest's importlib mode names test modules by
their path (`services.tickets.tests.fakes`), so it does not clash with another service's."""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any, Generic, Protocol, TypeVar

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

    async def visible(self, sight: Sight[A], aggregate_id: str) -> A | None:
        return next(iter(self.matching(lambda a: a.id == aggregate_id and sight.sees(a))), None)

    async def page_for(self, sight: Sight[A], after: Keyset | None, size: int) -> Page[A]:
        return self.page_of(self.matching(sight.sees), after, sort_value=BY_NUMBER, size=size)


async def assert_query_takes_in_what_sights_see(
    repository: Any, everything: Sight[A], sights: Iterable[Sight[A]]
) -> None:
    """A real repository's `page_for` and `visible` take in exactly what each sight
    `sees`, so the fakes above, reading through `sees`, stand in for it faithfully. For the
    kit, with `InMemorySighted`."""
    every = (await repository.page_for(everything, None, 1000)).items
    for sight in sights:
        page = await repository.page_for(sight, None, 1000)
        assert [a.id for a in page.items] == [a.id for a in every if sight.sees(a)], sight
        for aggregate in every:
            found = await repository.visible(sight, aggregate.id)
            assert (found is not None) == sight.sees(aggregate), (sight, aggregate.id)


class InMemoryTickets(InMemorySighted[Ticket]):
    """The `Tickets` port of one tenant."""
