"""What the use cases need of the world, as Protocols, and the values those ports exchange.

`adapters/` implements them on MongoDB and GridFS (`OrderRepository`, `OrganisationDirectory`,
`EmployeeDirectory`, `portal_kit.gridfs.GridFSStore`, and `portal_kit.counters.Counters` for
`Sequences`); the fast tests implement them in memory (`tests/fakes.py`). Every port belongs to
one tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from portal_kit.readmodels import OrganisationWrites
from portal_kit.repository import Keyset

from portal_orders.domain.order import Order
from portal_orders.domain.workflow import Category
from portal_orders.service_layer.access import Sight

VIEWS = ("ALL", "ACTIVE", "COMPLETED")
# Columns of the order list that can be sorted; the first two sort by a number, the rest by text.
SORT_COLUMNS = (
    "NUMBER",
    "PRIORITY",
    "STATUS",
    "ORDER_TYPE",
    "ORDER_DATE",
    "EXPECTED_CONTACT_DATE",
    "EXPECTED_DELIVERY_DATE",
    "DESCRIPTION",
    "ASSIGNEE",
    "ADDRESS",
)
NUMERIC_COLUMNS = frozenset({"NUMBER", "PRIORITY"})
# Columns that show a label rather than what is stored (a status code, an organisation id):
# they sort by the label's collation key in the caller's language (`Sort.keys`).
LABELLED_COLUMNS = frozenset({"STATUS", "ORDER_TYPE", "ASSIGNEE"})
# The COMPLETED view is the manuals' done orders ('Utførte bestillinger siste 6 måneder',
# Familjebostäder's 'Utförda'), later invoiced or not; declined orders are not among them.
DONE_CATEGORIES = frozenset({Category.DONE, Category.INVOICED})


@dataclass(frozen=True)
class OrderFilter:
    """Which of the orders in sight a list wants; every part given must hold.

    `view`: ALL, ACTIVE (new, open or waiting) or COMPLETED (done or invoiced, closed inside
    the tenant's window). `search`: every word of it occurs in the order's searchable text,
    compared folded; the order whose number is the whole search comes first. `number`: exactly
    this order number.
    """

    search: str | None = None
    number: str | None = None
    statuses: tuple[str, ...] = ()
    order_types: tuple[str, ...] = ()
    view: str = "ALL"
    order_date_from: date | None = None
    order_date_to: date | None = None
    expected_delivery_from: date | None = None
    expected_delivery_to: date | None = None
    bundle: str | None = None
    customer_organisation_ids: tuple[str, ...] = ()


def exact_number(search: str | None) -> str | None:
    """The order number a search may be (one word, as typed): ranked first when one has it."""
    words = (search or "").split()
    return words[0] if len(words) == 1 else None


@dataclass(frozen=True)
class Sort:
    """A column and direction. For a labelled column, `keys` are the collation keys of the
    labels the caller sees, by stored value (status or order type code, organisation id), and
    `locale` the language they are in; a stored value without a key sorts first."""

    column: str = "NUMBER"
    descending: bool = False
    keys: tuple[tuple[str, str], ...] = ()
    locale: str = "en"

    def key_of(self, stored: str | None) -> str:
        return dict(self.keys).get(stored or "", "")

    @property
    def value_type(self) -> type:
        """The type of the column's sort value, as a page position carries it."""
        return int if self.column in NUMERIC_COLUMNS else str


@dataclass
class OrderPage:
    """One page of a list: the orders, each one's position (for the next page's `after`)."""

    items: list[Order]
    positions: list[Keyset]
    has_next: bool
    total: int


class Orders(Protocol):
    """One tenant's orders."""

    async def add(self, order: Order) -> None: ...

    async def get(self, order_id: str) -> Order | None:
        """The order whoever may see it: for the platform's own changes only."""
        ...

    async def save(self, order: Order) -> None: ...

    async def visible_among(self, sight: Sight, order_ids: Sequence[str]) -> list[Order]:
        """The orders of these ids that are in sight, in one query, in no particular order."""
        ...

    async def holding_file(self, sight: Sight, file_id: str) -> Order | None:
        """The order in sight whose activity log has an attachment with this file id."""
        ...

    async def listing(
        self,
        sight: Sight,
        wanted: OrderFilter,
        sort: Sort,
        *,
        after: Keyset | None,
        size: int,
    ) -> OrderPage: ...

    async def count_by_status_and_type(
        self, sight: Sight, wanted: OrderFilter
    ) -> dict[tuple[str, str], int]: ...

    async def in_bundles(self, sight: Sight, wanted: OrderFilter, *, limit: int) -> list[Order]:
        """Orders in sight that belong to a bundle, by bundle, then in order of registration."""
        ...

    async def past_sla_dates(self, today: date, *, limit: int) -> list[Order]:
        """Orders still waiting for an expected contact or delivery date before `today` whose
        breach of it is not yet recorded."""
        ...


class Organisations(OrganisationWrites, Protocol):
    """The local read model of the people service's organisations."""

    async def with_descendants(self, organisation_ids: list[str]) -> list[str]:
        """The organisations and every department below them."""
        ...

    async def existing(self, organisation_ids: list[str]) -> set[str]:
        """Those of the ids that name an organisation of the tenant (as people's events told)."""
        ...

    async def names(self) -> dict[str, str]:
        """The display name of each organisation whose name people's events have told."""
        ...


class Employees(Protocol):
    """The local read model of the people service's employees: each one's organisation and
    whether they are active, as of the newest people event about them."""

    async def record(
        self, employee_id: str, *, organisation_id: str, active: bool, version: str
    ) -> bool:
        """Keeps this state unless a newer one (`portal_kit.versioned.event_version`) is kept
        already; True when kept. Recording the same state again changes nothing."""
        ...

    async def employer(self, employee_id: str) -> str | None:
        """The organisation of an active employee; None for one unknown or deactivated."""
        ...
