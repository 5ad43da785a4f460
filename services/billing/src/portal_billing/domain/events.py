"""Events of the billing service. Ids, numbers, codes, dates and amounts only: line texts,
payment references and invoice markings are free text and stay behind the API."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from portal_kit.events import DomainEvent
from pydantic import Field


class InvoiceEvent(DomainEvent):
    aggregate: ClassVar[str] = "invoice"
    invoice_id: str = Field(description="The invoice's id.")
    payer_organisation_id: str = Field(
        description="The paying organisation's id (people's organisation id)."
    )


class InvoiceCreated(InvoiceEvent):
    """A draft was drawn up (by staff, or by an invoice run from billable orders)."""

    name: ClassVar[str] = "created"
    status: str = Field(description="The invoice's status code after the change.")
    currency: str = Field(description="ISO 4217 currency code, e.g. NOK.")
    total: str = Field(description="The invoice total including VAT, a decimal string.")
    line_count: int = Field(description="How many lines the invoice has.")
    order_ids: list[str] = Field(description="The ids of the orders the invoice bills.")


class InvoiceIssued(InvoiceEvent):
    """The draft got its number, invoice and due date and went to the payer."""

    name: ClassVar[str] = "issued"
    number: str = Field(description="The invoice number.")
    issue_date: date = Field(description="The invoice date.")
    due_date: date = Field(description="The due date.")
    currency: str = Field(description="ISO 4217 currency code, e.g. NOK.")
    total: str = Field(description="The invoice total including VAT, a decimal string.")
    vat: str = Field(description="The VAT amount, a decimal string.")
    order_ids: list[str] = Field(description="The ids of the orders the invoice bills.")


class InvoicePartPaid(InvoiceEvent):
    """A payment lowered the outstanding amount; something is still to pay."""

    name: ClassVar[str] = "part_paid"
    number: str = Field(description="The invoice number.")
    amount: str = Field(description="The amount of this payment, a decimal string.")
    paid_on: date = Field(description="The date the payment was made.")
    outstanding: str = Field(description="What is still to pay after the change, a decimal string.")


class InvoicePaid(InvoiceEvent):
    """The last payment: nothing is outstanding."""

    name: ClassVar[str] = "paid"
    number: str = Field(description="The invoice number.")
    amount: str = Field(description="The amount of this payment, a decimal string.")
    paid_on: date = Field(description="The date the payment was made.")


class InvoiceCredited(InvoiceEvent):
    """A credit note (its own number) lowered the outstanding amount."""

    name: ClassVar[str] = "credited"
    number: str = Field(description="The invoice number.")
    credit_note_number: str = Field(description="The credit note's own number.")
    amount: str = Field(description="The amount credited, a decimal string.")
    outstanding: str = Field(description="What is still to pay after the change, a decimal string.")
    fully_credited: bool = Field(description="True when the credit note cancels the whole invoice.")


class InvoiceOverdue(InvoiceEvent):
    """The due date passed with something outstanding; sent once, by the periodic check."""

    name: ClassVar[str] = "overdue"
    number: str = Field(description="The invoice number.")
    due_date: date = Field(description="The due date.")
    outstanding: str = Field(description="What is still to pay after the change, a decimal string.")


class IncomingInvoiceMatched(DomainEvent):
    """A contractor's invoice was matched to its completed work order: the orders service moves
    the order to its invoiced status ('Fakturerad')."""

    aggregate: ClassVar[str] = "incoming_invoice"
    name: ClassVar[str] = "matched"
    incoming_invoice_id: str = Field(description="The contractor invoice's id in billing.")
    contractor_organisation_id: str = Field(
        description="The contractor organisation that sent the invoice."
    )
    order_id: str = Field(
        description="The id of the completed work order the invoice was matched to."
    )
    order_number: str = Field(description="That order's number.")
    reference: str = Field(description="The contractor's invoice reference (its invoice number).")
    currency: str = Field(description="ISO 4217 currency code of the contractor invoice.")
    amount: str = Field(description="The contractor invoice's amount, a decimal string.")
