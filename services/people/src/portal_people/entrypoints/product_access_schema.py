"""Product access in the people schema: which products a user or a customer organisation has
access to (the tickets service offers a customer its products and takes followers with a
profile for the ticket's product)."""

from __future__ import annotations

from enum import Enum

import strawberry
from portal_kit.graphql import UserError, attempt

from portal_people.domain import product_access as domain
from portal_people.entrypoints.context import Info


@strawberry.enum
class ProductAccessHolder(Enum):
    USER = "user"
    ORGANISATION = "organisation"


@strawberry.type(description="The products a user or a customer organisation has access to.")
class ProductAccess:
    holder_kind: ProductAccessHolder
    holder_id: strawberry.ID
    products: list[str] = strawberry.field(description="Product codes (the tickets service's).")
    version: int

    @classmethod
    def of(cls, record: domain.ProductAccess) -> ProductAccess:
        return cls(
            holder_kind=ProductAccessHolder(record.holder_kind.value),
            holder_id=strawberry.ID(record.holder_id),
            products=list(record.products),
            version=record.version,
        )


@strawberry.input
class SetProductAccessInput:
    holder_kind: ProductAccessHolder
    holder_id: strawberry.ID
    products: list[str]


@strawberry.type
class ProductAccessPayload:
    product_access: ProductAccess | None
    user_errors: list[UserError]


@strawberry.type
class ProductAccessQuery:
    @strawberry.field(
        description="A holder's products: staff read any; a user their own and their "
        "organisations'. Null otherwise, as for a holder without any."
    )
    async def product_access(
        self, info: Info, holder_kind: ProductAccessHolder, holder_id: strawberry.ID
    ) -> ProductAccess | None:
        found = await info.context.product_access.products(
            domain.HolderKind(holder_kind.value), str(holder_id)
        )
        return ProductAccess.of(found) if found else None


@strawberry.type
class ProductAccessMutation:
    @strawberry.mutation(description="Staff set the products of a user or a customer.")
    async def set_product_access(
        self, info: Info, input: SetProductAccessInput
    ) -> ProductAccessPayload:
        desk = info.context.product_access
        found, errors = await attempt(
            lambda: desk.set_products(
                domain.HolderKind(input.holder_kind.value), str(input.holder_id), input.products
            )
        )
        return ProductAccessPayload(
            product_access=ProductAccess.of(found) if found else None, user_errors=errors
        )
