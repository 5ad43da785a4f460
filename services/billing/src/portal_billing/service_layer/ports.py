"""What the invoice use cases need of the world outside, as Protocols: MongoDB serves them in
`adapters/repositories.py`, in-memory fakes in the tests. The invoice numbers come from a
`portal_kit.counters.Sequences`."""

from __future__ import annotations

from typing import Protocol

from portal_kit.repository import SightedAggregates

from portal_billing.domain.invoice import Invoice
from portal_billing.service_layer.access import InvoiceSight


class Invoices(SightedAggregates[Invoice, InvoiceSight], Protocol):
    """The invoices of one tenant, read through a `InvoiceSight` in the order of their number;
    `add` refuses a taken number with `Conflict`."""
