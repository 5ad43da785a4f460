"""The billing subgraph: queries and mutations of invoices."""

from __future__ import annotations

import strawberry
from portal_kit.graphql import Connection, attempt, decode_keyset, masking_extension, page_size

from portal_billing.entrypoints.context import Info
from portal_billing.entrypoints.inputs import CreateInvoiceInput
from portal_billing.entrypoints.types import Invoice, InvoicePayload, Organisation


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
    ) -> Connection[Invoice] | None:
        invoices = info.context.invoices
        page = await invoices.page(size=page_size(first), after=decode_keyset(after, int))
        return Invoice.connection_of(page, invoices.today(), after=after)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Staff draw up a draft invoice to a paying organisation.")
    async def create_invoice(self, info: Info, input: CreateInvoiceInput) -> InvoicePayload:
        invoices = info.context.invoices
        result = await attempt(
            lambda: invoices.create_invoice(
                payer_organisation_id=str(input.payer_organisation_id),
                currency=input.currency,
                lines=[line.to_domain() for line in input.lines],
            )
        )
        return InvoicePayload.of(result, invoices.today())


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Organisation], extensions=[masking_extension]
)
