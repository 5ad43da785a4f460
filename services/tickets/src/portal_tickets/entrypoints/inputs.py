"""GraphQL input types of the tickets subgraph."""

from __future__ import annotations

import strawberry


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
