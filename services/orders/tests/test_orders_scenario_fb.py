"""Familjebostäder's quick guide, walked through GraphQL: dashboard counts → bundle → accept →
note 'Tid är bokad med kund' → question and answer → done with model and serial number →
visible for 30 days after done, not on day 31."""

from __future__ import annotations

import asyncio
import json

import pytest
from portal_kit.testing.plugin import make_principal
from portal_orders.demo_data import TESTSSON, TORO
from portal_orders.testing import (
    ANSWER,
    ASK,
    BUNDLES,
    CREATE,
    DASHBOARD,
    NOTE,
    TRANSITION,
    call,
    errors,
    listed,
    ok,
    read,
    stream_events,
)

ELSA = make_principal("familjebostader", user="elsa", staff=True, locale="sv")
TESTFIRMA = make_principal(
    "familjebostader", user="1999/99999", memberships={"testfirma": ("user",)}, locale="sv"
)

# The manual's object and tenant, as the demo loads them.
TENANT = {**TESTSSON, "comment": "testar"}


def work_order(order_type="fel", **avser):
    return {
        "orderType": order_type,
        "description": "Kommer inget vatten",
        "customerOrganisationId": "fb-housing",
        "assigneeOrganisationId": "testfirma",
        "orderDate": "2019-08-19",
        "operatorContact": {"name": "Elsa Österberg"},
        "resident": TENANT,
        "object": TORO,
        "adminArea": "2 (Fastighetsavdelningen)",
        "searchAreas": ["Fel: Bordsvägen", "Sök 1: Tallkrogen", "Farsta SDF"],
        "avser": {
            "space": "Kök",
            "spaceCode": "076506",
            "unit": "Diskbänk",
            "installed": "2010-09-16",
            "phrase": "Blandare dåligt tryck",
            "description": "Kommer inget vatten",
            **avser,
        },
    }


def cell(dashboard, status, order_type):
    row = next(r for r in dashboard["rows"] if r["status"] == status)
    return next(c["count"] for c in row["cells"] if c["orderType"] == order_type)


