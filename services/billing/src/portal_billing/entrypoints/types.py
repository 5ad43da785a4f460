"""GraphQL types of the billing subgraph."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from portal_kit.graphql import Connection, UserError, page_connection
from portal_kit.repository import Page
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from portal_billing.domain import incoming as incoming_domain
from portal_billing.domain import invoice as invoice_domain
from portal_billing.domain.money import format_amount, format_quantity
from portal_billing.entrypoints.context import Info
from portal_billing.service_layer import ports


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="An organisation; the people service knows the rest of it.",
)
class Organisation:
    id: strawberry.ID


@strawberry.enum
class InvoiceStatus(Enum):
    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    CREDITED = "credited"


@strawberry.enum(description="The status the list shows: issued splits into unpaid and overdue.")
class InvoiceListStatus(Enum):
    DRAFT = "draft"
    UNPAID = "unpaid"
    OVERDUE = "overdue"
    PAID = "paid"
    CREDITED = "credited"


@strawberry.enum
class InvoiceSortColumn(Enum):
    NUMBER = "NUMBER"
    ISSUE_DATE = "ISSUE_DATE"
    DUE_DATE = "DUE_DATE"
    PAYER = "PAYER"
    TOTAL = "TOTAL"
    OUTSTANDING = "OUTSTANDING"
    STATUS = "STATUS"


@strawberry.type(description="An amount of money: a decimal string and its currency.")
class Money:
    amount: str = strawberry.field(
        description='The currency\'s decimals, a dot, no grouping: "1250.00".'
    )
    currency: str = strawberry.field(description="ISO 4217 code.")


def money_of(currency: str) -> Callable[[Decimal], Money]:
    def money(amount: Decimal) -> Money:
        return Money(amount=format_amount(amount, currency), currency=currency)

    return money


@strawberry.type
class InvoiceLine:
    description: str
    quantity: str = strawberry.field(description='A decimal string: "2", "1.5".')
    unit_price: Money
    vat_rate: str = strawberry.field(description='VAT in percent: "25".')
    amount: Money = strawberry.field(description="Quantity times unit price, excluding VAT.")
    order_id: strawberry.ID | None = strawberry.field(
        description="The order the line bills, when it came from an invoice run."
    )
    order_number: str | None


@strawberry.type
class VatSubtotal:
    rate: str
    net: Money
    vat: Money


@strawberry.type
class Payment:
    amount: Money
    paid_on: date
    reference: str


@strawberry.type(description="A credit note: its own number, referring to this invoice.")
class CreditNote:
    number: str
    amount: Money
    issued_on: date
    reason: str
    ubl_path: str = strawberry.field(
        description="Where the gateway serves it as a Peppol BIS 3.0 UBL CreditNote."
    )


@strawberry.type
class StatusOption:
    """A status to search by, with its label in the caller's language."""

    status: InvoiceListStatus
    label: str


