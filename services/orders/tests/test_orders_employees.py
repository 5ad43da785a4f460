"""Orders' read model of people's employees, through NATS and GraphQL: an employee event makes
the employee bookable on their customer's orders; a replayed or late event changes nothing; a
deactivated, moved, made-up or other customer's employee is refused with UNKNOWN_EMPLOYEE."""

from __future__ import annotations

from datetime import UTC, datetime

from portal_kit.clock import utc_now
from portal_kit.testing.plugin import make_principal
from portal_orders.entrypoints.consumers import EMPLOYEES_DURABLE
from portal_orders.testing import (
    BOOK,
    CREATE,
    SLOT,
    UNBOOK,
    call,
    errors,
    ok,
    publish_people_event,
    read,
)

from .test_orders_scenario_avonova import wait_for_handled

STAFF = make_principal("avonova", user="kundeansvarlig", staff=True, locale="nb")
TESTWEB = make_principal("avonova", user="testweb", memberships={"demokunde": ("admin",)})


async def test_employee_events_decide_who_the_customer_may_book(service, nats_client, namespace):
    async def employee_event(name, employee_id, organisation_id, **extra):
        data = {"employee_id": employee_id, "organisation_id": organisation_id}
        if name == "created":
            data["national_id_registered"] = False
        return await publish_people_event(
            nats_client,
            namespace.event_prefix,
            "avonova",
            f"employee.{name}",
            {**data, **extra.pop("data", {})},
            **extra,
        )

    donald_created = await employee_event("created", "donald", "demokunde")
    await employee_event("created", "mikke", "annen-kunde")
    await wait_for_handled(service, 2, EMPLOYEES_DURABLE)

    order = await ok(
        service,
        CREATE,
        STAFF,
        orderType="health_check",
        description="Helsekontroll",
        customerOrganisationId="demokunde",
    )
    order = await ok(
        service,
        SLOT,
        STAFF,
        id=order["id"],
        version=order["version"],
        startsAt="2025-07-10T09:00:00+02:00",
        endsAt="2025-07-10T10:00:00+02:00",
        place="Oslo",
        capacity=5,
    )
    slot = order["bookings"][0]["id"]

    async def book(employee, *, version, mutation=BOOK):
        return await call(
            service,
            mutation,
            TESTWEB,
            id=order["id"],
            version=version,
            bookingId=slot,
            employeeId=employee,
        )

    # A made-up id and another customer's employee answer alike, and change nothing.
    for employee in ("no-such-employee", "mikke"):
        refused = await book(employee, version=order["version"])
        assert errors(refused) == [("employeeId", "UNKNOWN_EMPLOYEE")], employee
        assert "a moment ago" in refused["userErrors"][0]["message"]
    assert (await read(service, order["id"], TESTWEB))["version"] == order["version"]
    booked = (await book("donald", version=order["version"]))["order"]
    assert booked["bookings"][0]["employees"] == [{"id": "donald"}]

    # A replay of 'created' (the same event id again) is acknowledged unseen; then Donald
    # leaves: taken off the slot he may be, booked again he may not.
    await publish_people_event(
        nats_client,
        namespace.event_prefix,
        "avonova",
        "employee.created",
        {"employee_id": "donald", "organisation_id": "demokunde", "national_id_registered": False},
        event_id=donald_created,
        deduplicated=False,
    )
    await employee_event("deactivated", "donald", "demokunde")
    await wait_for_handled(service, 3, EMPLOYEES_DURABLE)
    consumer = next(c for c in service.runtime.consumers if c.durable == EMPLOYEES_DURABLE)
    assert consumer.handled == 3  # the replay was not handled a second time
    unbooked = (await book("donald", version=booked["version"], mutation=UNBOOK))["order"]
    assert unbooked["bookings"][0]["booked"] == 0
    assert errors(await book("donald", version=unbooked["version"])) == [
        ("employeeId", "UNKNOWN_EMPLOYEE")
    ]

    # A late event (older than the deactivation, e.g. redelivered after a failure) does not
    # bring him back; a reactivation does; a move to another customer takes him away again.
    await employee_event("created", "donald", "demokunde", time=datetime(2025, 1, 1, tzinfo=UTC))
    await wait_for_handled(service, 4, EMPLOYEES_DURABLE)
    assert errors(await book("donald", version=unbooked["version"])) == [
        ("employeeId", "UNKNOWN_EMPLOYEE")
    ]
    await employee_event("reactivated", "donald", "demokunde", time=utc_now())
    await wait_for_handled(service, 5, EMPLOYEES_DURABLE)
    rebooked = (await book("donald", version=unbooked["version"]))["order"]
    assert rebooked["bookings"][0]["employees"] == [{"id": "donald"}]
    again = (await book("donald", version=rebooked["version"], mutation=UNBOOK))["order"]
    await employee_event(
        "updated", "donald", "annen-kunde", data={"changed": ["organisation"], "active": True}
    )
    await wait_for_handled(service, 6, EMPLOYEES_DURABLE)
    assert errors(await book("donald", version=again["version"])) == [
        ("employeeId", "UNKNOWN_EMPLOYEE")
    ]