async def test_the_familjebostader_quick_guide(service, clock, nats_client, namespace):
    first = await ok(service, CREATE, ELSA, **work_order())
    second = await ok(service, CREATE, ELSA, **work_order(appliance=True, unit="Diskmaskin"))
    await ok(service, CREATE, ELSA, **work_order("underhall"))
    assert [first["number"], second["number"]] == ["2375", "2376"]
    assert first["invoiceReference"] == "AO2375"
    assert first["bundle"] == second["bundle"] == "64010765-20190819"
    # The manual's Buntnummer: the bundle's first work order carries the bundle number, the
    # next one for the same space (Kök) the sub-bundle number of AO 2377.
    assert [first["bundleNumber"], second["bundleNumber"]] == [
        "64010765-20190819",
        "64010765-20190819-1-1",
    ]
    assert first["statusLabel"] == "Beställd"

    # 3. The dashboard: counts by status × work-order type, with totals.
    board = (await service.graphql(DASHBOARD, {"view": "ALL"}, principal=TESTFIRMA))[
        "orderDashboard"
    ]
    assert board["orderTypes"] == ["fel", "hlu", "myndighet", "rondering", "tillval", "underhall"]
    assert (cell(board, "ordered", "fel"), cell(board, "ordered", "underhall")) == (2, 1)
    ordered = next(r for r in board["rows"] if r["status"] == "ordered")
    # The row heading is the manual's plural list heading, not the status label.
    assert (ordered["label"], ordered["total"], board["total"]) == ("Beställda", 3, 3)
    assert {c["orderType"]: c["count"] for c in board["columnTotals"]}["fel"] == 2

    # 4. The orders of one object and day come as a bundle.
    bundles = (
        await service.graphql(BUNDLES, {"filter": {"orderTypes": ["fel"]}}, principal=TESTFIRMA)
    )["orderBundles"]
    assert bundles == [
        {
            "number": "64010765-20190819",
            "orders": [
                {"number": "2375", "status": "ordered"},
                {"number": "2376", "status": "ordered"},
            ],
        }
    ]
    seen = await read(service, second["id"], TESTFIRMA)
    assert seen["resident"]["preferredPhone"] == {"number": "0799999999"}
    assert seen["object"]["address"]["street"] == "Torögatan 51"

    # 5. Accept.
    order = await ok(
        service, TRANSITION, TESTFIRMA, id=second["id"], version=seen["version"], status="accepted"
    )
    assert order["statusLabel"] == "Accepterad"
    # Before pressing 'Utförd': the action, and for this appliance its model and serial number.
    assert order["availableTransitions"] == [
        {
            "status": "done",
            "label": "Utförd",
            "requiredFields": ["actionTaken", "avser.properties", "avser.serialNumber"],
            "commentRequired": False,
        }
    ]
    # 6. A note with a predefined event.
    order = await ok(
        service,
        NOTE,
        TESTFIRMA,
        id=order["id"],
        version=order["version"],
        event="time_booked",
        phrase="time_booked",
    )
    assert order["activity"][-1]["eventLabel"] == "Tid är bokad med kund"
    unknown = await call(
        service, NOTE, TESTFIRMA, id=order["id"], version=order["version"], event="coffee"
    )
    assert errors(unknown) == [("event", "UNKNOWN_CODE")]

    # 8. A question to the orderer and its answer.
    order = await ok(
        service,
        ASK,
        TESTFIRMA,
        id=order["id"],
        version=order["version"],
        text="Ska jag byta blandare?",
    )
    question = order["activity"][-1]
    assert question["kind"] == "question"
    not_theirs = await call(
        service,
        ANSWER,
        TESTFIRMA,
        id=order["id"],
        version=order["version"],
        questionId=question["id"],
        text="Ja",
    )
    assert errors(not_theirs) == [(None, "FORBIDDEN")]
    staff_view = await read(service, order["id"], ELSA)
    order = await ok(
        service,
        ANSWER,
        ELSA,
        id=order["id"],
        version=staff_view["version"],
        questionId=question["id"],
        text="Ja byt blandaren",
    )
    assert order["activity"][-1]["questionId"] == question["id"]

    # 9. Done: the action, and for an appliance its model and serial number.
    refused = await call(
        service,
        TRANSITION,
        TESTFIRMA,
        id=order["id"],
        version=order["version"],
        status="done",
        changes={"actionTaken": "Bytt blandare"},
    )
    assert errors(refused) == [("avser.properties", "REQUIRED"), ("avser.serialNumber", "REQUIRED")]
    cancelled_by_ue = await call(
        service,
        TRANSITION,
        TESTFIRMA,
        id=order["id"],
        version=order["version"],
        status="cancelled",
    )
    assert errors(cancelled_by_ue) == [("status", "FORBIDDEN")]
    done = await ok(
        service,
        TRANSITION,
        TESTFIRMA,
        id=order["id"],
        version=order["version"],
        status="done",
        changes={
            "actionTaken": "Bytt blandare",
            "avserProperties": "Electrolux ESF5545LOX",
            "avserSerialNumber": "91155354902",
        },
    )
    assert (done["statusLabel"], done["avser"]["serialNumber"]) == ("Utförd", "91155354902")
    # The contractor no longer sees the resident once the order is done.
    assert (await read(service, done["id"], TESTFIRMA))["resident"] is None
    assert (await read(service, done["id"], ELSA))["resident"]["name"] == "Test Testsson"
    kinds = [(e["kind"], e["statusTo"] or e["event"]) for e in done["activity"]]
    assert kinds == [
        ("created", "ordered"),
        ("status_changed", "accepted"),
        ("note", "time_booked"),
        ("question", None),
        ("answer", None),
        ("status_changed", "done"),
    ]
    # 'Fakturerad' only by the system (billing); 'Makulerad' only by staff.
    by_staff = await call(
        service, TRANSITION, ELSA, id=done["id"], version=done["version"], status="invoiced"
    )
    assert errors(by_staff) == [("status", "FORBIDDEN")]

    # Done work orders stay in sight for 30 days after done, not on day 31.
    clock.advance(days=30)
    assert second["number"] in await listed(service, TESTFIRMA)
    board = (await service.graphql(DASHBOARD, {"view": "ALL"}, principal=TESTFIRMA))[
        "orderDashboard"
    ]
    assert cell(board, "done", "fel") == 1
    clock.advance(days=1)
    assert await listed(service, TESTFIRMA) == ["2375", "2377"]
    assert await read(service, done["id"], TESTFIRMA) is None
    board = (await service.graphql(DASHBOARD, {"view": "ALL"}, principal=TESTFIRMA))[
        "orderDashboard"
    ]
    assert cell(board, "done", "fel") == 0
    assert (await read(service, done["id"], ELSA))["status"] == "done"

    # Every step reached partners as an event, one per change, without the texts typed.
    events = await stream_events(nats_client, namespace, "familjebostader", 9)
    # Events of one order keep their order; those of different orders may interleave.
    of_second = [e for e in events if e["subject"] == second["id"]]
    assert [e["type"].rsplit(".", 1)[1] for e in of_second] == [
        "created",
        "status_changed",
        "note_added",
        "question_asked",
        "question_answered",
        "status_changed",
        "completed",
    ]
    assert len(events) - len(of_second) == 2  # the other two orders' 'created'
    assert of_second[2]["data"]["event_code"] == "time_booked"
    assert of_second[6]["data"]["invoice_reference"] == "AO2376"
    text = json.dumps(events)
    for typed in ("blandare", "Testsson", "0799999999", "91155354902", "Torögatan"):
        assert typed not in text


async def test_a_contractor_registers_a_work_order_for_familjebostader(service):
    order = await ok(service, CREATE, TESTFIRMA, **work_order("tillval"))
    assert (order["myRole"], order["assigneeOrganisationId"]) == ("CONTRACTOR", "testfirma")
    assert order["activity"][0]["role"] == "CONTRACTOR"


