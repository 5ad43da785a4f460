"""Domain rules without I/O: configuration checks, numbers, SLA dates, windows, search folding."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from importlib import resources

import pytest
from portal_kit.business_days import add_business_days
from portal_kit.domain import DomainError, ValidationFailed
from portal_kit.text import fold, term_patterns
from portal_orders.adapters.configuration import shipped_configurations
from portal_orders.domain.calendar import window_start
from portal_orders.domain.fields import check_close_out
from portal_orders.domain.numbering import (
    BundlePlace,
    bundle_number,
    bundle_of,
    bundle_space,
    format_number,
    sla_dates,
)
from portal_orders.domain.order import Order, OrderDraft
from portal_orders.domain.workflow import Actor, Category, ConfigurationError, parse_configuration


def document(tenant: str) -> dict:
    text = resources.files("portal_orders.configuration").joinpath(f"{tenant}.json").read_text()
    return json.loads(text)


def test_the_three_tenants_ship_valid_configurations():
    configurations = shipped_configurations()
    assert set(configurations) == {"jm", "familjebostader", "avonova"}
    jm = configurations["jm"].order_types[0].workflow
    assert len(jm.statuses) == 11
    assert {t.target for t in jm.transitions_from("new")} == {"order_received", "declined"}
    assert jm.status("awaiting_operator").label("nb") == "Avventer tilbakemelding fra JM"
    fb = configurations["familjebostader"]
    assert [t.code for t in fb.order_types] == [
        "fel",
        "hlu",
        "myndighet",
        "rondering",
        "tillval",
        "underhall",
    ]
    workflow = fb.order_types[0].workflow
    assert len(workflow.note_events) == 10
    assert workflow.transition("done", "invoiced").actors == {Actor.SYSTEM}
    assert workflow.transition("accepted", "cancelled").actors == {Actor.STAFF}
    assert configurations["avonova"].creators == {Actor.STAFF, Actor.CUSTOMER}


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (
            lambda d: d["workflows"]["contractor"]["transitions"].append(
                {"from": "new", "to": "teleported", "actors": ["staff"]}
            ),
            "unknown status 'teleported'",
        ),
        (
            lambda d: d["workflows"]["contractor"]["statuses"][3].pop("terminal"),
            "nobody can leave status 'done' and it is not terminal",
        ),
        (
            lambda d: d["workflows"]["contractor"]["transitions"][0].update(actors=["robot"]),
            "unknown actor 'robot'",
        ),
        (
            lambda d: d["workflows"]["contractor"]["transitions"][1].update(
                required_fields=["mood"]
            ),
            "unknown field 'mood'",
        ),
        (
            lambda d: d["workflows"]["contractor"]["statuses"][1].update(category="maybe"),
            "unknown category 'maybe'",
        ),
        (lambda d: d["order_types"][0].update(workflow="nope"), "unknown workflow 'nope'"),
        (lambda d: d.update(default_priority="whenever"), "default_priority"),
        (lambda d: d["priorities"][0]["labels"].update(xx="?"), "unknown locale"),
        (lambda d: d["workflows"]["contractor"].update(initial="limbo"), "unknown status 'limbo'"),
        (lambda d: d["order_types"][0]["labels"].pop("sv"), "no label for locale 'sv'"),
        (lambda d: d.update(locales=["xx"]), "$.locales"),
    ],
)
def test_a_broken_configuration_is_refused_naming_the_problem(break_it, problem):
    broken = copy.deepcopy(document("jm"))
    break_it(broken)
    with pytest.raises(ConfigurationError) as refused:
        parse_configuration(broken)
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def close_out(d: dict) -> dict:
    codes: dict = d["close_out_codes"]
    return codes


def done_rule(d: dict) -> dict:
    rule: dict = next(t for t in d["workflows"]["work_order"]["transitions"] if t["to"] == "done")
    return rule


@pytest.mark.parametrize(
    ("tenant", "break_it", "problem"),
    [
        (
            "jm",
            lambda d: close_out(d).update(mood={"free_text": True}),
            "$.close_out_codes.mood: not a close-out field with codes",
        ),
        (
            "jm",
            lambda d: close_out(d)["fault_type"]["codes"][0]["labels"].pop("sv"),
            "$.close_out_codes.fault_type.codes[0].labels: no label for locale 'sv'",
        ),
        (
            "jm",
            lambda d: close_out(d)["root_cause"]["codes"].append(
                copy.deepcopy(close_out(d)["root_cause"]["codes"][0])
            ),
            "$.close_out_codes.root_cause: code 'product_defect' is defined twice",
        ),
        (
            "jm",
            lambda d: close_out(d)["fault_type"].update(codes=[]),
            "$.close_out_codes.fault_type: no codes and no free text",
        ),
        (
            "jm",
            lambda d: close_out(d)["fault_type"].update(free_text="yes"),
            "$.close_out_codes.fault_type.free_text: expected true or false",
        ),
        (
            "jm",
            lambda d: close_out(d)["fault_type"]["codes"][1].update(code=" leak"),
            "$.close_out_codes.fault_type.codes[1].code: a code without surrounding blanks",
        ),
        (
            "jm",
            lambda d: close_out(d).pop("root_cause"),
            "workflows.contractor: going to 'done' requires 'root_cause', but "
            "$.close_out_codes has no codes or free text for it",
        ),
        ("jm", lambda d: d.update(close_out_codes=[]), "$.close_out_codes: expected an object"),
        (
            "familjebostader",
            lambda d: done_rule(d)["required_when"][0].update(when="avser.shiny"),
            "required_when[0].when: unknown condition 'avser.shiny'",
        ),
        (
            "familjebostader",
            lambda d: done_rule(d)["required_when"][0].update(fields=[]),
            "required_when[0].fields: at least one field is required",
        ),
        (
            "familjebostader",
            lambda d: done_rule(d).update(required_when={"when": "avser.appliance"}),
            "required_when: expected a list",
        ),
        (
            "familjebostader",
            lambda d: done_rule(d).update(required_fields="action_taken"),
            "required_fields: expected a list of field names",
        ),
        (
            "familjebostader",
            lambda d: done_rule(d)["required_when"][0]["fields"].append("fault_type"),
            "requires 'fault_type', but $.close_out_codes has no codes or free text for it",
        ),
    ],
)
def test_broken_transition_rules_and_close_out_codes_are_refused_naming_the_problem(
    tenant, break_it, problem
):
    broken = copy.deepcopy(document(tenant))
    break_it(broken)
    with pytest.raises(ConfigurationError) as refused:
        parse_configuration(broken)
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def test_jm_ships_the_manuals_fault_type_and_root_cause_as_codes():
    jm = shipped_configurations()["jm"]
    fault_type, root_cause = jm.close_out_field("fault_type"), jm.close_out_field("root_cause")
    assert fault_type is not None and root_cause is not None
    assert (fault_type.free_text, root_cause.free_text) == (False, False)
    assert fault_type.label_of("product_fault", "nb") == "Feil produkt"
    assert root_cause.label_of("product_defect", "nb") == "Feil på produktet"
    assert check_close_out(jm, "fault_type", "product_fault") == "product_fault"
    assert check_close_out(jm, "fault_type", "") == ""  # nothing chosen yet
    with pytest.raises(DomainError) as refused:
        check_close_out(jm, "root_cause", "Feil på produktet")
    assert (refused.value.field, refused.value.code) == ("rootCause", "UNKNOWN_CODE")


def test_free_text_is_accepted_only_where_the_tenant_says_so():
    with_text = copy.deepcopy(document("jm"))
    close_out(with_text)["root_cause"]["free_text"] = True
    configuration = parse_configuration(with_text)
    assert check_close_out(configuration, "root_cause", "Frost i veggen") == "Frost i veggen"
    assert configuration.close_out_field("root_cause").label_of("Frost i veggen", "nb") == (
        "Frost i veggen"
    )
    with pytest.raises(DomainError):
        check_close_out(configuration, "fault_type", "Frost i veggen")
    # A tenant that configures no codes for a field does not record it at all.
    fb = shipped_configurations()["familjebostader"]
    with pytest.raises(DomainError) as refused:
        check_close_out(fb, "fault_type", "Läckage")
    assert (refused.value.field, refused.value.code) == ("faultType", "UNKNOWN_CODE")


def test_a_transition_names_its_conditional_requirements_for_the_order_at_hand():
    workflow = shipped_configurations()["familjebostader"].order_types[0].workflow
    done = workflow.transition("accepted", "done")
    assert done is not None
    facts = {"avser.appliance": True}
    assert done.required_for(lambda name: facts.get(name)) == (
        "action_taken",
        "avser.properties",
        "avser.serial_number",
    )
    assert done.required_for(lambda name: False) == ("action_taken",)


def test_a_tenant_without_a_first_number_starts_at_1():
    plain = copy.deepcopy(document("familjebostader"))
    plain.pop("first_number")
    configuration = parse_configuration(plain)
    assert configuration.first_number == 1
    assert format_number(configuration, 1, datetime(2025, 6, 26), None) == "1"


@pytest.mark.parametrize("bad", [0, -5, 2.5, "2375", True, None])
def test_a_bad_first_number_is_refused_naming_it(bad):
    broken = copy.deepcopy(document("familjebostader"))
    broken["first_number"] = bad
    with pytest.raises(ConfigurationError) as refused:
        parse_configuration(broken)
    assert any(
        p.startswith("$.first_number: a whole number from 1") for p in refused.value.problems
    )


def test_a_first_number_with_date_time_numbers_is_refused():
    # JM's numbers are the registration's date and time: there is nothing to start from.
    broken = copy.deepcopy(document("jm"))
    broken["first_number"] = 100
    with pytest.raises(ConfigurationError) as refused:
        parse_configuration(broken)
    assert "not date-time-sequence" in str(refused.value)


def test_an_unreachable_status_is_refused():
    broken = copy.deepcopy(document("familjebostader"))
    broken["workflows"]["work_order"]["transitions"] = [
        t for t in broken["workflows"]["work_order"]["transitions"] if t["to"] != "invoiced"
    ]
    with pytest.raises(ConfigurationError) as refused:
        parse_configuration(broken)
    assert "status 'invoiced' can never be reached" in str(refused.value)


def test_sla_dates_count_business_days_with_public_holidays():
    jm = shipped_configurations()["jm"]
    # JM's manual: ordered 05.09.2024, contact by 10.09.2024, delivery by 04.10.2024.
    assert sla_dates(jm, date(2024, 9, 5)) == (date(2024, 9, 10), date(2024, 10, 4))
    # Norway: Maundy Thursday to Easter Monday 2025 are holidays (17–21 April).
    assert add_business_days(date(2025, 4, 16), 1, "NO") == date(2025, 4, 22)
    # Sweden: Midsummer Eve is not a public holiday, Midsummer Day (a Saturday) is.
    assert add_business_days(date(2025, 6, 19), 1, "SE") == date(2025, 6, 20)
    assert add_business_days(date(2025, 12, 24), 1, "SE") == date(2025, 12, 29)
    assert add_business_days(date(2025, 6, 28), 0, "SE") == date(2025, 6, 30)


def test_numbers_in_each_tenants_format():
    configurations = shipped_configurations()
    local = datetime(2025, 6, 26, 10, 54, 51)
    assert format_number(configurations["jm"], 7, local, 1) == "250626-105451-01"
    # Sequential numbers go on from the tenant's first number: the counter's first is AO 2375.
    assert format_number(configurations["familjebostader"], 1, local, None) == "2375"
    assert format_number(configurations["familjebostader"], 4, local, None) == "2378"
    assert format_number(configurations["avonova"], 1, local, None) == "307390"
    with pytest.raises(ValueError):
        format_number(configurations["jm"], 7, local, None)


def test_bundle_and_sub_bundle_numbers():
    configurations = shipped_configurations()
    fb, jm = configurations["familjebostader"], configurations["jm"]
    bundle = bundle_of(fb, "64010765", date(2019, 8, 19))
    assert bundle == "64010765-20190819"
    assert bundle_of(fb, None, date(2019, 8, 19)) is None
    assert bundle_of(jm, "64010765", date(2019, 8, 19)) is None
    assert bundle_space(" Kök ") == bundle_space("KÖK")
    # AO 2375 is the bundle's first work order, AO 2377 the next one for the kitchen.
    assert bundle_number(bundle, BundlePlace(1, 1, 1)) == "64010765-20190819"
    assert bundle_number(bundle, BundlePlace(2, 1, 2)) == "64010765-20190819-1-1"
    assert bundle_number(bundle, BundlePlace(3, 2, 1)) == "64010765-20190819-2-1"
    assert bundle_number(bundle, BundlePlace(4, 1, 3)) == "64010765-20190819-1-2"
    for impossible in (BundlePlace(0, 1, 1), BundlePlace(2, 1, 3), BundlePlace(2, 0, 1)):
        with pytest.raises(ValueError):
            bundle_number(bundle, impossible)


def test_windows_in_days_and_calendar_months():
    now = datetime(2025, 8, 31, 12, 0, tzinfo=UTC)
    assert window_start(now, days=30) == datetime(2025, 8, 1, 12, 0, tzinfo=UTC)
    assert window_start(now, months=6) == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)
    assert window_start(datetime(2025, 3, 15, tzinfo=UTC), months=6) == datetime(
        2024, 9, 15, tzinfo=UTC
    )


def test_search_folds_case_and_nordic_letters():
    assert fold("TORÖGATAN 51, Bodø Ærlig Smörgås") == "torogatan 51, bodo aerlig smorgas"
    assert term_patterns("  Dør  (x) ") == ["dor", r"\(x\)"]


def new_order(tenant: str = "familjebostader", **draft) -> Order:
    configuration = shipped_configurations()[tenant]
    values = {
        "order_type": configuration.order_types[0].code,
        "priority": configuration.default_priority,
        "description": "Kommer inget vatten",
        "customer_organisation_id": "fb",
        "order_date": date(2019, 8, 19),
        "assignee_organisation_id": "testfirma",
    }
    values.update(draft)
    return Order.create(
        tenant=tenant,
        configuration=configuration,
        sequence=1,
        number="1",
        draft=OrderDraft(**values),
        actor=Actor.STAFF,
        user="elsa",
        now=datetime(2019, 8, 19, 14, 6, tzinfo=UTC),
        expected_contact_date=None,
        expected_delivery_date=None,
    )


def test_a_refused_transition_changes_nothing_and_names_every_missing_field():
    order = new_order()
    workflow = shipped_configurations()["familjebostader"].order_types[0].workflow
    now = datetime(2019, 8, 19, 16, 0, tzinfo=UTC)
    order.transition(workflow, "accepted", actor=Actor.CONTRACTOR, user="ue", now=now)
    order.take_events()
    before = (order.status, len(order.activity), order.action_taken)
    with pytest.raises(ValidationFailed) as refused:
        order.transition(workflow, "done", actor=Actor.CONTRACTOR, user="ue", now=now)
    assert [p.field for p in refused.value.problems] == ["actionTaken"]
    assert (order.status, len(order.activity), order.action_taken) == before
    assert order.take_events() == []
    order.transition(
        workflow,
        "done",
        actor=Actor.CONTRACTOR,
        user="ue",
        now=now,
        changes={"action_taken": "Bytt packning"},
    )
    assert order.status_category is Category.DONE and order.closed_at == now
    assert [e.name for e in order.take_events()] == ["status_changed", "completed"]
