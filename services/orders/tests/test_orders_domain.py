"""The order domain on its own: no database, no bus."""

from datetime import UTC, date, datetime

import pytest
from portal_kit.domain import DomainError, NotFound, ValidationFailed
from portal_kit.values import check_reference, check_text
from portal_orders.domain.events import OrderAssigned, OrderCreated
from portal_orders.domain.order import (
    DEFAULT_CATALOGUE,
    Order,
    OrderCatalogue,
    OrderRequest,
    format_number,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def request(**overrides):
    values = {
        "order_type": "warranty",
        "description": "Door does not close",
        "customer_organisation_id": "org-1",
        "priority": None,
        "order_date": date(2025, 3, 1),
    }
    values.update(overrides)
    return OrderRequest.parse(**values)


def test_a_new_order_is_new_numbered_and_records_one_created_event():
    order = Order.create("jm", 7, request(), created_at=NOW)
    assert (order.number, order.status, order.priority) == ("7", "new", "normal")
    assert order.assignee_organisation_id is None
    [event] = order.take_events()
    assert isinstance(event, OrderCreated)
    assert event.order_id == order.id and event.number == "7"
    assert "description" not in event.model_dump()
    assert order.take_events() == []


def test_parse_reports_every_problem_at_once():
    with pytest.raises(ValidationFailed) as failed:
        request(order_type="nope", description="", customer_organisation_id="a b", priority="x")
    assert sorted((p.field, p.code) for p in failed.value.problems) == [
        ("customerOrganisationId", "NOT_FOUND"),
        ("description", "REQUIRED"),
        ("orderType", "UNKNOWN_CODE"),
        ("priority", "UNKNOWN_CODE"),
    ]


def test_assigning_records_the_previous_assignee_and_is_idempotent():
    order = Order.create("jm", 1, request(), created_at=NOW)
    order.take_events()
    assert order.assign("ue-1") is True
    assert order.assign("ue-1") is False
    assert order.assign("ue-2") is True
    first, second = order.take_events()
    assert isinstance(first, OrderAssigned) and isinstance(second, OrderAssigned)
    assert (first.previous_assignee_organisation_id, first.assignee_organisation_id) == (
        None,
        "ue-1",
    )
    assert (second.previous_assignee_organisation_id, second.assignee_organisation_id) == (
        "ue-1",
        "ue-2",
    )
    with pytest.raises(NotFound):
        order.assign("../etc")


def test_text_checks():
    assert check_text("  a\r\nb\rc  ", field="f", max_length=10, multiline=True) == "a\nb\nc"
    assert check_text(" a \n  b ", field="f", max_length=10) == "a b"
    assert check_text("", field="f", max_length=10, required=False) == ""
    for bad, code in (("", "REQUIRED"), ("x" * 11, "TOO_LONG"), ("a\x07", "INVALID")):
        with pytest.raises(DomainError) as refused:
            check_text(bad, field="f", max_length=10)
        assert refused.value.code == code
    with pytest.raises(DomainError):
        check_text("\ud800", field="f", max_length=10)
    assert check_reference(" 0a1b:c-d ", field="f", what="thing") == "0a1b:c-d"


def test_catalogue_and_numbers_guard_their_invariants():
    assert "normal" in DEFAULT_CATALOGUE.priorities
    with pytest.raises(ValueError):
        OrderCatalogue(order_types=frozenset({"a"}), priorities=frozenset({"low"}))
    with pytest.raises(ValueError):
        format_number(0)
    with pytest.raises(ValueError):
        Order.create("jm", 1, request(), created_at=datetime(2025, 1, 1))
