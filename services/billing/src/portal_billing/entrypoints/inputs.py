"""GraphQL input types of the billing subgraph."""

from __future__ import annotations

from datetime import date

import strawberry

from portal_billing.domain.invoice import LineInput, ListStatus
from portal_billing.entrypoints.types import InvoiceListStatus, InvoiceSortColumn
from portal_billing.service_layer.ports import InvoiceFilter, Sort


@strawberry.input
class InvoiceLineInput:
    description: str
    quantity: str = strawberry.field(description='A decimal string above zero: "2", "1.5".')
    unit_price: str = strawberry.field(
        description='A decimal string, not negative, at most two decimals: "1250.50".'
    )
    vat_rate: str | None = strawberry.field(
        default=None, description="VAT in percent, one of the tenant's rates; default its own."
    )

    def to_domain(self) -> LineInput:
        return LineInput(
            description=self.description,
            quantity=self.quantity,
            unit_price=self.unit_price,
            vat_rate=self.vat_rate,
        )


@strawberry.input
class CreateInvoiceInput:
    payer_organisation_id: strawberry.ID
    lines: list[InvoiceLineInput]
    currency: str | None = strawberry.field(
        default=None, description='ISO 4217 code, like "NOK"; the tenant\'s by default.'
    )
    invoice_marking: str = strawberry.field(default="", description="'Faktura merkes med'.")
    language: str | None = strawberry.field(
        default=None,
        description="Of the PDF: one of the tenant's locales; its default if left out.",
    )


@strawberry.input
class IssueInvoiceInput:
    id: strawberry.ID
    version: int
    issue_date: date | None = strawberry.field(default=None, description="Today if left out.")
    due_date: date | None = strawberry.field(
        default=None,
        description="Other agreed terms; by the tenant's payment terms if left out.",
    )


@strawberry.input
class RecordPaymentInput:
    id: strawberry.ID
    version: int
    amount: str = strawberry.field(description="A decimal string above zero.")
    paid_on: date
    reference: str = ""


@strawberry.input
class CreditInvoiceInput:
    id: strawberry.ID
    version: int
    reason: str
    amount: str | None = strawberry.field(
        default=None, description="What to credit; all that is outstanding if left out."
    )


@strawberry.input
class RunInvoicesInput:
    up_to: date = strawberry.field(description="Orders completed up to and including this day.")
    payer_organisation_id: strawberry.ID | None = strawberry.field(
        default=None, description="One payer's orders; every payer's if left out."
    )


@strawberry.input
class InvoiceFilterInput:
    number: str | None = strawberry.field(
        default=None, description="'Fakturanummer': the whole number or its beginning."
    )
    issued_from: date | None = strawberry.field(default=None, description="'Fra dato'.")
    issued_to: date | None = strawberry.field(default=None, description="'Til dato'.")
    statuses: list[InvoiceListStatus] | None = None
    payer_organisation_ids: list[strawberry.ID] | None = None

    def to_domain(self) -> InvoiceFilter:
        return InvoiceFilter(
            number=(self.number or "").strip() or None,
            issued_from=self.issued_from,
            issued_to=self.issued_to,
            statuses=tuple(ListStatus(s.value) for s in self.statuses or ()),
            payer_organisation_ids=tuple(str(p) for p in self.payer_organisation_ids or ()),
        )


@strawberry.input
class InvoiceSortInput:
    column: InvoiceSortColumn = InvoiceSortColumn.NUMBER
    descending: bool = False

    def to_domain(self) -> Sort:
        return Sort(column=self.column.value, descending=self.descending)


@strawberry.input
class RegisterIncomingInvoiceInput:
    invoice_number: str = strawberry.field(description="The contractor's own invoice number.")
    amount: str
    invoice_date: date
    reference: str = strawberry.field(
        description="'AO' + the work order number, nothing between: AO2375."
    )
    currency: str | None = None
    contractor_organisation_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Staff (the operator's ERP) name the contractor; its members need not.",
    )
