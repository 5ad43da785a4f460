"""Use cases of invoices: read what the caller may see, create a draft (load, act, save)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from portal_kit.clock import utc_now_to_the_millisecond
from portal_kit.counters import Counters
from portal_kit.mongo import Database
from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page

from portal_billing.adapters.repositories import SORT_KEY, InvoiceRepository
from portal_billing.domain.invoice import Invoice, InvoiceRequest, LineInput
from portal_billing.service_layer import access

INVOICE_SEQUENCE = "invoice"


def today_utc() -> date:
    """The day overdue is judged by; the tenant's time zone comes with configuration."""
    return datetime.now(UTC).date()


class InvoiceDesk:
    """The billing service's use cases for one caller."""

    def __init__(
        self,
        database: Database,
        principal: Principal,
        on_commit: Callable[[], None],
        *,
        clock: Callable[[], datetime] = utc_now_to_the_millisecond,
        today: Callable[[], date] = today_utc,
    ) -> None:
        self.database = database
        self.principal = principal
        self.on_commit = on_commit
        self.clock = clock
        self.today = today

    def invoices(self) -> InvoiceRepository:
        return InvoiceRepository(self.database, self.principal.tenant, on_commit=self.on_commit)

    # -- reading ----------------------------------------------------------------------------

    async def invoice(self, invoice_id: str) -> Invoice | None:
        """The invoice if the caller may see it; None for missing, invisible or another
        tenant's."""
        found = await self.invoices().find(
            {"$and": [{"_id": invoice_id}, access.visible_filter(self.principal)]}, limit=1
        )
        return found[0] if found else None

    async def page(self, *, size: int, after: Keyset | None) -> Page[Invoice]:
        """Visible invoices by number, `size` of them after the position `after`."""
        return await self.invoices().page(
            access.visible_filter(self.principal), after, sort_key=SORT_KEY, size=size
        )

    # -- changing ---------------------------------------------------------------------------

    async def create_invoice(
        self, *, payer_organisation_id: str, currency: str, lines: Sequence[LineInput]
    ) -> Invoice:
        access.require_staff(self.principal)
        request = InvoiceRequest.parse(
            payer_organisation_id=payer_organisation_id, currency=currency, lines=lines
        )
        # Only a request that passed every check takes a number.
        sequence = await Counters(self.database, self.principal.tenant).next(INVOICE_SEQUENCE)
        invoice = Invoice.create(self.principal.tenant, sequence, request, created_at=self.clock())
        await self.invoices().add(invoice)
        return invoice
