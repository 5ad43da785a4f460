"""The periodic SLA check: orders past their expected contact or delivery date get an
`sla_breached` event, each breach once (the order remembers which it has had)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from portal_kit.domain import StaleVersion
from portal_kit.mongo import Database

from portal_orders.adapters.configuration import shipped_configurations
from portal_orders.adapters.repositories import OrderRepository
from portal_orders.domain.workflow import ACTIVE_CATEGORIES, Category

log = logging.getLogger(__name__)
BATCH = 200


async def check_sla(
    database: Database, now: datetime, on_commit: Callable[[], None] = lambda: None
) -> int:
    """Record every breach not yet recorded, in every configured tenant; returns how many."""
    breaches = 0
    for tenant, configuration in shipped_configurations().items():
        today = now.astimezone(ZoneInfo(configuration.time_zone)).date().isoformat()
        orders = OrderRepository(database, tenant, on_commit=on_commit)
        due = await orders.find(
            {
                "$or": [
                    {
                        "status_category": Category.NEW.value,
                        "expected_contact_date": {"$lt": today, "$ne": None},
                        "sla_breaches": {"$ne": "contact"},
                    },
                    {
                        "status_category": {"$in": sorted(ACTIVE_CATEGORIES)},
                        "expected_delivery_date": {"$lt": today, "$ne": None},
                        "sla_breaches": {"$ne": "delivery"},
                    },
                ]
            },
            limit=BATCH,
        )
        local_today = now.astimezone(ZoneInfo(configuration.time_zone)).date()
        for order in due:
            found = order.breach_sla(local_today, now=now)
            if not found:
                continue
            try:
                await orders.save(order)
            except StaleVersion:
                continue  # changed meanwhile; the next round looks again
            breaches += len(found)
    return breaches
