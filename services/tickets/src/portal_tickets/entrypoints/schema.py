"""The tickets subgraph: queries and mutations of support tickets."""

from __future__ import annotations

import strawberry
from portal_kit.graphql import Connection, attempt, decode_keyset, masking_extension, page_size

from portal_tickets.entrypoints.context import Info
from portal_tickets.entrypoints.inputs import CreateTicketInput
from portal_tickets.entrypoints.types import Organisation, Ticket, TicketPayload, User


@strawberry.type
class Query:
    @strawberry.field(description="A ticket the caller may see; null for any other id.")
    async def ticket(self, info: Info, id: strawberry.ID) -> Ticket | None:
        found = await info.context.tickets.ticket(str(id))
        return Ticket.of(found) if found else None

    @strawberry.field(description="Tickets the caller may see, by number.")
    async def tickets(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Ticket] | None:
        tickets = info.context.tickets
        page = await tickets.page(size=page_size(first), after=decode_keyset(after, int))
        return Ticket.connection_of(page, after=after)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="A member of the organisation, or staff, opens a ticket.")
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketPayload:
        tickets = info.context.tickets
        return TicketPayload.of(
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
