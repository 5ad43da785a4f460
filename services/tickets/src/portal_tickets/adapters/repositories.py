"""MongoDB repositories of the tickets service, the number counters, and the indexes they need:
the only place the tickets service writes MongoDB queries."""

from __future__ import annotations

from typing import Any

from portal_kit.counters import COUNTERS_INDEX
from portal_kit.mongo import ASCENDING, Document, IndexSpec
from portal_kit.repository import NOTHING, SightedRepository
from pymongo.errors import DuplicateKeyError

from portal_tickets.domain.ticket import Ticket
from portal_tickets.service_layer.access import TicketSight

TICKETS = "tickets"
OUTBOX_COLLECTIONS = (TICKETS,)
SORT_KEY = "sequence"

INDEXES = (
    IndexSpec(TICKETS, (("tenant", ASCENDING), ("number", ASCENDING)), unique=True),
    IndexSpec(TICKETS, (("tenant", ASCENDING), (SORT_KEY, ASCENDING), ("_id", ASCENDING))),
    IndexSpec(
        TICKETS, (("tenant", ASCENDING), ("organisation_id", ASCENDING), (SORT_KEY, ASCENDING))
    ),
    IndexSpec(TICKETS, (("tenant", ASCENDING), ("created_by", ASCENDING), (SORT_KEY, ASCENDING))),
    COUNTERS_INDEX,
)


class TicketRepository(SightedRepository[Ticket, TicketSight]):
    """The tickets of one tenant (the `Tickets` port)."""

    collection = TICKETS
    service = "tickets"
    sort_key = SORT_KEY

    def in_sight(self, sight: TicketSight) -> dict[str, Any]:
        """The tickets `sight` takes in (`TicketSight.sees`), as a filter."""
        if sight.everything:
            return {}
        if sight.user is None:
            return NOTHING
        organisations = {"$in": list(sight.organisations)}
        own: dict[str, Any] = {"created_by": sight.user}
        if not sight.own_anywhere:
            own["organisation_id"] = organisations
        return {"$or": [own, {"organisation_id": organisations, "private": False}]}

    def to_document(self, aggregate: Ticket) -> Document:
        return {
            SORT_KEY: aggregate.sequence,
            "number": aggregate.number,
            "ticket_type": aggregate.ticket_type,
            "subject": aggregate.subject,
            "description": aggregate.description,
            "organisation_id": aggregate.organisation_id,
            "created_by": aggregate.created_by,
            "private": aggregate.private,
            "status": aggregate.status,
            "created_at": aggregate.created_at,
        }

    def from_document(self, document: Document) -> Ticket:
        return Ticket(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            sequence=document[SORT_KEY],
            number=document["number"],
            ticket_type=document["ticket_type"],
            subject=document["subject"],
            description=document["description"],
            organisation_id=document["organisation_id"],
            created_by=document["created_by"],
            private=document["private"],
            status=document["status"],
            created_at=document["created_at"],
        )

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        return "a ticket with this number already exists"
