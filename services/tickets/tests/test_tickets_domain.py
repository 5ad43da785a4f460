"""The ticket domain on its own: no database, no bus."""

from datetime import UTC, datetime

import pytest
from portal_kit.domain import ValidationFailed
from portal_tickets.domain.events import TicketCreated
from portal_tickets.domain.ticket import (
    DEFAULT_CATALOGUE,
    Ticket,
    TicketCatalogue,
    TicketRequest,
    format_number,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def request(**overrides):
    values = {
        "subject": "Login fails",
        "description": "Since this morning.\r\nAll users.",
        "organisation_id": "org-1",
        "ticket_type": None,
        "private": False,
    }
    values.update(overrides)
    return TicketRequest.parse(**values)


def test_a_new_ticket_is_open_unclassified_and_records_a_created_event():
    ticket = Ticket.create("visma", 3, request(), created_by="u-1", created_at=NOW)
    assert (ticket.number, ticket.status, ticket.ticket_type) == ("3", "open", "unclassified")
    assert ticket.description == "Since this morning.\nAll users."
    [event] = ticket.take_events()
    assert isinstance(event, TicketCreated)
    assert (event.ticket_id, event.created_by, event.private) == (ticket.id, "u-1", False)
    assert not {"subject", "description"} & set(event.model_dump())


def test_parse_reports_every_problem_at_once():
    with pytest.raises(ValidationFailed) as failed:
        request(subject="\t", description="x" * 20001, organisation_id="?", ticket_type="x")
    assert sorted((p.field, p.code) for p in failed.value.problems) == [
        ("description", "TOO_LONG"),
        ("organisationId", "NOT_FOUND"),
        ("subject", "REQUIRED"),
        ("ticketType", "UNKNOWN_CODE"),
    ]


def test_a_private_ticket_keeps_its_flag_and_its_creator():
    ticket = Ticket.create("visma", 1, request(private=True), created_by="u-2", created_at=NOW)
    assert ticket.private and ticket.created_by == "u-2"


def test_invariants():
    assert DEFAULT_CATALOGUE.default_ticket_type in DEFAULT_CATALOGUE.ticket_types
    with pytest.raises(ValueError):
        TicketCatalogue(ticket_types=frozenset({"question"}))
    with pytest.raises(ValueError):
        format_number(0)
    with pytest.raises(ValueError):
        Ticket.create("visma", 1, request(), created_by="", created_at=NOW)
    with pytest.raises(ValueError):
        Ticket.create("visma", 1, request(), created_by="u", created_at=datetime(2025, 1, 1))