@strawberry.federation.type(keys=["id"], description="An invoice to a paying organisation.")
class Invoice:
    id: strawberry.ID
    number: str | None = strawberry.field(
        description="In the tenant's format ('2017-118350'); a draft has none yet."
    )
    payer_organisation_id: strawberry.ID
    payer_name: str = strawberry.field(description="The payer's name when it was drawn up.")
    status: InvoiceStatus
    list_status: InvoiceListStatus
    status_label: str = strawberry.field(
        description="The list status in the caller's language ('Forfalt', 'Ubetalt')."
    )
    issue_date: date | None
    due_date: date | None
    currency: str
    net_total: Money
    vat_total: Money
    total: Money
    paid: Money
    credited: Money
    outstanding: Money = strawberry.field(description="What is still to be paid.")
    overdue: bool = strawberry.field(
        description="Issued, something still outstanding, and past its due date."
    )
    partly_paid: bool
    invoice_marking: str = strawberry.field(description="'Faktura merkes med'.")
    payment_reference: str | None = strawberry.field(
        description="What the payer quotes when paying: a KID in Norway."
    )
    lines: list[InvoiceLine]
    vat_subtotals: list[VatSubtotal]
    payments: list[Payment]
    credit_notes: list[CreditNote]
    pdf_path: str | None = strawberry.field(
        description="Where the gateway serves the PDF (issued invoices)."
    )
    ubl_path: str | None = strawberry.field(
        description="Where the gateway serves the EHF / Peppol BIS 3.0 UBL document."
    )
    created_at: datetime
    version: int

    @strawberry.field(
        description="The paying organisation (people); null when the caller may not read it."
    )
    def payer_organisation(self) -> Organisation | None:
        return Organisation(id=self.payer_organisation_id)

    @classmethod
    def of(
        cls, invoice: invoice_domain.Invoice, today: date, label: Callable[[str], str]
    ) -> Invoice:
        money = money_of(invoice.currency)
        currency = invoice.currency
        status = invoice.list_status(today)
        issued = invoice.number is not None
        return cls(
            id=strawberry.ID(invoice.id),
            number=invoice.number,
            payer_organisation_id=strawberry.ID(invoice.payer_organisation_id),
            payer_name=invoice.payer.name,
            status=InvoiceStatus(invoice.status.value),
            list_status=InvoiceListStatus(status.value),
            status_label=label(status.value),
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            currency=currency,
            net_total=money(invoice.net_total),
            vat_total=money(invoice.vat_total),
            total=money(invoice.total),
            paid=money(invoice.paid),
            credited=money(invoice.credited),
            outstanding=money(invoice.outstanding),
            overdue=invoice.is_overdue(today),
            partly_paid=invoice.paid > 0 and invoice.outstanding > 0,
            invoice_marking=invoice.invoice_marking,
            payment_reference=invoice.payment_reference,
            lines=[
                InvoiceLine(
                    description=line.description,
                    quantity=format_quantity(line.quantity),
                    unit_price=Money(amount=format(line.unit_price, "f"), currency=currency),
                    vat_rate=format_quantity(line.vat_rate),
                    amount=money(line.net(currency)),
                    order_id=strawberry.ID(line.order_id) if line.order_id else None,
                    order_number=line.order_number,
                )
                for line in invoice.lines
            ],
            vat_subtotals=[
                VatSubtotal(rate=format_quantity(s.rate), net=money(s.net), vat=money(s.vat))
                for s in invoice.vat_subtotals
            ],
            payments=[
                Payment(amount=money(p.amount), paid_on=p.paid_on, reference=p.reference)
                for p in invoice.payments
            ],
            credit_notes=[
                CreditNote(
                    number=c.number,
                    amount=money(c.amount),
                    issued_on=c.issued_on,
                    reason=c.reason,
                    ubl_path=f"/invoices/{invoice.id}/credit-{index}",
                )
                for index, c in enumerate(invoice.credit_notes, start=1)
            ],
            pdf_path=f"/invoices/{invoice.id}/pdf" if issued else None,
            ubl_path=f"/invoices/{invoice.id}/ubl" if issued else None,
            created_at=invoice.created_at,
            version=invoice.version,
        )

    @classmethod
    def connection_of(
        cls,
        page: Page[invoice_domain.Invoice],
        position: Callable[[invoice_domain.Invoice], list[object]],
        today: date,
        label: Callable[[str], str],
        *,
        after: str | None,
    ) -> Connection[Invoice]:
        """A page of invoices with their cursors, (sort value, id) positions."""
        return page_connection(page, lambda i: cls.of(i, today, label), position, after=after)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Invoice | None:
        invoices = info.context.invoices
        found = await invoices.invoice(str(id))
        return cls.of(found, invoices.today(), invoices.status_label) if found else None


@strawberry.type(description="What one payer owes: all outstanding, and the overdue part.")
class PayerTotals:
    payer_organisation_id: strawberry.ID
    payer_name: str
    outstanding: Money
    overdue: Money
    open_invoices: int
    overdue_invoices: int

    @classmethod
    def of(cls, totals: ports.PayerTotals) -> PayerTotals:
        money = money_of(totals.currency)
        return cls(
            payer_organisation_id=strawberry.ID(totals.payer_organisation_id),
            payer_name=totals.payer_name,
            outstanding=money(totals.outstanding),
            overdue=money(totals.overdue),
            open_invoices=totals.open_invoices,
            overdue_invoices=totals.overdue_invoices,
        )


@strawberry.type
class InvoicePayload:
    invoice: Invoice | None
    user_errors: list[UserError]

    @classmethod
    def of(
        cls,
        result: tuple[invoice_domain.Invoice | None, list[UserError]],
        today: date,
        label: Callable[[str], str],
    ) -> InvoicePayload:
        found, errors = result
        return cls(invoice=Invoice.of(found, today, label) if found else None, user_errors=errors)


@strawberry.type
class InvoiceRunPayload:
    invoices: list[Invoice]
    user_errors: list[UserError]


@strawberry.federation.type(keys=["id"], description="A contractor's invoice to the operator.")
class IncomingInvoice:
    id: strawberry.ID
    contractor_organisation_id: strawberry.ID
    invoice_number: str
    amount: Money
    invoice_date: date
    reference: str = strawberry.field(description="'AO' + the work order's number.")
    order_id: strawberry.ID
    order_number: str
    registered_at: datetime
    version: int

    @classmethod
    def of(cls, invoice: incoming_domain.IncomingInvoice) -> IncomingInvoice:
        return cls(
            id=strawberry.ID(invoice.id),
            contractor_organisation_id=strawberry.ID(invoice.contractor_organisation_id),
            invoice_number=invoice.invoice_number,
            amount=money_of(invoice.currency)(invoice.amount),
            invoice_date=invoice.invoice_date,
            reference=invoice.reference,
            order_id=strawberry.ID(invoice.order_id),
            order_number=invoice.order_number,
            registered_at=invoice.registered_at,
            version=invoice.version,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> IncomingInvoice | None:
        found = await info.context.incoming.incoming_invoice(str(id))
        return cls.of(found) if found else None


@strawberry.type
class IncomingInvoicePayload:
    incoming_invoice: IncomingInvoice | None
    user_errors: list[UserError]
