"""Use cases of invoices: read what the caller may see, create a draft (load, act, save)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date

from portal_kit.clock import Clock
from portal_kit.counters import Sequences
from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page

from portal_billing.domain.invoice import Invoice, InvoiceRequest, LineInput
from portal_billing.service_layer import access
from portal_billing.service_layer.access import InvoiceSight
from portal_billing.service_layer.ports import Invoices

INVOICE_SEQUENCE = "invoice"


class InvoiceDesk:
    """The billing service's use cases for one caller."""

    def __init__(
        self, principal: Principal, invoices: Invoices, sequences: Sequences, *, clock: Clock
    ) -> None:
        self.principal = principal
        self.invoices = invoices
        self.sequences = sequences
        self.clock = clock
        self.sight = InvoiceSight.of(principal)

    def today(self) -> date:
        """The day overdue is judged by (in UTC); the tenant's time zone comes with
        configuration."""
        return self.clock().astimezone(UTC).date()

    # -- reading ----------------------------------------------------------------------------

    async def invoice(self, invoice_id: str) -> Invoice | None:
        """The invoice if the caller may see it; None for missing, invisible or another
        tenant's."""
        return await self.invoices.visible(self.sight, invoice_id)

    async def page(self, *, size: int, after: Keyset | None) -> Page[Invoice]:
        """Visible invoices by number, `size` of them after the position `after`."""
        return await self.invoices.page_for(self.sight, after, size)

    # -- changing ---------------------------------------------------------------------------

    async def create_invoice(
        self, *, payer_organisation_id: str, currency: str, lines: Sequence[LineInput]
    ) -> Invoice:
        access.require_staff(self.principal)
        request = InvoiceRequest.parse(
            payer_organisation_id=payer_organisation_id, currency=currency, lines=lines
        )
        # Only a request that passed every check takes a number.
        sequence = await self.sequences.next(INVOICE_SEQUENCE)
        invoice = Invoice.create(self.principal.tenant, sequence, request, created_at=self.clock())
        await self.invoices.add(invoice)
        return invoice
