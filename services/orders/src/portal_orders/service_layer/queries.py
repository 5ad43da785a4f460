"""Reading orders: the list (search, filters, views, sort, keyset pages), the dashboard matrix
and bundles. Everything stays inside the caller's sight; the repository makes the queries."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from portal_kit.repository import Keyset

from portal_orders.domain.collation import collation_key
from portal_orders.domain.messages import _
from portal_orders.domain.order import Order
from portal_orders.service_layer.access import Seen, Viewer
from portal_orders.service_layer.ports import (
    SORT_COLUMNS,
    VIEWS,
    OrderFilter,
    Orders,
    Organisations,
    Sort,
)

MAX_SEARCH = 200
MAX_NUMBER = 40
# Bundles are read with up to this many orders each, on average.
ORDERS_PER_BUNDLE = 20


class BadQuery(ValueError):
    """A filter, sort or cursor the list cannot use; reaches the client as a GraphQL error."""


@dataclass
class SeenPage:
    items: list[Seen]
    positions: list[Keyset]
    has_next: bool
    total: int


@dataclass
class Matrix:
    statuses: list[str]
    order_types: list[str]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def cell(self, status: str, order_type: str) -> int:
        return self.counts.get((status, order_type), 0)

    def row_total(self, status: str) -> int:
        return sum(self.cell(status, t) for t in self.order_types)

    def column_total(self, order_type: str) -> int:
        return sum(self.cell(s, order_type) for s in self.statuses)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def checked(wanted: OrderFilter) -> OrderFilter:
    if wanted.view not in VIEWS:
        raise BadQuery(_("view must be one of {views}", views=", ".join(VIEWS)))
    if wanted.search and len(wanted.search) > MAX_SEARCH:
        raise BadQuery(_("search text is at most {limit} characters", limit=MAX_SEARCH))
    if wanted.number is not None and not 0 < len(wanted.number.strip()) <= MAX_NUMBER:
        raise BadQuery(_("an order number is 1 to {limit} characters", limit=MAX_NUMBER))
    return wanted


class OrderQueries:
    def __init__(
        self, orders: Orders, viewer: Viewer, now: datetime, organisations: Organisations
    ) -> None:
        self.orders = orders
        self.organisations = organisations
        self.viewer = viewer
        self.now = now
        self.sight = viewer.sight(now)

    def seen(self, orders: list[Order]) -> list[Seen]:
        """The orders with the caller's role on each; any out of sight left out."""
        found = []
        for order in orders:
            actor = self.viewer.actor_for(order, self.now)
            if actor is not None:
                found.append(Seen(order, actor, self.viewer))
        return found

    async def page(
        self, wanted: OrderFilter, sort: Sort, *, size: int, after: Keyset | None
    ) -> SeenPage:
        if sort.column not in SORT_COLUMNS:
            raise BadQuery(_("unknown sort column {column}", column=sort.column))
        labelled = await self.labelled(sort)
        page = await self.orders.listing(
            self.sight, checked(wanted), labelled, after=after, size=size
        )
        seen = self.seen(page.items)
        assert len(seen) == len(page.items)  # the repository let only visible orders through
        return SeenPage(seen, page.positions, page.has_next, page.total)

    async def labelled(self, sort: Sort) -> Sort:
        """`sort` with the keys of what its column shows the caller: status and order type
        labels in the caller's language, contractor organisations' names."""
        locale = self.viewer.principal.locale
        configuration = self.viewer.configuration
        shown: dict[str, str] = {}
        if sort.column == "STATUS":
            shown = {s.code: s.label(locale) for s in configuration.statuses()}
        elif sort.column == "ORDER_TYPE":
            shown = {t.code: t.label(locale) for t in configuration.order_types}
        elif sort.column == "ASSIGNEE":
            shown = await self.organisations.names()
        keys = tuple((code, collation_key(label, locale)) for code, label in shown.items())
        return replace(sort, keys=keys, locale=locale)

    async def dashboard(self, view: str = "ALL") -> Matrix:
        """Counts by status × order type inside the caller's sight."""
        configuration = self.viewer.configuration
        counts = await self.orders.count_by_status_and_type(
            self.sight, checked(OrderFilter(view=view))
        )
        return Matrix(
            statuses=[s.code for s in configuration.statuses()],
            order_types=[t.code for t in configuration.order_types],
            counts=counts,
        )

    async def bundles(
        self, wanted: OrderFilter, *, limit: int = 100
    ) -> list[tuple[str, list[Seen]]]:
        """Bundles (one object's work orders of one day) with their visible orders."""
        found = await self.orders.in_bundles(
            self.sight, checked(wanted), limit=limit * ORDERS_PER_BUNDLE
        )
        grouped: dict[str, list[Order]] = {}
        for order in found:
            assert order.bundle is not None
            grouped.setdefault(order.bundle, []).append(order)
        return [(number, self.seen(orders)) for number, orders in list(grouped.items())[:limit]]
