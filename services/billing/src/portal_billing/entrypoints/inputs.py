"""GraphQL input types of the billing subgraph."""

from __future__ import annotations

import strawberry

from portal_billing.domain.invoice import LineInput


@strawberry.input
class InvoiceLineInput:
    description: str
    quantity: str = strawberry.field(description='A decimal string above zero: "2", "1.5".')
    unit_price: str = strawberry.field(
        description='A decimal string, not negative, at most two decimals: "1250.50".'
    )

    def to_domain(self) -> LineInput:
        return LineInput(
            description=self.description, quantity=self.quantity, unit_price=self.unit_price
        )


@strawberry.input
class CreateInvoiceInput:
    payer_organisation_id: strawberry.ID
    currency: str = strawberry.field(description='ISO 4217 code, like "NOK".')
    lines: list[InvoiceLineInput]
