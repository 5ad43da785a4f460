"""What the invoice use cases need of the world outside, as Protocols: MongoDB serves them in
`adapters/repositories.py`, in-memory fakes in the tests. The invoice numbers come from a
`portal_kit.counters.Sequences`."""

from __future__ import annotations

from typing import Protocol

from portal_kit.repository import Keyset, Page

from portal_billing.domain.invoice import Invoice
from portal_billing.service_layer.access import InvoiceSight


class Invoices(Protocol):
    """The invoices of one tenant."""

    async def add(self, invoice: Invoice) -> None:
        """Stores a new invoice and its events; `Conflict` if its number is taken."""

    async def visible(self, sight: InvoiceSight, invoice_id: str) -> Invoice | None:
        """The invoice if it is in sight; None for a missing or hidden one alike."""

    async def page_for(self, sight: InvoiceSight, after: Keyset | None, size: int) -> Page[Invoice]:
        """`size` invoices in sight, by number, after the position `after`."""
