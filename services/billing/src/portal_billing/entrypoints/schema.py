"""The billing subgraph: queries and mutations of invoices and contractors' incoming invoices."""

from __future__ import annotations

import strawberry
from portal_kit.document_cache import DocumentCache
from portal_kit.graphql import (
    Connection,
    Execution,
    attempt,
    decode_keyset,
    masking_extension,
    page_size,
)

from portal_billing.domain.money import to_minor
from portal_billing.entrypoints import types
from portal_billing.entrypoints.context import Info
from portal_billing.entrypoints.inputs import (
    CreateInvoiceInput,
    CreditInvoiceInput,
    InvoiceFilterInput,
    InvoiceSortInput,
    IssueInvoiceInput,
    RecordPaymentInput,
    RegisterIncomingInvoiceInput,
    RunInvoicesInput,
)
from portal_billing.entrypoints.subscriptions import Subscription
from portal_billing.entrypoints.types import (
    IncomingInvoice,
    IncomingInvoicePayload,
    Invoice,
    InvoiceListStatus,
    InvoicePayload,
    InvoiceRunPayload,
    Organisation,
    PayerTotals,
    StatusOption,
)
from portal_billing.service_layer.ports import InvoiceFilter, sort_keys

NUMERIC_COLUMNS = frozenset({"NUMBER", "TOTAL", "OUTSTANDING"})


@strawberry.type
class Query:
    @strawberry.field(description="An invoice the caller may see; null for any other id.")
    async def invoice(self, info: Info, id: strawberry.ID) -> Invoice | None:
        invoices = info.context.invoices
        found = await invoices.invoice(str(id))
        return Invoice.of(found, invoices.today(), invoices.status_label) if found else None

    @strawberry.field(
        description="Invoices the caller may see ('Søk etter faktura'): by number, invoice "
        "dates, list status and payer, sorted by any column of the list (by number if not told)."
    )
    async def invoices(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: InvoiceFilterInput | None = None,
        sort: InvoiceSortInput | None = None,
    ) -> Connection[Invoice] | None:
        invoices = info.context.invoices
        order = (sort or InvoiceSortInput()).to_domain()
        value_type = int if order.column in NUMERIC_COLUMNS else str
        wanted = filter.to_domain() if filter else InvoiceFilter()
        page = await invoices.search(
            wanted, order, size=page_size(first), after=decode_keyset(after, value_type)
        )
        return Invoice.connection_of(
            page,
            lambda i: [sort_keys(i, to_minor)[order.column], i.id],
            invoices.today(),
            invoices.status_label,
            after=after,
        )

    @strawberry.field(
        description="Outstanding and overdue amounts per payer, of the invoices in sight."
    )
    async def invoice_totals(
        self, info: Info, filter: InvoiceFilterInput | None = None
    ) -> list[PayerTotals] | None:
        wanted = filter.to_domain() if filter else InvoiceFilter()
        return [PayerTotals.of(t) for t in await info.context.invoices.totals(wanted)]

    @strawberry.field(description="The statuses to search by, labelled in the caller's language.")
    def invoice_statuses(self, info: Info) -> list[StatusOption] | None:
        label = info.context.invoices.status_label
        return [StatusOption(status=s, label=label(s.value)) for s in InvoiceListStatus]

    @strawberry.field(description="A contractor's invoice the caller may see.")
    async def incoming_invoice(self, info: Info, id: strawberry.ID) -> IncomingInvoice | None:
        found = await info.context.incoming.incoming_invoice(str(id))
        return IncomingInvoice.of(found) if found else None

    @strawberry.field(description="Contractors' invoices the caller may see, as registered.")
    async def incoming_invoices(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[IncomingInvoice] | None:
        from portal_kit.graphql import page_connection

        page = await info.context.incoming.page(
            size=page_size(first), after=decode_keyset(after, str)
        )
        return page_connection(
            page,
            IncomingInvoice.of,
            lambda i: [i.registered_at.isoformat(), i.id],
            after=after,
        )


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
                invoice_marking=input.invoice_marking,
                language=input.language,
            )
        )
        return InvoicePayload.of(result, invoices.today(), invoices.status_label)

    @strawberry.mutation(
        description="Staff issue a draft: its number, invoice and due date, payment reference."
    )
    async def issue_invoice(self, info: Info, input: IssueInvoiceInput) -> InvoicePayload:
        invoices = info.context.invoices
        result = await attempt(
            lambda: invoices.issue_invoice(
                str(input.id),
                version=input.version,
                issue_date=input.issue_date,
                due_date=input.due_date,
            )
        )
        return InvoicePayload.of(result, invoices.today(), invoices.status_label)

    @strawberry.mutation(description="Staff record a payment (all or part of what is owed).")
    async def record_payment(self, info: Info, input: RecordPaymentInput) -> InvoicePayload:
        invoices = info.context.invoices
        result = await attempt(
            lambda: invoices.record_payment(
                str(input.id),
                version=input.version,
                amount=input.amount,
                paid_on=input.paid_on,
                reference=input.reference,
            )
        )
        return InvoicePayload.of(result, invoices.today(), invoices.status_label)

    @strawberry.mutation(description="Staff credit an invoice, wholly or partly (a credit note).")
    async def credit_invoice(self, info: Info, input: CreditInvoiceInput) -> InvoicePayload:
        invoices = info.context.invoices
        result = await attempt(
            lambda: invoices.credit_invoice(
                str(input.id), version=input.version, amount=input.amount, reason=input.reason
            )
        )
        return InvoicePayload.of(result, invoices.today(), invoices.status_label)

    @strawberry.mutation(
        description="Staff turn billable completed orders into draft invoices, one per payer "
        "and invoice marking; each order is billed once, however often this runs."
    )
    async def run_invoices(self, info: Info, input: RunInvoicesInput) -> InvoiceRunPayload:
        invoices = info.context.invoices
        payer = str(input.payer_organisation_id) if input.payer_organisation_id else None
        made, errors = await attempt(
            lambda: invoices.run_invoices(up_to=input.up_to, payer_organisation_id=payer)
        )
        today, label = invoices.today(), invoices.status_label
        return InvoiceRunPayload(
            invoices=[Invoice.of(i, today, label) for i in made or []], user_errors=errors
        )

    @strawberry.mutation(
        description="A contractor (or the operator's ERP) registers its invoice for a "
        "completed work order, by the reference 'AO' + the order's number. A work order "
        "completed a moment ago that invoicing has not heard of yet answers TRY_AGAIN (the same "
        "request may succeed shortly), never NOT_FOUND."
    )
    async def register_incoming_invoice(
        self, info: Info, input: RegisterIncomingInvoiceInput
    ) -> IncomingInvoicePayload:
        incoming = info.context.incoming
        found, errors = await attempt(
            lambda: incoming.register(
                contractor_organisation_id=(
                    str(input.contractor_organisation_id)
                    if input.contractor_organisation_id
                    else None
                ),
                invoice_number=input.invoice_number,
                amount=input.amount,
                currency=input.currency,
                invoice_date=input.invoice_date,
                reference=input.reference,
            )
        )
        return IncomingInvoicePayload(
            incoming_invoice=IncomingInvoice.of(found) if found else None, user_errors=errors
        )


schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Organisation, types.Invoice, types.IncomingInvoice],
    extensions=[masking_extension, DocumentCache],
    execution_context_class=Execution,
)
