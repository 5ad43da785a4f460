"""The billing service's ports in memory, on the kit's fakes. Tests import it as `.fakes`."""

from __future__ import annotations

from portal_billing.domain.invoice import Invoice
from portal_kit.testing.fakes import InMemorySighted


class InMemoryInvoices(InMemorySighted[Invoice]):
    """The `Invoices` port of one tenant: `InvoiceSight.sees` in place of the query."""
