"""The periodic SLA check: orders past their expected contact or delivery date get an
`sla_breached` event, each breach once (the order remembers which it has had)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from portal_kit.clock import Clock
from portal_kit.domain import StaleVersion

from portal_orders.domain.workflow import TenantConfiguration
from portal_orders.service_layer.ports import Orders

BATCH = 200


class SlaWatch:
    """Records breaches of SLA dates in every configured tenant (a periodic job runs it)."""

    def __init__(
        self,
        configurations: Mapping[str, TenantConfiguration],
        orders_of: Callable[[str], Orders],
        *,
        clock: Clock,
    ) -> None:
        self.configurations = configurations
        self.orders_of = orders_of
        self.clock = clock

    async def check(self) -> int:
        """Record every breach not yet recorded; returns how many."""
        now = self.clock()
        breaches = 0
        for tenant, configuration in self.configurations.items():
            local_today = now.astimezone(ZoneInfo(configuration.time_zone)).date()
            orders = self.orders_of(tenant)
            for order in await orders.past_sla_dates(local_today, limit=BATCH):
                found = order.breach_sla(local_today, now=now)
                if not found:
                    continue
                try:
                    await orders.save(order)
                except StaleVersion:
                    continue  # changed meanwhile; the next round looks again
                breaches += len(found)
        return breaches
