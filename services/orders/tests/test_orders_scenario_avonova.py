"""Avonova's customer portal through GraphQL: a customer creates an order for a department with
the new-order form, the account manager's organisation (Avonova's staff) sees it and is told by
an event; the parent company sees its departments' orders (organisations learnt from the people
service's events); employees are booked on slots until the cut-off."""

from __future__ import annotations

import orjson
from portal_kit.testing.plugin import make_principal
from portal_orders.demo_data import AVONOVA_307390
from portal_orders.entrypoints.consumers import EMPLOYEES_DURABLE
from portal_orders.testing import (
    BOOK,
    CREATE,
    EDIT,
    SLOT,
    TRANSITION,
    UNBOOK,
    call,
    errors,
    listed,
    ok,
    publish_people_event,
    read,
    stream_events,
    wait_for_handled,
)

ACCOUNT_MANAGER = make_principal("avonova", user="kundeansvarlig", staff=True, locale="nb")
TESTWEB = make_principal("avonova", user="testweb", memberships={"demokunde": ("admin",)})
BERGEN_USER = make_principal("avonova", user="bergen-1", memberships={"bergen": ("user",)})
OUTSIDER = make_principal("avonova", user="x", memberships={"annen-kunde": ("user",)})


async def publish_organisation(nats_client, namespace, organisation_id, parent_id=None):
    await publish_people_event(
        nats_client,
        namespace.event_prefix,
        "avonova",
        "organisation.created",
        {
            "organisation_id": organisation_id,
            "kind": "customer",
            "display_name": organisation_id,
            "parent_id": parent_id,
        },
        event_id=f"evt-{organisation_id}",
    )


async def publish_employee(nats_client, namespace, employee_id, organisation_id):
    await publish_people_event(
        nats_client,
        namespace.event_prefix,
        "avonova",
        "employee.created",
        {
            "employee_id": employee_id,
            "organisation_id": organisation_id,
            "national_id_registered": False,
        },
    )


async def test_a_customer_orders_and_the_account_managers_organisation_sees_it(
    service, nats_client, namespace, clock
):
    await publish_organisation(nats_client, namespace, "demokunde")
    await publish_organisation(nats_client, namespace, "testbedriften", parent_id="demokunde")
    await publish_organisation(nats_client, namespace, "bergen", parent_id="demokunde")
    await publish_employee(nats_client, namespace, "employee-donald", "bergen")
    await publish_employee(nats_client, namespace, "employee-dolly", "bergen")
    await wait_for_handled(service, 3)
    await wait_for_handled(service, 2, EMPLOYEES_DURABLE)

    form = {
        "customerOrganisationId": "bergen",
        "description": "så raskt som mulig",
        # The manual's form, as the demo loads it.
        "customerRequest": AVONOVA_307390.order["customerRequest"],
    }
    order = await ok(service, CREATE, TESTWEB, **form)
    assert (order["number"], order["orderType"], order["status"]) == (
        "307390",
        "general",
        "received",
    )
    assert order["myRole"] == "CUSTOMER"
    assert order["customerRequest"]["invoiceMarking"] == "Merkes med 123"

    # The account manager's organisation (Avonova's staff) sees it, and is told by an event
    # that carries no personal data.
    assert await listed(service, ACCOUNT_MANAGER) == ["307390"]
    assert (await read(service, order["id"], ACCOUNT_MANAGER))["myRole"] == "STAFF"
    [created] = await stream_events(nats_client, namespace, "avonova", 1)
    assert created["type"] == "portal.orders.order.created"
    assert created["data"]["created_by"] == "testweb"
    assert "Ola" not in orjson.dumps(created).decode()

    # Parent company sees its departments' orders; the department itself too; nobody else.
    assert await listed(service, BERGEN_USER) == ["307390"]
    assert await listed(service, OUTSIDER) == []
    assert await read(service, order["id"], OUTSIDER) is None
    for_other = await call(
        service, CREATE, BERGEN_USER, **{**form, "customerOrganisationId": "demokunde"}
    )
    assert errors(for_other) == [("customerOrganisationId", "NOT_FOUND")]

    # The customer may change the order while it is only received, and cancel it.
    edited = await ok(
        service,
        EDIT,
        TESTWEB,
        id=order["id"],
        version=order["version"],
        changes={"customerRequest": {**form["customerRequest"], "quantity": "5"}},
    )
    assert edited["customerRequest"]["quantity"] == "5"
    order = edited

    # Bookings: slots the operator sets up, employees put on and taken off until the cut-off.
    order = await ok(
        service,
        SLOT,
        ACCOUNT_MANAGER,
        id=order["id"],
        version=order["version"],
        startsAt="2025-07-01T08:00:00+02:00",
        endsAt="2025-07-01T08:30:00+02:00",
        place="Oslo, Avonova",
        capacity=1,
    )
    slot = order["bookings"][0]
    assert slot["cutOff"] == "2025-06-29T06:00:00+00:00"  # 48 hours before, by configuration
    order = await ok(
        service,
        BOOK,
        TESTWEB,
        id=order["id"],
        version=order["version"],
        bookingId=slot["id"],
        employeeId="employee-donald",
    )
    assert order["bookings"][0]["employees"] == [{"id": "employee-donald"}]
    full = await call(
        service,
        BOOK,
        TESTWEB,
        id=order["id"],
        version=order["version"],
        bookingId=slot["id"],
        employeeId="employee-dolly",
    )
    assert errors(full) == [("bookingId", "FULL")]
    clock.advance(days=3)
    late = await call(
        service,
        UNBOOK,
        TESTWEB,
        id=order["id"],
        version=order["version"],
        bookingId=slot["id"],
        employeeId="employee-donald",
    )
    assert errors(late) == [("bookingId", "CUT_OFF_PASSED")]
    assert (await read(service, order["id"], TESTWEB))["bookings"][0]["booked"] == 1


async def test_a_customer_cancels_only_while_received_and_edits_only_before_handling(service):
    order = await ok(
        service,
        CREATE,
        TESTWEB,
        customerOrganisationId="demokunde",
        description="Kurs",
        orderType="course",
    )
    handled = await ok(
        service,
        TRANSITION,
        ACCOUNT_MANAGER,
        id=order["id"],
        version=order["version"],
        status="in_progress",
    )
    late_edit = await call(
        service,
        EDIT,
        TESTWEB,
        id=order["id"],
        version=handled["version"],
        changes={"description": "Annet kurs"},
    )
    assert errors(late_edit) == [(None, "FORBIDDEN")]
    late_cancel = await call(
        service,
        TRANSITION,
        TESTWEB,
        id=order["id"],
        version=handled["version"],
        status="cancelled",
    )
    assert errors(late_cancel) == [("status", "FORBIDDEN")]  # staff cancel handled orders
    early = await ok(
        service, CREATE, TESTWEB, customerOrganisationId="demokunde", description="Kurs 2"
    )
    cancelled = await ok(
        service, TRANSITION, TESTWEB, id=early["id"], version=early["version"], status="cancelled"
    )
    assert cancelled["statusCategory"] == "cancelled"
    # The customer follows the progress in the log.
    assert [(e["kind"], e["statusTo"]) for e in cancelled["activity"]] == [
        ("created", "received"),
        ("status_changed", "cancelled"),
    ]
