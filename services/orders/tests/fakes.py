"""In-memory fakes of the orders service's ports (`service_layer/ports.py`), built on the kit's
`InMemoryAggregates` and `InMemoryCounters`: use cases run against them without MongoDB, NATS
or HTTP. They answer as the MongoDB adapters do for what the fast tests use."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from portal_kit.clock import Clock
from portal_kit.principal import Principal
from portal_kit.repository import Keyset
from portal_kit.testing.fakes import (
    InMemoryAggregates,
    InMemoryCounters,
    InMemoryFiles,
    InMemoryOrganisationWrites,
)
from portal_kit.text import term_patterns
from portal_orders.adapters.configuration import shipped_configurations
from portal_orders.domain.collation import SEPARATOR, collation_key
from portal_orders.domain.order import Order
from portal_orders.domain.workflow import ACTIVE_CATEGORIES, Category
from portal_orders.service_layer.access import Sight
from portal_orders.service_layer.orders import OrderDesk
from portal_orders.service_layer.ports import (
    DONE_CATEGORIES,
    OrderFilter,
    OrderPage,
    Sort,
    exact_number,
)
from portal_orders.testing import KNOWN_ORGANISATIONS

SortValue = Callable[[Order, Sort], Any]
SORT_VALUES: dict[str, SortValue] = {
    "NUMBER": lambda o, s: o.sequence,
    "PRIORITY": lambda o, s: o.priority_rank,
    "STATUS": lambda o, s: s.key_of(o.status),
    "ORDER_TYPE": lambda o, s: s.key_of(o.order_type),
    "ORDER_DATE": lambda o, s: o.order_date.isoformat(),
    "ASSIGNEE": lambda o, s: (
        s.key_of(o.assignee_organisation_id)
        + SEPARATOR
        + collation_key(o.assignee_contact.name if o.assignee_contact else "", s.locale)
    ),
}


def selects(sight: Sight, wanted: OrderFilter, order: Order) -> bool:
    """What `adapters.repositories.list_filter` selects, said in Python."""
    if not sight.sees(order):
        return False
    if wanted.view == "ACTIVE" and order.status_category not in ACTIVE_CATEGORIES:
        return False
    if wanted.view == "COMPLETED" and (
        order.status_category not in DONE_CATEGORIES
        or order.closed_at is None
        or order.closed_at < sight.window_start
    ):
        return False
    checks = [
        (wanted.statuses, order.status),
        (wanted.order_types, order.order_type),
        (wanted.customer_organisation_ids, order.customer_organisation_id),
    ]
    if any(allowed and value not in allowed for allowed, value in checks):
        return False
    if wanted.bundle and order.bundle != wanted.bundle:
        return False
    if wanted.number is not None and order.number != wanted.number.strip():
        return False
    for low, high, value in (
        (wanted.order_date_from, wanted.order_date_to, order.order_date),
        (wanted.expected_delivery_from, wanted.expected_delivery_to, order.expected_delivery_date),
    ):
        if not _between(value, low, high):
            return False
    text = order.search_text()
    return all(re.search(p, text) for p in term_patterns(wanted.search or ""))


def _between(value: date | None, low: date | None, high: date | None) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


class FakeOrders(InMemoryAggregates[Order]):
    async def visible_among(self, sight: Sight, order_ids: Sequence[str]) -> list[Order]:
        found = (self.stored.get(i) for i in set(order_ids))
        return [copy.deepcopy(o) for o in found if o is not None and sight.sees(o)]

    async def holding_file(self, sight: Sight, file_id: str) -> Order | None:
        found = self.matching(
            lambda o: (
                sight.sees(o)
                and any(a.file_id == file_id for e in o.activity for a in e.attachments)
            )
        )
        return found[0] if found else None

    async def listing(
        self,
        sight: Sight,
        wanted: OrderFilter,
        sort: Sort,
        *,
        after: Keyset | None,
        size: int,
    ) -> OrderPage:
        if sort.descending or sort.column not in SORT_VALUES:
            raise NotImplementedError("the fake pages ascending by number, priority, status...")

        def value(order: Order) -> Any:
            return SORT_VALUES[sort.column](order, sort)

        found = self.matching(lambda o: selects(sight, wanted, o))
        number = exact_number(wanted.search)
        first = [o for o in found if o.number == number]
        rest = [o for o in found if o.number != number]
        if first and after is not None:
            after = None if after.last_id == first[0].id else after
            first = []
        page = self.page_of(rest, after, sort_value=value, size=size - len(first))
        items = first + page.items
        return OrderPage(
            items=items,
            positions=[Keyset(value(o), o.id) for o in items],
            has_next=page.has_next,
            total=len(found),
        )

    async def count_by_status_and_type(
        self, sight: Sight, wanted: OrderFilter
    ) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for order in self.matching(lambda o: selects(sight, wanted, o)):
            key = (order.status, order.order_type)
            counts[key] = counts.get(key, 0) + 1
        return counts

    async def in_bundles(self, sight: Sight, wanted: OrderFilter, *, limit: int) -> list[Order]:
        found = self.matching(lambda o: o.bundle is not None and selects(sight, wanted, o))
        return sorted(found, key=lambda o: (o.bundle or "", o.sequence))[:limit]

    async def past_sla_dates(self, today: date, *, limit: int) -> list[Order]:
        def due(order: Order) -> bool:
            contact = order.expected_contact_date
            delivery = order.expected_delivery_date
            return (
                order.status_category is Category.NEW
                and contact is not None
                and contact < today
                and "contact" not in order.sla_breaches
            ) or (
                order.active
                and delivery is not None
                and delivery < today
                and "delivery" not in order.sla_breaches
            )

        return self.matching(due)[:limit]


class FakeOrganisations(InMemoryOrganisationWrites):
    @property
    def stored(self) -> dict[str, dict[str, Any]]:
        return self.documents

    async def names(self) -> dict[str, str]:
        return {i: str(v["name"]) for i, v in self.stored.items() if isinstance(v.get("name"), str)}

    async def existing(self, organisation_ids: list[str]) -> set[str]:
        return {i for i in organisation_ids if i in self.stored}

    async def with_descendants(self, organisation_ids: list[str]) -> list[str]:
        seen = list(dict.fromkeys(organisation_ids))
        frontier = list(seen)
        while frontier:
            frontier = [
                child
                for child, values in self.stored.items()
                if values.get("parent_id") in frontier and child not in seen
            ]
            seen += frontier
        return seen


class FakeEmployees:
    """As `EmployeeDirectory`: the newest state by version is kept, an older one dropped."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}

    async def record(
        self, employee_id: str, *, organisation_id: str, active: bool, version: str
    ) -> bool:
        kept = self.stored.get(employee_id)
        if kept is not None and kept["reflects"] >= version:
            return False
        self.stored[employee_id] = {
            "organisation_id": organisation_id,
            "active": active,
            "reflects": version,
        }
        return True

    async def employer(self, employee_id: str) -> str | None:
        kept = self.stored.get(employee_id)
        return str(kept["organisation_id"]) if kept is not None and kept["active"] else None


class FakeTenant:
    """One tenant's ports in memory, and the use cases of any caller on them."""

    def __init__(self, tenant: str, clock: Clock) -> None:
        self.tenant = tenant
        self.clock = clock
        self.configuration = shipped_configurations()[tenant]
        self.orders = FakeOrders(tenant)
        self.organisations = FakeOrganisations()
        for organisation_id in KNOWN_ORGANISATIONS.get(tenant, ()):  # as people's events told
            self.organisations.stored[organisation_id] = {"active": True}
        self.employees = FakeEmployees()
        self.counters = InMemoryCounters()
        self.files = InMemoryFiles()

    def desk(self, principal: Principal) -> OrderDesk:
        assert principal.tenant == self.tenant
        return OrderDesk(
            principal,
            self.configuration,
            orders=self.orders,
            organisations=self.organisations,
            employees=self.employees,
            counters=self.counters,
            files=self.files,
            clock=self.clock,
        )
