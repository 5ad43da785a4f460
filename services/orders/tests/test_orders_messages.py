"""The orders service speaks its users' languages: every refusal and displayed code is marked and
translated in every locale, and a tenant may word its log entry kinds in its own way."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
from portal_kit.domain import DomainError
from portal_kit.graphql import user_errors
from portal_kit.messages import code_label, locale_var, translate
from portal_kit.testing.catalogues import missing_translations, unmarked_messages
from portal_orders.domain.bookings import Booking
from portal_orders.domain.workflow import ENTRY_KINDS, ConfigurationError, parse_configuration
from portal_orders.entrypoints.types import BOOKING_EVENT_LABELS, ENTRY_KIND_LABELS


def document(tenant: str) -> dict:
    text = resources.files("portal_orders") / "configuration" / f"{tenant}.json"
    return json.loads(text.read_text(encoding="utf-8"))


def test_every_orders_message_exists_in_every_locale() -> None:
    assert missing_translations("portal_orders") == []
    assert unmarked_messages("portal_orders") == []


def test_every_log_entry_kind_has_a_catalogue_label() -> None:
    assert set(ENTRY_KIND_LABELS) == ENTRY_KINDS
    assert code_label(ENTRY_KIND_LABELS, "question", "nb") == "Spørsmål"
    assert code_label(ENTRY_KIND_LABELS, "status_changed", "fi") == "Tila muutettu"
    # English is the catalogues' source, where the code is the template: written as words.
    assert code_label(ENTRY_KIND_LABELS, "status_changed", "en") == "Status changed"
    assert code_label(BOOKING_EVENT_LABELS, "booked", "nb") == "Ansatt booket"


def test_a_refusal_reads_in_the_callers_language_with_its_parameters() -> None:
    at = datetime(2026, 12, 2, 9, tzinfo=UTC)
    slot = Booking("b1", at, at + timedelta(hours=1), "Oslo", 1, at, ["e1"])
    with pytest.raises(DomainError) as refused:
        slot.add("e2", of_customer=True)
    token = locale_var.set("sv")
    try:
        [error] = user_errors(refused.value)
    finally:
        locale_var.reset(token)
    assert (error.field, error.code, error.message) == (
        "bookingId",
        "FULL",
        "denna tid är fullbokad",
    )
    assert refused.value.message == "this slot is full"


def test_familjebostader_words_its_log_in_its_own_way() -> None:
    configuration = parse_configuration(document("familjebostader"))
    assert configuration.entry_kind_label("created", "sv") == "AO Registrerad och Beställd"
    assert configuration.entry_kind_label("status_changed", "sv", "Accepterad") == "AO Accepterad"
    assert configuration.entry_kind_label("question", "sv") == "Beställningsfråga"
    # Where the tenant has no wording, the catalogue's label is used.
    assert configuration.entry_kind_label("created", "en") is None
    assert configuration.entry_kind_label("comment", "sv") is None


@pytest.mark.parametrize(
    ("labels", "problem"),
    [
        ({"opened": {"sv": "Öppnad"}}, "$.entry_kind_labels.opened: not a log entry kind"),
        ({"created": {"xx": "Skapad"}}, "$.entry_kind_labels.created.xx: unknown locale"),
        ({"created": {"sv": " "}}, "$.entry_kind_labels.created.sv: unknown locale or empty"),
        ({"note": {"sv": "AO {status}"}}, "only a status change names its status"),
        ({"note": {}}, "$.entry_kind_labels.note: at least one label is required"),
    ],
)
def test_a_bad_entry_kind_label_is_refused_naming_it(labels: dict, problem: str) -> None:
    broken = copy.deepcopy(document("familjebostader"))
    broken["entry_kind_labels"] = labels
    with pytest.raises(ConfigurationError) as refused:
        parse_configuration(broken)
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def test_a_parameter_that_is_a_noun_is_translated_too() -> None:
    from portal_kit.values import check_reference
    from portal_orders.domain.messages import _

    with pytest.raises(DomainError) as refused:
        check_reference("not an id!", field="employeeId", what=_("employee"))
    assert translate(refused.value.message, "da") == "findes ikke: medarbejder"