async def test_only_the_system_marks_a_done_work_order_invoiced(service, clock):
    from portal_kit.domain import Forbidden

    order = await ok(service, CREATE, ELSA, **work_order())
    system = service.app.state.service.system("familjebostader")  # its clock is `clock`
    with pytest.raises(Forbidden):
        await system.transition(order["id"], "accepted")
    order = await ok(
        service, TRANSITION, TESTFIRMA, id=order["id"], version=order["version"], status="accepted"
    )
    order = await ok(
        service,
        TRANSITION,
        TESTFIRMA,
        id=order["id"],
        version=order["version"],
        status="done",
        changes={"actionTaken": "Bytt packning"},
    )
    invoiced = await system.transition(order["id"], "invoiced")
    assert invoiced.status == "invoiced"
    seen = await read(service, order["id"], TESTFIRMA)
    assert (seen["statusLabel"], seen["invoiceReference"]) == ("Fakturerad", "AO2375")
    assert seen["activity"][-1]["role"] == "SYSTEM"


async def test_sub_bundle_numbers_follow_the_spaces_of_the_bundle(service):
    created = [
        await ok(service, CREATE, ELSA, **work_order(space=space, unit="Enhet"))
        for space in ("Kök", "Badrum", "kök ", "Badrum", "Hall")
    ]
    assert [o["bundleNumber"] for o in created] == [
        "64010765-20190819",
        "64010765-20190819-2-1",
        "64010765-20190819-1-1",
        "64010765-20190819-2-2",
        "64010765-20190819-3-1",
    ]
    assert {o["bundle"] for o in created} == {"64010765-20190819"}
    # Another day or another object starts its own bundle.
    next_day = await ok(service, CREATE, ELSA, **{**work_order(), "orderDate": "2019-08-20"})
    other = await ok(service, CREATE, ELSA, **{**work_order(), "object": {**TORO, "number": "1"}})
    assert (next_day["bundleNumber"], other["bundleNumber"]) == ("64010765-20190820", "1-20190819")
    # The contractor sees each work order with its Buntnummer.
    seen = await read(service, created[3]["id"], TESTFIRMA)
    assert (seen["bundle"], seen["bundleNumber"]) == (
        "64010765-20190819",
        "64010765-20190819-2-2",
    )


async def test_work_orders_registered_at_once_get_distinct_bundle_numbers(service):
    spaces = ["Kök", "Badrum"] * 4
    created = await asyncio.gather(
        *(ok(service, CREATE, ELSA, **work_order(space=space)) for space in spaces)
    )
    # Whatever the interleaving: one head, the first space's three more, the other's four.
    bundle = "64010765-20190819"
    assert sorted(o["bundleNumber"] for o in created) == sorted(
        [bundle]
        + [f"{bundle}-1-{m}" for m in (1, 2, 3)]
        + [f"{bundle}-2-{m}" for m in (1, 2, 3, 4)]
    )


REQUIREMENTS = """{ orderConfiguration { closeOutFields { field }
  orderTypes { code transitions { source target requiredFields
    requiredWhen { when fields } } } } }"""


async def test_model_and_serial_number_are_asked_for_only_when_the_order_concerns_an_appliance(
    service,
):
    sink = await ok(service, CREATE, ELSA, **work_order())
    dishwasher = await ok(service, CREATE, ELSA, **work_order(appliance=True, unit="Diskmaskin"))
    needs = {}
    for created in (sink, dishwasher):
        accepted = await ok(
            service,
            TRANSITION,
            TESTFIRMA,
            id=created["id"],
            version=created["version"],
            status="accepted",
        )
        [done] = accepted["availableTransitions"]
        needs[created["avser"]["unit"]] = (done["status"], done["requiredFields"])
    assert needs == {
        "Diskbänk": ("done", ["actionTaken"]),
        "Diskmaskin": ("done", ["actionTaken", "avser.properties", "avser.serialNumber"]),
    }
    # The rule itself, for a client that shows the form before an order is chosen.
    configuration = (await service.graphql(REQUIREMENTS, principal=TESTFIRMA))["orderConfiguration"]
    fel = next(t for t in configuration["orderTypes"] if t["code"] == "fel")
    rule = next(t for t in fel["transitions"] if t["target"] == "done")
    assert (rule["requiredFields"], rule["requiredWhen"]) == (
        ["actionTaken"],
        [{"when": "avser.appliance", "fields": ["avser.properties", "avser.serialNumber"]}],
    )
    # Familjebostäder records no fault type or root cause, so none is accepted.
    assert configuration["closeOutFields"] == []
    current = await read(service, sink["id"], TESTFIRMA)
    with_fault_type = await call(
        service,
        TRANSITION,
        TESTFIRMA,
        id=sink["id"],
        version=current["version"],
        status="done",
        changes={"actionTaken": "Bytt packning", "faultType": "Läckage"},
    )
    assert errors(with_fault_type) == [("faultType", "UNKNOWN_CODE")]
    done = await ok(
        service,
        TRANSITION,
        TESTFIRMA,
        id=sink["id"],
        version=current["version"],
        status="done",
        changes={"actionTaken": "Bytt packning"},
    )
    assert (done["status"], done["faultType"]) == ("done", "")
