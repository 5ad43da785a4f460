"""Use cases of orders: read what the caller may see, create, assign (load, act, save)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from portal_kit.counters import Counters
from portal_kit.domain import NotFound, StaleVersion
from portal_kit.events import utc_now
from portal_kit.mongo import Database
from portal_kit.principal import Principal
from portal_kit.values import Problems

from portal_orders.adapters.repositories import SORT_KEY, OrderRepository
from portal_orders.domain.order import DEFAULT_CATALOGUE, Order, OrderCatalogue, OrderRequest
from portal_orders.service_layer import access

T = TypeVar("T")
ORDER_SEQUENCE = "order"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool
    total: int


def now_to_the_millisecond() -> datetime:
    """MongoDB keeps milliseconds; keeping no more means what we return is what we read back."""
    now = utc_now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def today_utc() -> date:
    return datetime.now(UTC).date()


class OrderDesk:
    """The orders service's use cases for one caller."""

    def __init__(
        self,
        database: Database,
        principal: Principal,
        on_commit: Callable[[], None],
        *,
        catalogue: OrderCatalogue = DEFAULT_CATALOGUE,
        clock: Callable[[], datetime] = now_to_the_millisecond,
        today: Callable[[], date] = today_utc,
    ) -> None:
        self.database = database
        self.principal = principal
        self.on_commit = on_commit
        self.catalogue = catalogue
        self.clock = clock
        self.today = today

    def orders(self) -> OrderRepository:
        return OrderRepository(self.database, self.principal.tenant, on_commit=self.on_commit)

    # -- reading ----------------------------------------------------------------------------

    async def order(self, order_id: str) -> Order | None:
        """The order if the caller may see it; None for missing, invisible or another tenant's."""
        found = await self.orders().find(
            {"$and": [{"_id": order_id}, access.visible_filter(self.principal)]}, limit=1
        )
        return found[0] if found else None

    async def page(self, *, size: int, after: dict[str, Any]) -> Page[Order]:
        """Visible orders by number, `size` of them after the keyset filter `after`."""
        visible = access.visible_filter(self.principal)
        repository = self.orders()
        total = await repository.count(visible)
        found = await repository.find(
            {"$and": [visible, after]}, sort=[(SORT_KEY, 1), ("_id", 1)], limit=size + 1
        )
        return Page(found[:size], has_next=len(found) > size, total=total)

    # -- changing ---------------------------------------------------------------------------

    async def create_order(
        self,
        *,
        order_type: str,
        description: str,
        customer_organisation_id: str,
        priority: str | None = None,
        order_date: date | None = None,
    ) -> Order:
        access.require_signed_in(self.principal)
        problems = Problems()
        request = problems.check(
            lambda: OrderRequest.parse(
                order_type=order_type,
                description=description,
                customer_organisation_id=customer_organisation_id,
                priority=priority,
                order_date=order_date or self.today(),
                catalogue=self.catalogue,
            ),
            None,
        )
        if not problems.about("customerOrganisationId"):
            problems.check(
                lambda: access.require_may_order_for(
                    self.principal, customer_organisation_id.strip()
                ),
                None,
            )
        problems.raise_if_any()
        assert request is not None
        # Only a request that passed every check takes a number.
        sequence = await Counters(self.database, self.principal.tenant).next(ORDER_SEQUENCE)
        order = Order.create(self.principal.tenant, sequence, request, created_at=self.clock())
        await self.orders().add(order)
        return order

    async def assign_order(
        self, order_id: str, version: int, assignee_organisation_id: str
    ) -> Order:
        order = await self.order(order_id)
        if order is None:
            raise NotFound("no such order", field="id")
        access.require_staff(self.principal)
        if order.version != version:
            raise StaleVersion(
                "it was changed by someone else since you loaded it; reload and try again",
                field="version",
            )
        if order.assign(assignee_organisation_id):
            await self.orders().save(order)
        return order
