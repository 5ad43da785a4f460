"""What the billing use cases need of the world outside, as Protocols, and the values those ports
exchange: MongoDB serves them in `adapters/repositories.py`, in-memory fakes in the tests. The
invoice numbers come from a `portal_kit.counters.Sequences`. Every port belongs to one tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from portal_kit.readmodels import OrganisationWrites
from portal_kit.repository import Keyset, Page, SightedAggregates

from portal_billing.domain.configuration import BillingConfiguration
from portal_billing.domain.incoming import IncomingInvoice
from portal_billing.domain.invoice import Invoice, InvoiceStatus, ListStatus
from portal_billing.service_layer.access import IncomingSight, InvoiceSight

# The columns of Avonova's list, each sortable.
SORT_COLUMNS = ("NUMBER", "ISSUE_DATE", "DUE_DATE", "PAYER", "TOTAL", "OUTSTANDING", "STATUS")
_STATUS_RANK = {
    InvoiceStatus.DRAFT: "0",
    InvoiceStatus.ISSUED: "1",
    InvoiceStatus.PAID: "2",
    InvoiceStatus.CREDITED: "3",
}


def sort_keys(invoice: Invoice, minor: Any) -> dict[str, Any]:
    """The value each column sorts by (`minor(amount, currency)`: minor units). Drafts have no
    number or dates and sort first; status sorts draft, issued (by due date, so overdue first),
    paid, credited."""
    return {
        "NUMBER": invoice.sequence or 0,
        "ISSUE_DATE": invoice.issue_date.isoformat() if invoice.issue_date else "",
        "DUE_DATE": invoice.due_date.isoformat() if invoice.due_date else "",
        "PAYER": invoice.payer.name.casefold(),
        "TOTAL": minor(invoice.total, invoice.currency),
        "OUTSTANDING": minor(invoice.outstanding, invoice.currency),
        "STATUS": _STATUS_RANK[invoice.status]
        + (invoice.due_date.isoformat() if invoice.due_date else ""),
    }


@dataclass(frozen=True)
class InvoiceFilter:
    """Which of the invoices in sight a search wants; every part given must hold. `number`: the
    invoice number, whole or its beginning; the dates bound the invoice date."""

    number: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    statuses: tuple[ListStatus, ...] = ()
    payer_organisation_ids: tuple[str, ...] = ()

    def matches(self, invoice: Invoice, today: date) -> bool:
        """The rule the repository's query states, for one invoice in hand (the fakes)."""
        if self.number and not (invoice.number or "").startswith(self.number):
            return False
        if self.issued_from and (
            invoice.issue_date is None or invoice.issue_date < self.issued_from
        ):
            return False
        if self.issued_to and (invoice.issue_date is None or invoice.issue_date > self.issued_to):
            return False
        if self.statuses and invoice.list_status(today) not in self.statuses:
            return False
        return not (
            self.payer_organisation_ids
            and invoice.payer_organisation_id not in self.payer_organisation_ids
        )


@dataclass(frozen=True)
class Sort:
    column: str = "NUMBER"
    descending: bool = False


@dataclass(frozen=True)
class PayerTotals:
    """What one payer owes: all outstanding, and the overdue part of it."""

    payer_organisation_id: str
    payer_name: str
    currency: str
    outstanding: Decimal
    overdue: Decimal
    open_invoices: int
    overdue_invoices: int


class Invoices(SightedAggregates[Invoice, InvoiceSight], Protocol):
    """The invoices of one tenant, read through an `InvoiceSight`."""

    async def get(self, aggregate_id: str) -> Invoice | None: ...

    async def search(
        self,
        sight: InvoiceSight,
        wanted: InvoiceFilter,
        sort: Sort,
        after: Keyset | None,
        size: int,
        *,
        today: date,
    ) -> Page[Invoice]: ...

    async def totals(
        self, sight: InvoiceSight, wanted: InvoiceFilter, *, today: date
    ) -> list[PayerTotals]: ...

    async def overdue_unannounced(self, today: date, *, limit: int) -> list[Invoice]: ...


class IncomingInvoices(SightedAggregates[IncomingInvoice, IncomingSight], Protocol):
    """Contractors' invoices of one tenant; `add` refuses a contractor's invoice number twice."""


@dataclass(frozen=True)
class KnownOrganisation:
    """An organisation as billing's read model of people's events knows it."""

    id: str
    kind: str | None
    parent_id: str | None
    name: str
    organisation_number: str | None
    active: bool


class Organisations(OrganisationWrites, Protocol):
    async def known(self, organisation_id: str) -> KnownOrganisation | None: ...

    async def with_descendants(self, organisation_ids: list[str]) -> list[str]: ...


@dataclass(frozen=True)
class BillableOrder:
    """A completed order as billing's read model of orders' events knows it."""

    order_id: str
    number: str
    order_type: str
    customer_organisation_id: str
    assignee_organisation_id: str | None
    invoice_reference: str | None
    invoice_marking: str
    completed_at: datetime
    state: str  # completed, cancelled, invoiced
    invoice_id: str | None = None
    incoming_invoice_id: str | None = None


class BillableOrders(Protocol):
    async def completed(self, order: BillableOrder, *, version: str) -> bool:
        """Recorded unless a newer completion is; a redelivered event changes nothing already
        billed. True when recorded."""

    async def moved(self, order_id: str, state: str, *, version: str) -> bool:
        """The order's state unless a newer move is recorded; True when recorded."""

    async def by_number(self, number: str) -> BillableOrder | None: ...

    async def unbilled(
        self, order_types: tuple[str, ...], payer: str | None, up_to: datetime, *, limit: int
    ) -> list[BillableOrder]: ...

    async def claim_for_invoice(self, order_id: str, invoice_id: str, at: datetime) -> bool:
        """Whether this call claimed the order for the invoice (each order bills once); the
        claim is pending until `confirm_invoice`."""

    async def confirm_invoice(self, order_ids: list[str], invoice_id: str) -> None:
        """The invoice is stored: its orders' claims are final."""

    async def pending_claims(self, before: datetime, *, limit: int) -> list[tuple[str, str]]:
        """(order id, invoice id) of claims made before `before` and never confirmed: a run
        that stopped between claiming and storing its invoice."""

    async def release_invoice(self, order_ids: list[str], invoice_id: str) -> None: ...

    async def claim_for_incoming(self, order_id: str, incoming_id: str) -> bool: ...

    async def release_incoming(self, order_id: str, incoming_id: str) -> None: ...


class EventFeed(Protocol):
    """How far billing has read another service's events (the kit's `FollowedEvents`)."""

    async def caught_up_within(self, seconds: float, *, settle: float = 0.0) -> bool: ...


class Documents(Protocol):
    """An issued invoice as a PDF and as an EHF / Peppol BIS Billing 3.0 UBL document."""

    def pdf(self, invoice: Invoice, configuration: BillingConfiguration) -> bytes: ...

    def ubl(self, invoice: Invoice, configuration: BillingConfiguration) -> bytes: ...

    def credit_note(
        self, invoice: Invoice, index: int, configuration: BillingConfiguration
    ) -> bytes: ...
