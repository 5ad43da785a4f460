"""Events of the tickets service. Ids, codes and flags only: a ticket's subject and text are free
text that may hold personal data, so partners read them through the API with their own rights."""

from __future__ import annotations

from typing import ClassVar

from portal_kit.events import DomainEvent


class TicketCreated(DomainEvent):
    aggregate: ClassVar[str] = "ticket"
    name: ClassVar[str] = "created"
    ticket_id: str
    number: str
    ticket_type: str
    status: str
    organisation_id: str
    created_by: str
    private: bool
