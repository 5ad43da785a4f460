"""Who may see and do what with orders: the row-level visibility of docs/architecture.md.

- Operator staff see every order of their tenant and every log entry.
- A contractor organisation's members see the orders assigned to it (or to one of its
  departments); finished ones only while they closed inside the tenant's window.
- A customer organisation's members see its orders and those of its departments. A member of
  several customers who chose one to work for (the principal's active organisation, 'Vælg
  kunde') sees only that one's orders and its departments', and registers orders only for them;
  what they see as a contractor stays as it is (no manual lets a contractor switch firms).
- Resident contact, key and access information (the resident's phone among it): staff; the
  assigned contractor while the order is open; otherwise only the resident themself
  (`Viewer.sees_resident`).
- Log entries: internal ones to staff only; contractor ones also to the assigned contractor;
  resident ones also to the customer side.

All of it is said here in domain terms: `Sight` is what a repository turns into its query, and
the same rules answer for one loaded order. Every query already runs inside the principal's
tenant. An order out of sight is answered exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal_kit.principal import Principal

from portal_orders.domain.calendar import window_start
from portal_orders.domain.order import Order
from portal_orders.domain.record import Entry
from portal_orders.domain.workflow import Actor, TenantConfiguration, Visibility

SEEN_BY = {
    Actor.STAFF: frozenset(Visibility),
    Actor.SYSTEM: frozenset(Visibility),
    Actor.CONTRACTOR: frozenset({Visibility.CONTRACTOR, Visibility.RESIDENT}),
    Actor.CUSTOMER: frozenset({Visibility.RESIDENT}),
}


@dataclass(frozen=True)
class Sight:
    """Which orders one caller may see at one moment.

    Staff: every order. Anyone else: the orders whose customer is in `customers`, and those
    assigned to one of `organisations` unless closed before `window_start`. With neither staff
    nor organisations, nothing. `customers` is `organisations` unless the caller chose an
    active organisation: then that one and its departments.
    """

    staff: bool
    organisations: tuple[str, ...]
    window_start: datetime
    customers: tuple[str, ...]

    @property
    def nothing(self) -> bool:
        return not self.staff and not self.organisations and not self.customers

    def as_contractor(self, order: Order) -> bool:
        """Assigned to one of the caller's organisations and open or closed inside the window."""
        return order.assignee_organisation_id in self.organisations and (
            order.closed_at is None or order.closed_at >= self.window_start
        )

    def as_customer(self, order: Order) -> bool:
        return order.customer_organisation_id in self.customers

    def sees(self, order: Order) -> bool:
        return self.staff or self.as_customer(order) or self.as_contractor(order)


@dataclass(frozen=True)
class Viewer:
    """One caller with the organisations it belongs to (its own and their departments), and the
    customers it acts for: the active organisation and its departments when it chose one, else
    all of `organisations`."""

    principal: Principal
    organisations: tuple[str, ...]
    configuration: TenantConfiguration
    customers: tuple[str, ...]

    @property
    def staff(self) -> bool:
        return self.principal.is_staff

    def window_start(self, now: datetime) -> datetime:
        window = self.configuration.completed_window
        return window_start(now, days=window.days, months=window.months)

    @property
    def active_organisation(self) -> str | None:
        return self.principal.active_organisation

    def sight(self, now: datetime) -> Sight:
        signed_in = self.principal.authenticated
        organisations = self.organisations if signed_in else ()
        customers = self.customers if signed_in else ()
        return Sight(self.staff, organisations, self.window_start(now), customers)

    def actor_for(self, order: Order, now: datetime) -> Actor | None:
        """The caller's role on this order, or None when it may not see it at all."""
        if self.staff:
            return Actor.STAFF
        if not self.principal.authenticated:
            return None
        sight = self.sight(now)
        if sight.as_contractor(order):
            return Actor.CONTRACTOR
        if sight.as_customer(order):
            return Actor.CUSTOMER
        return None

    def sees_entry(self, entry: Entry, actor: Actor) -> bool:
        return entry.visibility in SEEN_BY[actor]

    def sees_resident(self, order: Order, actor: Actor) -> bool:
        if actor is Actor.STAFF:
            return True
        if actor is Actor.CONTRACTOR:
            return order.active
        resident = order.resident
        return resident is not None and resident.user_id == self.principal.user


@dataclass(frozen=True)
class Seen:
    """An order as one caller sees it, with the caller's role on it."""

    order: Order
    actor: Actor
    viewer: Viewer

    @property
    def entries(self) -> list[Entry]:
        return [e for e in self.order.activity if self.viewer.sees_entry(e, self.actor)]

    @property
    def sees_resident(self) -> bool:
        return self.viewer.sees_resident(self.order, self.actor)
