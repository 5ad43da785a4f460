"""Changes made by the platform itself, not by a person: the 'system' actor of the workflows
(e.g. Familjebostäder's 'Fakturerad', set when billing has invoiced the order).

Never reachable through GraphQL. The bootstrap hands `SystemDesk` to event consumers: the
consumer of billing's `incoming_invoice.matched` event moves the work order to its invoiced
status with `SystemDesk.invoiced`.
"""

from __future__ import annotations

from portal_kit.clock import Clock
from portal_kit.domain import NotFound

from portal_orders.domain.messages import _
from portal_orders.domain.order import Order
from portal_orders.domain.workflow import Actor, Category, TenantConfiguration
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

    async def invoiced(self, order_id: str) -> Order | None:
        """Billing invoiced the order: to the status of category 'invoiced' the system may move
        it to from where it is ('Fakturerad'). None when there is nothing to do: already
        invoiced (a repeated event), unknown here, or a workflow without such a step."""
        order = await self.orders.get(order_id)
        if self.configuration is None or order is None:
            return None
        if order.status_category is Category.INVOICED:
            return None
        order_type = self.configuration.order_type(order.order_type)
        if order_type is None:
            return None
        workflow = order_type.workflow
        for transition in workflow.transitions_from(order.status):
            target = workflow.status(transition.target)
            if Actor.SYSTEM in transition.actors and target.category is Category.INVOICED:
                return await self.transition(order_id, target.code)
        return None
