"""Who may see and do what with orders: the row-level visibility of DESIGN.md.

- Operator staff see every order of their tenant and every log entry.
- A contractor organisation's members see the orders assigned to it (or to one of its
  departments); finished ones only while they closed inside the tenant's window.
- A customer organisation's members see its orders and those of its departments.
- Resident contact, key and access information: staff; the assigned contractor while the order is
  open; otherwise only the resident themself.
- Log entries: internal ones to staff only; contractor ones also to the assigned contractor;
  resident ones also to the customer side.

Every query already runs inside the principal's tenant. An order out of sight is answered exactly
like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal_kit.principal import Principal
from portal_kit.repository import NOTHING

from portal_orders.domain.order import Order, window_start
from portal_orders.domain.record import Entry
from portal_orders.domain.workflow import Actor, TenantConfiguration, Visibility

SEEN_BY = {
    Actor.STAFF: frozenset(Visibility),
    Actor.SYSTEM: frozenset(Visibility),
    Actor.CONTRACTOR: frozenset({Visibility.CONTRACTOR, Visibility.RESIDENT}),
    Actor.CUSTOMER: frozenset({Visibility.RESIDENT}),
}


@dataclass(frozen=True)
class Viewer:
    """One caller with the organisations it acts for (its own and their departments)."""

    principal: Principal
    organisations: tuple[str, ...]
    configuration: TenantConfiguration

    @property
    def staff(self) -> bool:
        return self.principal.is_staff

    def window_start(self, now: datetime) -> datetime:
        window = self.configuration.completed_window
        return window_start(now, days=window.days, months=window.months)

    def visible_filter(self, now: datetime) -> dict[str, Any]:
        if self.staff:
            return {}
        if not self.principal.authenticated or not self.organisations:
            return NOTHING
        organisations = list(self.organisations)
        return {
            "$or": [
                {"customer_organisation_id": {"$in": organisations}},
                {
                    "assignee_organisation_id": {"$in": organisations},
                    "$or": [{"closed_at": None}, {"closed_at": {"$gte": self.window_start(now)}}],
                },
            ]
        }

    def actor_for(self, order: Order, now: datetime) -> Actor | None:
        """The caller's role on this order, or None when it may not see it at all."""
        if self.staff:
            return Actor.STAFF
        if not self.principal.authenticated:
            return None
        if order.assignee_organisation_id in self.organisations and (
            order.closed_at is None or order.closed_at >= self.window_start(now)
        ):
            return Actor.CONTRACTOR
        if order.customer_organisation_id in self.organisations:
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
