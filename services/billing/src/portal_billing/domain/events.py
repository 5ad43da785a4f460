"""Events of the billing service. Ids, codes, amounts and counts only: line descriptions are free
text and stay behind the API."""

from __future__ import annotations

from typing import ClassVar

from portal_kit.events import DomainEvent


class InvoiceCreated(DomainEvent):
    aggregate: ClassVar[str] = "invoice"
    name: ClassVar[str] = "created"
    invoice_id: str
    number: str
    payer_organisation_id: str
    status: str
    currency: str
    total: str
    line_count: int
