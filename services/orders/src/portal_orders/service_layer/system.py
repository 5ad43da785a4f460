"""Changes made by the platform itself, not by a person: the 'system' actor of the workflows
(e.g. Familjebostäder's 'Fakturerad', set when billing has invoiced the order).

Never reachable through GraphQL. The bootstrap hands `SystemDesk` to event consumers: the
consumer of billing's "order invoiced" event (issue 14) moves the order to its invoiced status
with `SystemDesk.transition`; until then only tests call it.
"""

from __future__ import annotations

from portal_kit.clock import Clock
from portal_kit.domain import NotFound

from portal_orders.domain.messages import _
from portal_orders.domain.order import Order
from portal_orders.domain.workflow import Actor, TenantConfiguration
from portal_orders.service_layer.ports import Orders

SYSTEM_USER = "system"


class SystemDesk:
    """The platform's own changes to one tenant's orders."""

    def __init__(
        self, configuration: TenantConfiguration | None, orders: Orders, *, clock: Clock
    ) -> None:
        self.configuration = configuration
        self.orders = orders
        self.clock = clock

    async def transition(self, order_id: str, status: str) -> Order:
        """Move an order as the system actor; the workflow decides whether the system may."""
        order = await self.orders.get(order_id)
        if self.configuration is None or order is None:
            raise NotFound(_("no such order"), field="id")
        order_type = self.configuration.order_type(order.order_type)
        if order_type is None:
            raise NotFound(_("no such order type"), field="id")
        order.transition(
            order_type.workflow, status, actor=Actor.SYSTEM, user=SYSTEM_USER, now=self.clock()
        )
        await self.orders.save(order)
        return order
