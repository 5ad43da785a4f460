"""The billing subgraph: queries and mutations of invoices."""

from __future__ import annotations

import strawberry
from portal_kit.graphql import Connection, UserError, attempt, masking_extension

from portal_billing.domain.invoice import Invoice as InvoiceAggregate
from portal_billing.domain.invoice import LineInput
from portal_billing.entrypoints.context import Info
from portal_billing.entrypoints.types import Invoice, Organisation, invoice_page


@strawberry.type
class Query:
    @strawberry.field(description="An invoice the caller may see; null for any other id.")
    async def invoice(self, info: Info, id: strawberry.ID) -> Invoice | None:
        invoices = info.context.invoices
        found = await invoices.invoice(str(id))
        return Invoice.of(found, invoices.today()) if found else None

    @strawberry.field(description="Invoices the caller may see, by number.")
    async def invoices(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Invoice]:
        return await invoice_page(info, first, after)


@strawberry.input
class InvoiceLineInput:
    description: str
    quantity: str = strawberry.field(description='A decimal string above zero: "2", "1.5".')
    unit_price: str = strawberry.field(
        description='A decimal string, not negative, at most two decimals: "1250.50".'
    )


@strawberry.input
class CreateInvoiceInput:
    payer_organisation_id: strawberry.ID
    currency: str = strawberry.field(description='ISO 4217 code, like "NOK".')
    lines: list[InvoiceLineInput]


@strawberry.type
class InvoicePayload:
    invoice: Invoice | None
    user_errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Staff draw up a draft invoice to a paying organisation.")
    async def create_invoice(self, info: Info, input: CreateInvoiceInput) -> InvoicePayload:
        invoices = info.context.invoices
        created: InvoiceAggregate | None
        created, errors = await attempt(
            lambda: invoices.create_invoice(
                payer_organisation_id=str(input.payer_organisation_id),
                currency=input.currency,
                lines=[
                    LineInput(
                        description=line.description,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                    )
                    for line in input.lines
                ],
            )
        )
        return InvoicePayload(
            invoice=Invoice.of(created, invoices.today()) if created else None,
            user_errors=errors,
        )


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Organisation], extensions=[masking_extension]
)
