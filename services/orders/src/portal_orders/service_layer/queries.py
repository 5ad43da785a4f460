"""Reading orders: the list (search, filters, views, sort, keyset pages), the dashboard matrix
and bundles. Everything runs inside the caller's visibility filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from portal_kit.text import term_patterns

from portal_orders.adapters.repositories import (
    INT_SORT_FIELDS,
    SEARCH,
    SORT_COLUMNS,
    SORT_KEY,
    OrderRepository,
)
from portal_orders.domain.order import Order
from portal_orders.domain.workflow import (
    ACTIVE_CATEGORIES,
    COMPLETED_CATEGORIES,
)
from portal_orders.service_layer.access import Viewer

VIEWS = ("ALL", "ACTIVE", "COMPLETED")


class BadQuery(ValueError):
    """A filter, sort or cursor the list cannot use; reaches the client as a GraphQL error."""


@dataclass(frozen=True)
class OrderFilter:
    search: str | None = None
    statuses: tuple[str, ...] = ()
    order_types: tuple[str, ...] = ()
    view: str = "ALL"
    order_date_from: date | None = None
    order_date_to: date | None = None
    expected_delivery_from: date | None = None
    expected_delivery_to: date | None = None
    bundle: str | None = None
    customer_organisation_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sort:
    column: str = "NUMBER"
    descending: bool = False

    @property
    def path(self) -> str:
        return SORT_COLUMNS[self.column]


@dataclass
class Page:
    items: list[Order]
    cursors: list[list[Any]]
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


def _value(document: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        document = document.get(part, {}) if isinstance(document, dict) else {}
    return document


class OrderQueries:
    def __init__(self, orders: OrderRepository, viewer: Viewer, now: datetime) -> None:
        self.orders = orders
        self.viewer = viewer
        self.now = now

    def view_filter(self, view: str) -> dict[str, Any]:
        if view == "ACTIVE":
            return {"status_category": {"$in": sorted(ACTIVE_CATEGORIES)}}
        if view == "COMPLETED":
            return {
                "status_category": {"$in": sorted(COMPLETED_CATEGORIES)},
                "closed_at": {"$gte": self.viewer.window_start(self.now)},
            }
        return {}

    def mongo_filter(self, wanted: OrderFilter) -> dict[str, Any]:
        if wanted.view not in VIEWS:
            raise BadQuery(f"view must be one of {', '.join(VIEWS)}")
        parts: list[dict[str, Any]] = [
            self.viewer.visible_filter(self.now),
            self.view_filter(wanted.view),
        ]
        if wanted.statuses:
            parts.append({"status": {"$in": list(wanted.statuses)}})
        if wanted.order_types:
            parts.append({"order_type": {"$in": list(wanted.order_types)}})
        if wanted.customer_organisation_ids:
            parts.append(
                {"customer_organisation_id": {"$in": list(wanted.customer_organisation_ids)}}
            )
        if wanted.bundle:
            parts.append({"bundle": wanted.bundle})
        for path, low, high in (
            ("order_date", wanted.order_date_from, wanted.order_date_to),
            ("expected_delivery_date", wanted.expected_delivery_from, wanted.expected_delivery_to),
        ):
            bounds: dict[str, Any] = {}
            if low is not None:
                bounds["$gte"] = low.isoformat()
            if high is not None:
                bounds["$lte"] = high.isoformat()
            if bounds:
                parts.append({path: bounds})
        if wanted.search:
            if len(wanted.search) > 200:
                raise BadQuery("search text is at most 200 characters")
            # Regexes over the folded words: no $text, so MongoDB and the stand-in agree.
            parts += [{SEARCH: {"$regex": pattern}} for pattern in term_patterns(wanted.search)]
        parts = [p for p in parts if p]
        if not parts:
            return {}
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def after_filter(self, sort: Sort, after: list[Any] | None) -> dict[str, Any]:
        if after is None:
            return {}
        value, last_id = after
        is_int = sort.path in INT_SORT_FIELDS
        if (
            not isinstance(last_id, str)
            or isinstance(value, bool)
            or (is_int and not isinstance(value, int))
            or (not is_int and not isinstance(value, str))
        ):
            raise BadQuery("invalid cursor")
        beyond = "$lt" if sort.descending else "$gt"
        return {
            "$or": [
                {sort.path: {beyond: value}},
                {sort.path: value, "_id": {beyond: last_id}},
            ]
        }

    async def page(
        self, wanted: OrderFilter, sort: Sort, *, size: int, after: list[Any] | None
    ) -> Page:
        if sort.column not in SORT_COLUMNS:
            raise BadQuery(f"unknown sort column {sort.column}")
        base = self.mongo_filter(wanted)
        total = await self.orders.count(base)
        keyset = self.after_filter(sort, after)
        query = {"$and": [base, keyset]} if keyset else base
        direction = -1 if sort.descending else 1
        sort_spec = [(sort.path, direction), ("_id", direction)]
        documents = await self.orders.documents(
            query, sort=sort_spec, limit=size + 1, projection={"outbox": 0}
        )
        shown = documents[:size]
        return Page(
            items=[self.orders.from_document(d) for d in shown],
            cursors=[[_value(d, sort.path), d["_id"]] for d in shown],
            has_next=len(documents) > size,
            total=total,
        )

    async def dashboard(self, view: str = "ALL") -> Matrix:
        """Counts by status × order type, by one aggregation inside the caller's visibility."""
        configuration = self.viewer.configuration
        match = self.mongo_filter(OrderFilter(view=view))
        pipeline: list[dict[str, Any]] = [
            {"$match": match or {}},
            {"$group": {"_id": {"s": "$status", "t": "$order_type"}, "n": {"$sum": 1}}},
        ]
        rows = await self.orders.aggregate_documents(pipeline)
        matrix = Matrix(
            statuses=[s.code for s in configuration.statuses()],
            order_types=[t.code for t in configuration.order_types],
        )
        for row in rows:
            matrix.counts[(row["_id"]["s"], row["_id"]["t"])] = int(row["n"])
        return matrix

    async def bundles(
        self, wanted: OrderFilter, *, limit: int = 100
    ) -> list[tuple[str, list[Order]]]:
        """Bundles (one object's work orders of one day) with their visible orders."""
        base = self.mongo_filter(wanted)
        query = {"$and": [base, {"bundle": {"$ne": None}}]} if base else {"bundle": {"$ne": None}}
        documents = await self.orders.documents(
            query, sort=[("bundle", 1), (SORT_KEY, 1)], limit=limit * 20, projection={"outbox": 0}
        )
        grouped: dict[str, list[Order]] = {}
        for document in documents:
            grouped.setdefault(document["bundle"], []).append(self.orders.from_document(document))
        return list(grouped.items())[:limit]
