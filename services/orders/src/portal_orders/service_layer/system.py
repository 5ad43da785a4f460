"""Changes made by the platform itself, not by a person: the 'system' actor of the workflows
(e.g. Familjebostäder's 'Fakturerad', set when billing has invoiced the order). Called by event
handlers; never reachable through GraphQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from portal_kit.domain import NotFound
from portal_kit.mongo import Database

from portal_orders.adapters.configuration import configuration_for
from portal_orders.adapters.repositories import OrderRepository
from portal_orders.domain.order import Order
from portal_orders.domain.workflow import Actor


async def system_transition(
    database: Database,
    tenant: str,
    order_id: str,
    status: str,
    *,
    now: datetime,
    on_commit: Callable[[], None] = lambda: None,
) -> Order:
    """Move an order as the system actor; the workflow decides whether the system may."""
    configuration = configuration_for(tenant)
    orders = OrderRepository(database, tenant, on_commit=on_commit)
    order = await orders.get(order_id)
    if configuration is None or order is None:
        raise NotFound("no such order", field="id")
    order_type = configuration.order_type(order.order_type)
    if order_type is None:
        raise NotFound("no such order type", field="id")
    order.transition(order_type.workflow, status, actor=Actor.SYSTEM, user="system", now=now)
    await orders.save(order)
    return order
