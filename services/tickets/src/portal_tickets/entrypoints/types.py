"""GraphQL types of the tickets subgraph."""

from __future__ import annotations

from datetime import datetime

import strawberry
from portal_kit.graphql import Connection, UserError, page_connection
from portal_kit.repository import Page
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from portal_tickets.domain import ticket as ticket_domain
from portal_tickets.entrypoints.context import Info


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="An organisation; the people service knows the rest of it.",
)
class Organisation:
    id: strawberry.ID


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="A person's account; the people service knows the rest of it.",
)
class User:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], description="A support request (case).")
class Ticket:
    id: strawberry.ID
    number: str
    ticket_type: str = strawberry.field(description="Code of the ticket type.")
    subject: str
    description: str
    organisation_id: strawberry.ID
    created_by: strawberry.ID = strawberry.field(description="Id of the user who opened it.")
    private: bool = strawberry.field(description="Private tickets are for their creator alone.")
    status: str = strawberry.field(description="Code of the status.")
    created_at: datetime
    version: int

    @strawberry.field(
        description="The ticket's organisation (people); null when the caller may not read it."
    )
    def organisation(self) -> Organisation | None:
        return Organisation(id=self.organisation_id)

    @strawberry.field(
        description="Who opened it (people); null when the caller may not read the account."
    )
    def creator(self) -> User | None:
        return User(id=self.created_by)

    @classmethod
    def of(cls, ticket: ticket_domain.Ticket) -> Ticket:
        return cls(
            id=strawberry.ID(ticket.id),
            number=ticket.number,
            ticket_type=ticket.ticket_type,
            subject=ticket.subject,
            description=ticket.description,
            organisation_id=strawberry.ID(ticket.organisation_id),
            created_by=strawberry.ID(ticket.created_by),
            private=ticket.private,
            status=ticket.status,
            created_at=ticket.created_at,
            version=ticket.version,
        )

    @classmethod
    def connection_of(
        cls, page: Page[ticket_domain.Ticket], *, after: str | None
    ) -> Connection[Ticket]:
        """A page of tickets with their cursors, (number, id) positions."""
        return page_connection(page, cls.of, lambda t: (t.sequence, t.id), after=after)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Ticket | None:
        found = await info.context.tickets.ticket(str(id))
        return cls.of(found) if found else None


@strawberry.type
class TicketPayload:
    ticket: Ticket | None
    user_errors: list[UserError]

    @classmethod
    def of(cls, result: tuple[ticket_domain.Ticket | None, list[UserError]]) -> TicketPayload:
        found, errors = result
        return cls(ticket=Ticket.of(found) if found else None, user_errors=errors)
