"""Support tickets (cases) that customers' people open with the operator.

Organisation ids are opaque strings owned by the people service; this slice checks only their
shape. Parent organisations and departments, followers, services/products, urgency and impact
come in later issues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal_kit.domain import Aggregate, new_id
from portal_kit.sensitive import check_no_national_id
from portal_kit.values import Problems, check_code, check_reference, check_text

from portal_tickets.domain.events import TicketCreated

SUBJECT_MAX = 200
DESCRIPTION_MAX = 20000
INITIAL_STATUS = "open"


@dataclass(frozen=True)
class TicketCatalogue:
    """The codes a tenant's tickets may use.

    Catalogues become tenant configuration (with localized labels) in a later issue; until then
    every tenant uses `DEFAULT_CATALOGUE`.
    """

    ticket_types: frozenset[str]
    default_ticket_type: str = "unclassified"

    def __post_init__(self) -> None:
        if self.default_ticket_type not in self.ticket_types:
            raise ValueError("the default ticket type must be one of the ticket types")


DEFAULT_CATALOGUE = TicketCatalogue(
    ticket_types=frozenset(
        {"unclassified", "question", "incident", "service_request", "problem", "change_request"}
    )
)


def format_number(sequence: int) -> str:
    """The ticket number shown to people; tenant number formats come with configuration."""
    if sequence < 1:
        raise ValueError("ticket sequences start at 1")
    return str(sequence)


@dataclass(frozen=True)
class TicketRequest:
    """The checked input of a new ticket, before it gets a number."""

    subject: str
    description: str
    organisation_id: str
    ticket_type: str
    private: bool

    @classmethod
    def parse(
        cls,
        *,
        subject: str,
        description: str,
        organisation_id: str,
        ticket_type: str | None,
        private: bool,
        catalogue: TicketCatalogue = DEFAULT_CATALOGUE,
    ) -> TicketRequest:
        """Every problem at once, as `ValidationFailed`. No national ID in the subject or the
        description: both are read by the operator's staff and the organisation's people."""
        problems = Problems()
        checked_subject = problems.check(
            lambda: check_no_national_id(
                check_text(subject, field="subject", max_length=SUBJECT_MAX), field="subject"
            ),
            "",
        )
        checked_description = problems.check(
            lambda: check_no_national_id(
                check_text(
                    description, field="description", max_length=DESCRIPTION_MAX, multiline=True
                ),
                field="description",
            ),
            "",
        )
        checked_organisation = problems.check(
            lambda: check_reference(organisation_id, field="organisationId", what="organisation"),
            "",
        )
        checked_type = problems.check(
            lambda: check_code(
                catalogue.default_ticket_type if ticket_type is None else ticket_type,
                field="ticketType",
                allowed=catalogue.ticket_types,
            ),
            "",
        )
        problems.raise_if_any()
        return cls(
            subject=checked_subject,
            description=checked_description,
            organisation_id=checked_organisation,
            ticket_type=checked_type,
            private=private,
        )


@dataclass(kw_only=True)
class Ticket(Aggregate):
    sequence: int
    number: str
    ticket_type: str
    subject: str
    description: str
    organisation_id: str
    created_by: str
    private: bool
    status: str
    created_at: datetime

    @classmethod
    def create(
        cls,
        tenant: str,
        sequence: int,
        request: TicketRequest,
        *,
        created_by: str,
        created_at: datetime,
    ) -> Ticket:
        if created_at.utcoffset() is None:
            raise ValueError("created_at must carry its UTC offset")
        if not created_by:
            raise ValueError("a ticket is created by someone")
        ticket = cls(
            id=new_id(),
            tenant=tenant,
            sequence=sequence,
            number=format_number(sequence),
            ticket_type=request.ticket_type,
            subject=request.subject,
            description=request.description,
            organisation_id=request.organisation_id,
            created_by=created_by,
            private=request.private,
            status=INITIAL_STATUS,
            created_at=created_at,
        )
        ticket.record(
            TicketCreated(
                ticket_id=ticket.id,
                number=ticket.number,
                ticket_type=ticket.ticket_type,
                status=ticket.status,
                organisation_id=ticket.organisation_id,
                created_by=ticket.created_by,
                private=ticket.private,
            )
        )
        return ticket
