"""The invoice domain on its own: no database, no bus."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from portal_billing.domain.events import InvoiceCreated
from portal_billing.domain.invoice import (
    Invoice,
    InvoiceLine,
    InvoiceRequest,
    InvoiceStatus,
    LineInput,
    Payer,
    Payment,
)
from portal_billing.domain.money import format_amount, format_quantity, parse_decimal
from portal_kit.domain import DomainError, ValidationFailed

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def request(*lines, currency="NOK", payer="org-1"):
    return InvoiceRequest.parse(
        payer_organisation_id=payer,
        currency=currency,
        lines=list(lines) or [LineInput("Consulting", "2", "100.25")],
    )


def draft(parsed):
    return Invoice.draft("avonova", Payer(parsed.payer_organisation_id), parsed, created_at=NOW)


def test_a_new_invoice_is_a_draft_with_everything_outstanding():
    invoice = draft(request(LineInput("A", "2", "100.25"), LineInput("B", "0.333", "10")))
    assert (invoice.number, invoice.status, invoice.currency) == (None, InvoiceStatus.DRAFT, "NOK")
    assert (invoice.issue_date, invoice.due_date) == (None, None)
    # 200.50 + 3.33 (3.330 exactly)
    assert invoice.total == invoice.outstanding == Decimal("203.83")
    [event] = invoice.take_events()
    assert isinstance(event, InvoiceCreated)
    assert (event.total, event.line_count, event.status) == ("203.83", 2, "draft")


def test_line_amounts_round_half_up_to_the_cent():
    assert InvoiceLine("x", Decimal("1.5"), Decimal("0.01")).amount == Decimal("0.02")
    assert InvoiceLine("x", Decimal("0.5"), Decimal("0.01")).amount == Decimal("0.01")
    assert InvoiceLine("x", Decimal("3"), Decimal("0.33")).amount == Decimal("0.99")


def test_overdue_needs_issued_outstanding_and_a_past_due_date():
    base = draft(request())
    today = date(2025, 3, 10)
    issued = replace(base, status=InvoiceStatus.ISSUED, due_date=date(2025, 3, 9))
    assert issued.is_overdue(today)
    assert not issued.is_overdue(date(2025, 3, 9))
    paid = Payment(issued.total, today, "", NOW)
    assert not replace(issued, payments=(paid,)).is_overdue(today)
    assert not replace(issued, status=InvoiceStatus.PAID).is_overdue(today)
    assert not replace(issued, status=InvoiceStatus.CREDITED).is_overdue(today)
    assert not replace(issued, due_date=None).is_overdue(today)
    assert not base.is_overdue(today)


def test_parse_reports_every_problem_with_its_line():
    with pytest.raises(ValidationFailed) as failed:
        request(LineInput(" ", "-1", "abc"), currency="", payer="")
    assert sorted((p.field, p.code) for p in failed.value.problems) == [
        ("currency", "REQUIRED"),
        ("lines.0.description", "REQUIRED"),
        ("lines.0.quantity", "INVALID"),
        ("lines.0.unitPrice", "INVALID"),
        ("payerOrganisationId", "REQUIRED"),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "REQUIRED"),
        ("1e5", "INVALID"),
        ("0.123", "INVALID"),
        ("-0", "INVALID"),
        ("Infinity", "INVALID"),
        ("1 000", "INVALID"),
        ("100000000000", "TOO_LARGE"),
    ],
)
def test_prices_are_plain_non_negative_decimals_with_two_places(text, problem):
    with pytest.raises(DomainError) as refused:
        parse_decimal(text, field="p", places=2, maximum=Decimal(10**9))
    assert refused.value.code == problem


def test_formatting_never_uses_exponents():
    assert format_amount(Decimal("1E+3")) == "1000.00"
    assert format_amount(Decimal("0.005")) == "0.01"
    assert format_quantity(Decimal("1E+2")) == "100"
    assert format_quantity(Decimal("1.500")) == "1.5"


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=Decimal("0.001"), max_value=10**6, places=3),
            st.decimals(min_value=0, max_value=10**9, places=2),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_the_total_is_the_sum_of_the_rounded_line_amounts(pairs):
    lines = [LineInput("line", format(q, "f"), format(p, "f")) for q, p in pairs]
    parsed = draft(request(*lines))
    expected = sum(
        ((q * p).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") for q, p in pairs),
        Decimal(0),
    )
    assert parsed.total == expected
    assert Decimal(format_amount(parsed.total)) == expected


def test_a_configuration_with_a_bad_seller_number_or_format_stops_the_service():
    import json
    from importlib import resources

    from portal_billing.domain.configuration import ConfigurationError, parse_configuration

    text = resources.files("portal_billing.configuration").joinpath("avonova.json").read_text()
    document = json.loads(text)
    assert parse_configuration(document).invoice_number(1, date(2017, 12, 31)) == "2017-118350"
    for broken in (
        {**document, "seller": {**document["seller"], "organisation_number": "982463719"}},
        {**document, "number_format": "{year}"},
        {**document, "default_vat_rate": "12"},
        {**document, "status_labels": {**document["status_labels"], "overdue": {"en": "x"}}},
    ):
        with pytest.raises(ConfigurationError):
            parse_configuration(broken)
