"""JM's manual, walked through GraphQL: a new order arrives at the contractor, is received, an
appointment is agreed, JM is asked for feedback, and 'Utført' is refused until fault type, root
cause and action are set — the first two picked from JM's codes, which the contractor sees with
their labels before pressing 'Utført'; then it leaves 'active' for 'completed last 6 months'."""

from __future__ import annotations

from portal_kit.testing.plugin import make_principal
from portal_orders.testing import (
    ASSIGN,
    COMMENT,
    CREATE,
    EDIT,
    TRANSITION,
    call,
    errors,
    listed,
    ok,
    read,
)

JM_STAFF = make_principal("jm", user="pm-testare", staff=True, locale="nb")
EMMA = make_principal("jm", user="mejlkontakt", memberships={"emma": ("user",)}, locale="nb")
OTHER_UE = make_principal("jm", user="ror-1", memberships={"ror": ("user",)})
CLOSE_OUT_CODES = (
    "{ orderConfiguration { closeOutFields { field freeText codes { code label } } } }"
)
CLOSE_OUT_LABELS = """query($id: ID!) { order(id: $id) {
  faultType faultTypeLabel rootCause rootCauseLabel } }"""


async def test_the_jm_manual_from_new_order_to_completed(service, clock):
    order = await ok(
        service,
        CREATE,
        JM_STAFF,
        orderType="billable",
        description="TEST",
        customerOrganisationId="jm-housing",
        orderDate="2024-09-05",
        operatorContact={
            "userId": "user-pm",
            "name": "PM Testare NO",
            "email": "pm.testareno@jm.example",
        },
        resident={
            "name": "Kari Nordmann",
            "phones": [{"kind": "MOBILE", "number": "91234567", "preferred": True}],
            "keyInfo": "Nøkkel hos vaktmester",
        },
        object={"number": "A-101", "address": {"street": "Storgata 1", "city": "Oslo"}},
    )
    # JM's number: order date-time (Oslo) and the sequence within that second.
    assert order["number"] == "250626-105451-01"
    assert (order["status"], order["statusLabel"], order["orderTypeLabel"]) == (
        "new",
        "Ny",
        "Fakturerbart oppdrag",
    )
    # The manual's example: ordered 05.09.2024, contact by 10.09, delivery by 04.10.
    assert (order["expectedContactDate"], order["expectedDeliveryDate"]) == (
        "2024-09-10",
        "2024-10-04",
    )
    assert order["operatorContact"]["user"] == {"id": "user-pm"}
    assert await read(service, order["id"], EMMA) is None  # not theirs until assigned

    order = await ok(
        service,
        ASSIGN,
        JM_STAFF,
        id=order["id"],
        version=order["version"],
        assigneeOrganisationId="emma",
        assigneeContact={"name": "Mejlkontakt Emmas"},
    )
    seen = await read(service, order["id"], EMMA)
    assert seen["myRole"] == "CONTRACTOR"
    assert seen["resident"]["preferredPhone"] == {"number": "91234567"}
    assert seen["assigneeContact"] == {"name": "Mejlkontakt Emmas"}
    # From 'Ny' the first step is 'Bestilling mottatt' or 'Avslår'.
    assert sorted(t["status"] for t in seen["availableTransitions"]) == [
        "declined",
        "order_received",
    ]
    assert await listed(service, EMMA, filter={"view": "ACTIVE"}) == [order["number"]]
    assert await read(service, order["id"], OTHER_UE) is None

    skipped = await call(
        service, TRANSITION, EMMA, id=order["id"], version=seen["version"], status="done"
    )
    assert errors(skipped) == [("status", "TRANSITION_NOT_ALLOWED")]
    declined = await call(
        service, TRANSITION, EMMA, id=order["id"], version=seen["version"], status="declined"
    )
    assert errors(declined) == [("actionTaken", "REQUIRED")]

    order = await ok(
        service, TRANSITION, EMMA, id=order["id"], version=seen["version"], status="order_received"
    )
    assert order["statusLabel"] == "Bestilling mottatt"

    no_time = await call(
        service,
        TRANSITION,
        EMMA,
        id=order["id"],
        version=order["version"],
        status="appointment_agreed",
    )
    assert errors(no_time) == [("agreedAppointment", "REQUIRED")]
    order = await ok(
        service,
        TRANSITION,
        EMMA,
        id=order["id"],
        version=order["version"],
        status="appointment_agreed",
        changes={"agreedAppointment": "2024-09-09T08:00:00+02:00"},
    )
    assert order["agreedAppointment"] == "2024-09-09T06:00:00+00:00"

    silent = await call(
        service,
        TRANSITION,
        EMMA,
        id=order["id"],
        version=order["version"],
        status="awaiting_operator",
    )
    assert errors(silent) == [("comment", "REQUIRED")]
    order = await ok(
        service,
        TRANSITION,
        EMMA,
        id=order["id"],
        version=order["version"],
        status="awaiting_operator",
        comment="Skal vi bytte hele blandebatteriet?",
    )
    assert order["statusLabel"] == "Avventer tilbakemelding fra JM"
    order = await ok(
        service,
        COMMENT,
        JM_STAFF,
        id=order["id"],
        version=order["version"],
        text="Ja, bytt det.",
    )

    # 17. Before pressing 'Utført' the contractor sees what it needs, and the pickers' codes.
    seen = await read(service, order["id"], EMMA)
    done_option = next(t for t in seen["availableTransitions"] if t["status"] == "done")
    assert done_option["requiredFields"] == ["faultType", "rootCause", "actionTaken"]
    pickers = (await service.graphql(CLOSE_OUT_CODES, principal=EMMA))["orderConfiguration"]
    fault_types, root_causes = pickers["closeOutFields"]
    assert (fault_types["field"], fault_types["freeText"]) == ("faultType", False)
    assert {"code": "product_fault", "label": "Feil produkt"} in fault_types["codes"]
    assert root_causes["field"] == "rootCause"
    assert {"code": "product_defect", "label": "Feil på produktet"} in root_causes["codes"]

    refused = await call(
        service, TRANSITION, EMMA, id=order["id"], version=order["version"], status="done"
    )
    assert errors(refused) == [
        ("actionTaken", "REQUIRED"),
        ("faultType", "REQUIRED"),
        ("rootCause", "REQUIRED"),
    ]
    partly = await call(
        service,
        TRANSITION,
        EMMA,
        id=order["id"],
        version=order["version"],
        status="done",
        changes={"faultType": "product_fault"},
    )
    assert errors(partly) == [("actionTaken", "REQUIRED"), ("rootCause", "REQUIRED")]
    # Feiltype and Rotårsak are pickers: the label typed as text is not one of JM's codes.
    typed = await call(
        service,
        TRANSITION,
        EMMA,
        id=order["id"],
        version=order["version"],
        status="done",
        changes={
            "faultType": "Feil produkt",
            "rootCause": "product_defect",
            "actionTaken": "Byttet blandebatteri",
        },
    )
    assert errors(typed) == [("faultType", "UNKNOWN_CODE")]
    unchanged = await read(service, order["id"], EMMA)
    assert (unchanged["version"], unchanged["status"], unchanged["faultType"]) == (
        order["version"],
        "awaiting_operator",
        "",
    )  # nothing was written

    clock.advance(days=1)
    done = await ok(
        service,
        TRANSITION,
        EMMA,
        id=order["id"],
        version=order["version"],
        status="done",
        changes={
            "faultType": "product_fault",
            "rootCause": "product_defect",
            "actionTaken": "Byttet blandebatteri",
        },
    )
    assert (done["status"], done["statusCategory"], done["statusLabel"]) == (
        "done",
        "done",
        "Utført",
    )
    labels = await service.graphql(CLOSE_OUT_LABELS, {"id": done["id"]}, principal=EMMA)
    assert labels["order"] == {
        "faultType": "product_fault",
        "faultTypeLabel": "Feil produkt",
        "rootCause": "product_defect",
        "rootCauseLabel": "Feil på produktet",
    }
    assert done["availableTransitions"] == []

    # What was reported on completion is final, for JM too.
    final = await call(
        service,
        EDIT,
        JM_STAFF,
        id=order["id"],
        version=done["version"],
        changes={"faultType": ""},
    )
    assert errors(final) == [("faultType", "CLOSED")]

    assert await listed(service, EMMA, filter={"view": "ACTIVE"}) == []
    assert await listed(service, EMMA, filter={"view": "COMPLETED"}) == [order["number"]]
    # The dialog is documented with dates and cannot be overwritten: it only grew.
    kinds = [e["kind"] for e in done["activity"]]
    assert kinds == [
        "created",
        "assigned",
        "status_changed",
        "status_changed",
        "status_changed",
        "comment",
        "status_changed",
    ]
    assert done["activity"][4]["text"] == "Skal vi bytte hele blandebatteriet?"

    # Completed orders stay in the contractor's sight for six months, then leave it.
    clock.advance(days=182)
    assert await listed(service, EMMA, filter={"view": "COMPLETED"}) == [order["number"]]
    clock.advance(days=3)
    assert await listed(service, EMMA, filter={"view": "COMPLETED"}) == []
    assert await read(service, order["id"], EMMA) is None
    assert (await read(service, order["id"], JM_STAFF))["status"] == "done"
