"""Events of the billing service. Ids, numbers, codes, dates and amounts only: line texts,
payment references and invoice markings are free text and stay behind the API."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from portal_kit.events import DomainEvent


class InvoiceEvent(DomainEvent):
    aggregate: ClassVar[str] = "invoice"
    invoice_id: str
    payer_organisation_id: str


class InvoiceCreated(InvoiceEvent):
    """A draft was drawn up (by staff, or by an invoice run from billable orders)."""

    name: ClassVar[str] = "created"
    status: str
    currency: str
    total: str
    line_count: int
    order_ids: list[str]


class InvoiceIssued(InvoiceEvent):
    """The draft got its number, invoice and due date and went to the payer."""

    name: ClassVar[str] = "issued"
    number: str
    issue_date: date
    due_date: date
    currency: str
    total: str
    vat: str
    order_ids: list[str]


class InvoicePartPaid(InvoiceEvent):
    """A payment lowered the outstanding amount; something is still to pay."""

    name: ClassVar[str] = "part_paid"
    number: str
    amount: str
    paid_on: date
    outstanding: str


class InvoicePaid(InvoiceEvent):
    """The last payment: nothing is outstanding."""

    name: ClassVar[str] = "paid"
    number: str
    amount: str
    paid_on: date


class InvoiceCredited(InvoiceEvent):
    """A credit note (its own number) lowered the outstanding amount."""

    name: ClassVar[str] = "credited"
    number: str
    credit_note_number: str
    amount: str
    outstanding: str
    fully_credited: bool


class InvoiceOverdue(InvoiceEvent):
    """The due date passed with something outstanding; sent once, by the periodic check."""

    name: ClassVar[str] = "overdue"
    number: str
    due_date: date
    outstanding: str


class IncomingInvoiceMatched(DomainEvent):
    """A contractor's invoice was matched to its completed work order: the orders service moves
    the order to its invoiced status ('Fakturerad')."""

    aggregate: ClassVar[str] = "incoming_invoice"
    name: ClassVar[str] = "matched"
    incoming_invoice_id: str
    contractor_organisation_id: str
    order_id: str
    order_number: str
    reference: str
    currency: str
    amount: str
