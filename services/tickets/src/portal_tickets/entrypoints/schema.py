"""The tickets subgraph: queries and mutations of support tickets."""

from __future__ import annotations

import strawberry
from portal_kit.graphql import Connection, UserError, attempt, masking_extension

from portal_tickets.domain.ticket import Ticket as TicketAggregate
from portal_tickets.entrypoints.context import Info
from portal_tickets.entrypoints.types import Organisation, Ticket, User, ticket_page


@strawberry.type
class Query:
    @strawberry.field(description="A ticket the caller may see; null for any other id.")
    async def ticket(self, info: Info, id: strawberry.ID) -> Ticket | None:
        found = await info.context.tickets.ticket(str(id))
        return Ticket.of(found) if found else None

    @strawberry.field(description="Tickets the caller may see, by number.")
    async def tickets(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Ticket]:
        return await ticket_page(info, first, after)


@strawberry.input
class CreateTicketInput:
    subject: str
    description: str
    organisation_id: strawberry.ID = strawberry.field(
        description="The customer organisation the ticket is for; the creator must belong to it."
    )
    ticket_type: str | None = strawberry.field(
        default=None, description="Code of a ticket type; 'unclassified' when left out."
    )
    private: bool | None = strawberry.field(
        default=None, description="Only the creator (and staff) see a private ticket."
    )


@strawberry.type
class TicketPayload:
    ticket: Ticket | None
    user_errors: list[UserError]


def _ticket_payload(result: tuple[TicketAggregate | None, list[UserError]]) -> TicketPayload:
    found, errors = result
    return TicketPayload(ticket=Ticket.of(found) if found else None, user_errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="A member of the organisation, or staff, opens a ticket.")
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketPayload:
        tickets = info.context.tickets
        return _ticket_payload(
            await attempt(
                lambda: tickets.create_ticket(
                    subject=input.subject,
                    description=input.description,
                    organisation_id=str(input.organisation_id),
                    ticket_type=input.ticket_type,
                    private=bool(input.private),
                )
            )
        )


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Organisation, User], extensions=[masking_extension]
)
