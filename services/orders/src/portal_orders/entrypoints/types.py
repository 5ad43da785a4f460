"""GraphQL types of the orders subgraph."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from portal_kit.graphql import (
    Connection,
    InvalidCursor,
    connection,
    decode_cursor,
    encode_cursor,
    keyset_filter,
    page_size,
)
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from portal_orders.adapters.repositories import SORT_KEY
from portal_orders.domain import order as order_domain
from portal_orders.entrypoints.context import Info


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="An organisation; the people service knows the rest of it.",
)
class Organisation:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], description="A job ordered by a customer or the operator.")
class Order:
    id: strawberry.ID
    number: str
    order_type: str = strawberry.field(description="Code of the order type.")
    status: str = strawberry.field(description="Code of the status in the order's workflow.")
    priority: str = strawberry.field(description="Code of the priority.")
    description: str
    customer_organisation_id: strawberry.ID
    assignee_organisation_id: strawberry.ID | None = strawberry.field(
        description="The contractor organisation doing the job, once assigned."
    )
    order_date: date
    created_at: datetime
    version: int

    @strawberry.field
    def customer_organisation(self) -> Organisation:
        return Organisation(id=self.customer_organisation_id)

    @strawberry.field
    def assignee_organisation(self) -> Organisation | None:
        if self.assignee_organisation_id is None:
            return None
        return Organisation(id=self.assignee_organisation_id)

    @classmethod
    def of(cls, order: order_domain.Order) -> Order:
        return cls(
            id=strawberry.ID(order.id),
            number=order.number,
            order_type=order.order_type,
            status=order.status,
            priority=order.priority,
            description=order.description,
            customer_organisation_id=strawberry.ID(order.customer_organisation_id),
            assignee_organisation_id=(
                strawberry.ID(order.assignee_organisation_id)
                if order.assignee_organisation_id
                else None
            ),
            order_date=order.order_date,
            created_at=order.created_at,
            version=order.version,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Order | None:
        found = await info.context.orders.order(str(id))
        return cls.of(found) if found else None


def after_filter(after: str | None) -> dict[str, Any]:
    """The keyset filter of a cursor this subgraph handed out; anything else is refused."""
    if after is None:
        return {}
    sequence, last_id = decode_cursor(after)
    if not isinstance(sequence, int) or isinstance(sequence, bool) or not isinstance(last_id, str):
        raise InvalidCursor()
    return keyset_filter(SORT_KEY, after)


async def order_page(info: Info, first: int | None, after: str | None) -> Connection[Order]:
    size = page_size(first)
    page = await info.context.orders.page(size=size, after=after_filter(after))
    return connection(
        [Order.of(o) for o in page.items],
        [encode_cursor([o.sequence, o.id]) for o in page.items],
        has_next=page.has_next,
        has_previous=after is not None,
        total=page.total,
    )
