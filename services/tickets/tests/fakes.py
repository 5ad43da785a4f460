"""The tickets service's ports in memory, on the kit's fakes. Tests import it as `.fakes`
(pytest's importlib mode names test modules by their path, so it does not clash with another
service's `fakes`)."""

from __future__ import annotations

from portal_kit.repository import Keyset, Page
from portal_kit.testing.fakes import InMemorySighted
from portal_tickets.domain.ticket import Ticket
from portal_tickets.service_layer.access import Sort, TicketSight, TicketView, sort_value


class InMemoryTickets(InMemorySighted[Ticket]):
    """The `Tickets` port of one tenant: `TicketSight.sees` and `TicketView.takes` in place of
    the queries."""

    async def listed(
        self, sight: TicketSight, view: TicketView, after: Keyset | None, size: int
    ) -> Page[Ticket]:
        descending = view.sort is not Sort.OLDEST
        taken = self.matching(lambda t: sight.sees(t) and view.takes(t, sight))

        def key(ticket: Ticket) -> tuple[int, str]:
            return (sort_value(ticket, view.sort), ticket.id)

        ordered = sorted(taken, key=key, reverse=descending)
        if after is not None:
            position = (after.value, after.last_id)
            ordered = [
                t for t in ordered if (key(t) < position if descending else key(t) > position)
            ]
        return Page(ordered[:size], has_next=len(ordered) > size, total=len(taken))

    async def with_file(self, sight: TicketSight, file_id: str) -> Ticket | None:
        found = self.matching(lambda t: sight.sees(t) and t.file(file_id) is not None)
        return found[0] if found else None


class InMemoryProductAccess:
    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], tuple[frozenset[str], int]] = {}

    async def products_of(self, holder_kind: str, holder_id: str) -> frozenset[str] | None:
        found = self.kept.get((holder_kind, holder_id))
        return None if found is None else found[0]

    async def record(
        self, holder_kind: str, holder_id: str, products: frozenset[str], *, as_of: int
    ) -> bool:
        known = self.kept.get((holder_kind, holder_id))
        if known is not None and known[1] > as_of:
            return False
        self.kept[(holder_kind, holder_id)] = (products, as_of)
        return True


class InMemoryOrganisations:
    """The `OrganisationTree` port: each organisation's parent."""

    def __init__(self) -> None:
        self.parents: dict[str, str | None] = {}

    async def record(self, organisation_id: str, *, parent_id: str | None) -> None:
        self.parents[organisation_id] = parent_id

    async def with_descendants(self, organisation_ids: list[str]) -> list[str]:
        found = list(dict.fromkeys(organisation_ids))
        for organisation in found:  # grows while it is walked: every level below
            found += [c for c, p in self.parents.items() if p == organisation and c not in found]
        return found
