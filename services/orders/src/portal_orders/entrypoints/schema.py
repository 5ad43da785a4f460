"""The orders subgraph: queries and mutations of orders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

import strawberry
from portal_kit.domain import DomainError
from portal_kit.graphql import Connection, UserError, masking_extension, user_errors

from portal_orders.domain.order import Order as OrderAggregate
from portal_orders.entrypoints.context import Info
from portal_orders.entrypoints.types import Order, Organisation, order_page

R = TypeVar("R")


async def attempt(action: Callable[[], Awaitable[R]]) -> tuple[R | None, list[UserError]]:
    """Run a use case; a refusal by a domain rule becomes user errors and changes nothing."""
    try:
        return await action(), []
    except DomainError as error:
        return None, user_errors(error)


@strawberry.type
class Query:
    @strawberry.field(description="An order the caller may see; null for any other id.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        found = await info.context.orders.order(str(id))
        return Order.of(found) if found else None

    @strawberry.field(description="Orders the caller may see, by number.")
    async def orders(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Order]:
        return await order_page(info, first, after)


@strawberry.input
class CreateOrderInput:
    order_type: str = strawberry.field(description="Code of one of the tenant's order types.")
    description: str
    customer_organisation_id: strawberry.ID
    priority: str | None = strawberry.field(
        default=None, description="Code of a priority; 'normal' when left out."
    )
    order_date: date | None = strawberry.field(default=None, description="Today when left out.")


@strawberry.input
class AssignOrderInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version of the order the client saw.")
    assignee_organisation_id: strawberry.ID


@strawberry.type
class OrderPayload:
    order: Order | None
    user_errors: list[UserError]


def _order_payload(result: tuple[OrderAggregate | None, list[UserError]]) -> OrderPayload:
    found, errors = result
    return OrderPayload(order=Order.of(found) if found else None, user_errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Staff, or a member of the customer organisation, orders.")
    async def create_order(self, info: Info, input: CreateOrderInput) -> OrderPayload:
        orders = info.context.orders
        return _order_payload(
            await attempt(
                lambda: orders.create_order(
                    order_type=input.order_type,
                    description=input.description,
                    customer_organisation_id=str(input.customer_organisation_id),
                    priority=input.priority,
                    order_date=input.order_date,
                )
            )
        )

    @strawberry.mutation(description="Staff give an order to a contractor organisation.")
    async def assign_order(self, info: Info, input: AssignOrderInput) -> OrderPayload:
        orders = info.context.orders
        return _order_payload(
            await attempt(
                lambda: orders.assign_order(
                    str(input.id), input.version, str(input.assignee_organisation_id)
                )
            )
        )


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Organisation], extensions=[masking_extension]
)
