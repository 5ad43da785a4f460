"""GraphQL types of the billing subgraph."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from portal_kit.graphql import Connection, UserError, page_connection
from portal_kit.repository import Page
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from portal_billing.domain import invoice as invoice_domain
from portal_billing.domain.money import format_amount, format_quantity
from portal_billing.entrypoints.context import Info


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


@strawberry.type(description="An amount of money: a decimal string and its currency.")
class Money:
    amount: str = strawberry.field(description='Two decimals, a dot, no grouping: "1250.00".')
    currency: str = strawberry.field(description="ISO 4217 code.")


@strawberry.type
class InvoiceLine:
    description: str
    quantity: str = strawberry.field(description='A decimal string: "2", "1.5".')
    unit_price: Money
    amount: Money = strawberry.field(description="Quantity times unit price, to the cent.")


@strawberry.federation.type(keys=["id"], description="An invoice to a paying organisation.")
class Invoice:
    id: strawberry.ID
    number: str
    payer_organisation_id: strawberry.ID
    status: InvoiceStatus
    issue_date: date | None
    due_date: date | None
    currency: str
    total: Money
    outstanding: Money = strawberry.field(description="What is still to be paid.")
    overdue: bool = strawberry.field(
        description="Issued, something still outstanding, and past its due date."
    )
    lines: list[InvoiceLine]
    created_at: datetime
    version: int

    @strawberry.field(
        description="The paying organisation (people); null when the caller may not read it."
    )
    def payer_organisation(self) -> Organisation | None:
        return Organisation(id=self.payer_organisation_id)

    @classmethod
    def of(cls, invoice: invoice_domain.Invoice, today: date) -> Invoice:
        def money(amount: Decimal) -> Money:
            return Money(amount=format_amount(amount), currency=invoice.currency)

        return cls(
            id=strawberry.ID(invoice.id),
            number=invoice.number,
            payer_organisation_id=strawberry.ID(invoice.payer_organisation_id),
            status=InvoiceStatus(invoice.status.value),
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            currency=invoice.currency,
            total=money(invoice.total),
            outstanding=money(invoice.outstanding),
            overdue=invoice.is_overdue(today),
            lines=[
                InvoiceLine(
                    description=line.description,
                    quantity=format_quantity(line.quantity),
                    unit_price=money(line.unit_price),
                    amount=money(line.amount),
                )
                for line in invoice.lines
            ],
            created_at=invoice.created_at,
            version=invoice.version,
        )

    @classmethod
    def connection_of(
        cls, page: Page[invoice_domain.Invoice], today: date, *, after: str | None
    ) -> Connection[Invoice]:
        """A page of invoices with their cursors, (number, id) positions."""
        return page_connection(
            page, lambda i: cls.of(i, today), lambda i: (i.sequence, i.id), after=after
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Invoice | None:
        invoices = info.context.invoices
        found = await invoices.invoice(str(id))
        return cls.of(found, invoices.today()) if found else None


@strawberry.type
class InvoicePayload:
    invoice: Invoice | None
    user_errors: list[UserError]

    @classmethod
    def of(
        cls, result: tuple[invoice_domain.Invoice | None, list[UserError]], today: date
    ) -> InvoicePayload:
        found, errors = result
        return cls(invoice=Invoice.of(found, today) if found else None, user_errors=errors)
