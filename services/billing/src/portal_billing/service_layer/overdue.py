"""The periodic check that announces each invoice that fell overdue, once (`InvoiceOverdue`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC

from portal_kit.clock import Clock
from portal_kit.domain import StaleVersion

from portal_billing.service_layer.ports import Invoices

BATCH = 200


class OverdueWatch:
    def __init__(
        self, tenants: Iterable[str], invoices_of: Callable[[str], Invoices], *, clock: Clock
    ) -> None:
        self.tenants = tuple(tenants)
        self.invoices_of = invoices_of
        self.clock = clock

    async def check(self) -> int:
        """How many invoices were announced overdue in this round."""
        today = self.clock().astimezone(UTC).date()
        announced = 0
        for tenant in self.tenants:
            invoices = self.invoices_of(tenant)
            while True:
                found = await invoices.overdue_unannounced(today, limit=BATCH)
                progressed = 0
                for invoice in found:
                    if invoice.announce_overdue(today):
                        try:
                            await invoices.save(invoice)
                        except StaleVersion:
                            continue  # changed meanwhile (paid?): the next round looks again
                        progressed += 1
                announced += progressed
                if len(found) < BATCH or progressed == 0:
                    break
        return announced
