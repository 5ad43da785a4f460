"""The ticket domain and the tenants' configuration documents on their own: no database, no bus."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources

import pytest
from portal_kit.domain import ValidationFailed
from portal_tickets.adapters.configuration import shipped_configurations
from portal_tickets.domain.configuration import (
    ConfigurationError,
    NumberFormat,
    parse_configuration,
)
from portal_tickets.domain.events import TicketCreated
from portal_tickets.domain.ticket import Side, Ticket, check_values

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def document(tenant: str) -> dict:
    path = resources.files("portal_tickets.configuration") / f"{tenant}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_shipped_document_parses_and_has_its_labels_in_the_tenants_locales():
    documents = shipped_configurations().documents
    assert set(documents) == {"default", "visma-inschool", "visma-enterprise"}
    inschool, enterprise = documents["visma-inschool"], documents["visma-enterprise"]
    assert inschool.locales == ("sv", "fi", "en") and enterprise.locales == ("da", "en")
    assert [t.code for t in inschool.ticket_types] == [
        "unclassified",
        "consulting",
        "incident",
        "request_for_change",
        "service_request",
        "technical_support",
        "user_support",
    ]
    assert inschool.default_ticket_type == "unclassified"
    consulting = inschool.choice("ticket_type", "consulting")
    assert consulting is not None and consulting.explanation("sv").startswith("Konsultationsbehov")
    assert [s.code for s in inschool.services] == ["saas", "kurre", "primus", "wilma"]
    assert [c.label("sv") for c in inschool.choices("sub_service", service="wilma")] == [
        "Wilma-appen"
    ]
    assert [n for n, f in enterprise.fields.items() if f.required] == [
        "organisation",
        "service",
        "ticket_type",
        "urgency",
        "impact",
        "topic",
        "title",
        "description",
    ]
    assert [n for n, f in inschool.fields.items() if f.required] == [
        "organisation",
        "ticket_type",
        "service",
        "subject",
        "description",
    ]
    assert enterprise.fields["urgency"].label("da") == "Haster"
    mindre = enterprise.choice("urgency", "mindre")
    assert mindre is not None and mindre.label("da") == "Mindre fejl"
    assert enterprise.number.shown(enterprise.number.number_of(1)) == "00002196"


def test_a_bad_document_is_refused_naming_every_problem():
    bad = copy.deepcopy(document("visma-enterprise"))
    bad["ticket_types"][0]["labels"].pop("da")
    bad["default_ticket_type"] = "nothing"
    bad["transitions"][0]["to"] = "gone"
    bad["fields"]["colour"] = {"labels": {"da": "Farve", "en": "Colour"}}
    bad["number"]["first_number"] = 0
    bad["assignment_rules"][0]["team"] = "no-team"
    bad["close_status"] = "ny"
    with pytest.raises(ConfigurationError) as refused:
        parse_configuration(bad)
    text = "\n".join(refused.value.problems)
    for expected in (
        "$.ticket_types[0].labels: no label for locale 'da'",
        "$.default_ticket_type: not one of the types",
        "unknown status 'gone'",
        "$.fields.colour: not a ticket field",
        "$.number.first_number",
        "$.assignment_rules[0].team: unknown team 'no-team'",
        "$.close_status: not a closed status",
    ):
        assert expected in text, expected


def test_numbers_go_on_from_the_first_number_in_the_tenants_digits():
    assert NumberFormat(8, 2196).shown(NumberFormat(8, 2196).number_of(5)) == "00002200"
    assert NumberFormat().shown(NumberFormat().number_of(1)) == "1"
    with pytest.raises(ValueError):
        NumberFormat().number_of(0)


def test_a_new_ticket_records_a_created_event_without_free_text():
    configuration = shipped_configurations().of("visma")
    values = check_values(
        configuration,
        {"organisation": "org-1", "subject": "Login fails", "description": "Since\r\nmorning."},
    )
    ticket = Ticket.create(
        "visma", 3, values, configuration, created_by="u-1", side=Side.CUSTOMER, created_at=NOW
    )
    assert (ticket.number, ticket.status, ticket.values.ticket_type) == (
        "3",
        "open",
        "unclassified",
    )
    assert ticket.values.description == "Since\nmorning."
    [event] = ticket.take_events()
    assert isinstance(event, TicketCreated)
    assert not {"subject", "description", "title"} & set(event.model_dump())


def test_check_values_reports_every_problem_at_once():
    configuration = shipped_configurations().of("visma")
    with pytest.raises(ValidationFailed) as failed:
        check_values(
            configuration,
            {"organisation": "?", "subject": "\t", "description": "x" * 20001, "ticket_type": "x"},
        )
    assert sorted((p.field, p.code) for p in failed.value.problems) == [
        ("description", "TOO_LONG"),
        ("organisationId", "NOT_FOUND"),
        ("subject", "REQUIRED"),
        ("ticketType", "UNKNOWN_CODE"),
    ]


def test_a_bad_shipped_document_stops_the_loader_naming_the_file(tmp_path, monkeypatch):
    from portal_tickets.adapters import configuration as loader

    for name in ("default", "visma-enterprise"):
        (tmp_path / f"{name}.json").write_text(json.dumps(document(name)), encoding="utf-8")
    broken = document("visma-inschool")
    broken["initial_status"] = "closed"
    (tmp_path / "visma-inschool.json").write_text(json.dumps(broken), encoding="utf-8")
    monkeypatch.setattr("importlib.resources.files", lambda _package: tmp_path)
    with pytest.raises(ConfigurationError) as refused:
        loader.shipped_configurations.__wrapped__()
    assert refused.value.problems == [
        "visma-inschool.json: $.initial_status: a new ticket is open",
        "visma-inschool.json: $.statuses: 'new' can never be reached",
    ]


def test_a_person_owner_must_be_of_the_team_when_the_team_lists_its_members():
    document_ = document("visma-enterprise")
    document_["teams"][0]["members"] = ["agent-1"]
    configuration = parse_configuration(document_)
    values = check_values(
        configuration,
        {
            "organisation": "bpo",
            "service": "visma_hr",
            "ticket_type": "fejl",
            "urgency": "mindre",
            "impact": "users_10_0",
            "topic": "konsulentbistand",
            "title": "x",
            "description": "y",
        },
    )
    ticket = Ticket.create(
        "visma-enterprise",
        1,
        values,
        configuration,
        created_by="u-1",
        side=Side.CUSTOMER,
        created_at=NOW,
    )
    assert ticket.owner_team == "loen_team"  # the catch-all rule
    with pytest.raises(ValidationFailed) as refused:
        ticket.assign(configuration, team="bpo_team_1", user="agent-2", by="s", at=NOW)
    assert [(p.field, p.code) for p in refused.value.problems] == [("userId", "NOT_A_MEMBER")]
    ticket.assign(configuration, team="bpo_team_1", user="agent-1", by="s", at=NOW)
    assert (ticket.owner_team, ticket.owner_user) == ("bpo_team_1", "agent-1")
