"""The orders use cases against in-memory fakes of their ports: no MongoDB, no NATS, no HTTP.
What a user would notice: the number a new order takes, who sees it, what a status change asks
for, and the events partners will get."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from portal_kit.domain import DomainError, StaleVersion, ValidationFailed
from portal_kit.sensitive import SENSITIVE_DATA
from portal_kit.testing.plugin import make_principal
from portal_kit.versioned import BEFORE_ANY_EVENT
from portal_orders.domain.bookings import UnknownEmployee
from portal_orders.domain.order import OrderDraft
from portal_orders.domain.record import CustomerRequest, Person, Phone, Resident
from portal_orders.domain.workflow import Actor
from portal_orders.service_layer.attachments import Upload
from portal_orders.service_layer.employees import EmployeeRegister
from portal_orders.service_layer.ports import OrderFilter, Sort
from portal_orders.service_layer.sla import SlaWatch

from .fakes import FakeTenant

# `jm` (conftest.py): JM's ports in memory, on the test clock's Oslo 10:54:51, 26 June 2025.
JM_STAFF = make_principal("jm", user="pm-testare", staff=True, locale="nb")
EMMA = make_principal("jm", user="mejlkontakt", memberships={"emma": ("user",)})
OTHER = make_principal("jm", user="ror-1", memberships={"ror": ("user",)})
DRAFT = OrderDraft(
    order_type="billable",
    priority="",
    description="Blandebatteri lekker",
    customer_organisation_id="jm-housing",
    order_date=date(2024, 9, 5),
    resident=Resident(name="Kari Nordmann", phones=(Phone("mobile", "91234567", True),)),
)


async def test_a_new_order_takes_the_next_number_and_its_sla_dates(jm):
    first = await jm.desk(JM_STAFF).create_order(DRAFT)
    second = await jm.desk(JM_STAFF).create_order(DRAFT)
    assert [first.order.number, second.order.number] == ["250626-105451-01", "250626-105451-02"]
    # Ordered 05.09.2024: contact by 10.09, delivery by 04.10 (business days, Norway).
    assert (first.order.expected_contact_date, first.order.expected_delivery_date) == (
        date(2024, 9, 10),
        date(2024, 10, 4),
    )
    assert [e.name for e in jm.orders.committed] == ["created", "created"]


async def test_a_new_operator_contact_is_announced_by_its_user_id_only(jm):
    created = await jm.desk(JM_STAFF).create_order(DRAFT)
    edited = await jm.desk(JM_STAFF).edit_order(
        created.order.id,
        created.order.version,
        {"operator_contact": Person(user_id="pm-2", name="Ny Kontakt", phone="+4712345678")},
    )
    event = jm.orders.committed[-1].model_dump()
    assert (event["fields"], event["operator_contact_user_id"]) == (["operator_contact"], "pm-2")
    assert "Ny Kontakt" not in str(event) and "12345678" not in str(event)
    await jm.desk(JM_STAFF).edit_order(
        created.order.id, edited.order.version, {"description": "Ny beskrivelse"}
    )
    assert jm.orders.committed[-1].model_dump()["operator_contact_user_id"] is None


async def test_the_assigned_contractor_moves_the_order_and_utfort_needs_its_fields(jm):
    created = await jm.desk(JM_STAFF).create_order(DRAFT)
    order_id = created.order.id
    assert await jm.desk(EMMA).seen(order_id) is None  # not theirs until assigned

    await jm.desk(JM_STAFF).assign_order(
        order_id, created.order.version, "emma", Person(name="Mejlkontakt Emmas")
    )
    seen = await jm.desk(EMMA).seen(order_id)
    assert seen is not None and seen.actor is Actor.CONTRACTOR
    assert seen.sees_resident  # the phone, while assigned and open
    assert await jm.desk(OTHER).seen(order_id) is None

    contractor = jm.desk(EMMA)
    received = await contractor.transition_order(order_id, seen.order.version, "order_received")
    assert received.order.status == "order_received"
    with pytest.raises(StaleVersion):
        await contractor.transition_order(order_id, seen.order.version, "declined")

    # JM's rule (configuration/jm.json): 'Utført' needs fault type, root cause and action.
    version = received.order.version
    with pytest.raises(ValidationFailed) as refused:
        await contractor.transition_order(order_id, version, "done")
    assert sorted(p.field for p in refused.value.problems) == [
        "actionTaken",
        "faultType",
        "rootCause",
    ]
    done = await contractor.transition_order(
        order_id,
        version,
        "done",
        changes={
            "fault_type": "product_fault",  # Feil produkt
            "root_cause": "product_defect",  # Feil på produktet
            "action_taken": "Byttet blandebatteri",
        },
    )
    assert done.order.status == "done"
    assert not done.sees_resident  # finished: the contractor no longer sees the phone
    assert [e.name for e in jm.orders.committed][-2:] == ["status_changed", "completed"]

    queries = await contractor.queries()
    assert queries is not None
    listed = await queries.page(OrderFilter(view="COMPLETED"), Sort(), size=10, after=None)
    assert [s.order.number for s in listed.items] == [created.order.number]


async def test_the_sla_watch_records_each_passed_date_once(jm):
    created = await jm.desk(JM_STAFF).create_order(DRAFT)  # contact 10.09, delivery 04.10.2024
    watch = SlaWatch({"jm": jm.configuration}, lambda tenant: jm.orders, clock=jm.clock)
    assert await watch.check() == 2  # on 26.06.2025 both are past, the order still 'new'
    assert await watch.check() == 0
    breached = await jm.desk(JM_STAFF).seen(created.order.id)
    assert breached is not None and breached.order.sla_breaches == ("contact", "delivery")
    assert [e.name for e in jm.orders.committed] == ["created", "sla_breached", "sla_breached"]


# -- no national ID in an order's texts ------------------------------------------------------

FNR = "15108695088"  # a valid Norwegian fødselsnummer (python-stdnum)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WITH_FNR = f"Gjelder Ola Nordmann, fnr {FNR[:6]} {FNR[6:]}"
Act = Callable[[Any, str, int], Awaitable[object]]
# Each way a text gets onto an existing order, with the field the refusal names.
TEXTS_OF_AN_ORDER: list[tuple[str, Act]] = [
    ("description", lambda d, i, v: d.edit_order(i, v, {"description": WITH_FNR})),
    ("actionTaken", lambda d, i, v: d.edit_order(i, v, {"action_taken": WITH_FNR})),
    ("comment", lambda d, i, v: d.transition_order(i, v, "declined", comment=WITH_FNR)),
    (
        "rootCause",
        lambda d, i, v: d.transition_order(i, v, "done", changes={"root_cause": WITH_FNR}),
    ),
    ("text", lambda d, i, v: d.add_note(i, v, "customer_not_answering", None, WITH_FNR)),
    ("text", lambda d, i, v: d.ask_question(i, v, WITH_FNR)),
    ("text", lambda d, i, v: d.answer_question(i, v, "q-1", WITH_FNR)),
    ("text", lambda d, i, v: d.add_comment(i, v, WITH_FNR, None, [])),
    (
        "attachments.0.filename",
        lambda d, i, v: d.add_comment(i, v, "", None, [Upload(f"scan {FNR}.png", PNG)]),
    ),
    ("assigneeContact.name", lambda d, i, v: d.assign_order(i, v, "emma", Person(name=WITH_FNR))),
    (
        "place",
        lambda d, i, v: d.add_booking_slot(
            i,
            v,
            starts_at=datetime(2025, 7, 1, 9, tzinfo=UTC),
            ends_at=datetime(2025, 7, 1, 10, tzinfo=UTC),
            place=WITH_FNR,
            capacity=1,
            cut_off=None,
        ),
    ),
]


def refusals(error: DomainError) -> list[tuple[str | None, str]]:
    problems = error.problems if isinstance(error, ValidationFailed) else [error]
    return [(p.field, p.code) for p in problems]


@pytest.mark.parametrize(
    ("field", "draft"),
    [
        ("description", dataclasses.replace(DRAFT, description=WITH_FNR)),
        ("resident.comment", dataclasses.replace(DRAFT, resident=Resident(comment=WITH_FNR))),
        ("resident.keyInfo", dataclasses.replace(DRAFT, resident=Resident(key_info=FNR))),
        (
            "customerRequest.contactPerson",
            dataclasses.replace(DRAFT, customer_request=CustomerRequest(contact_person=WITH_FNR)),
        ),
    ],
)
async def test_a_new_order_with_a_national_id_in_a_text_is_refused_and_takes_no_number(
    jm, field, draft
):
    with pytest.raises(DomainError) as refused:
        await jm.desk(JM_STAFF).create_order(draft)
    assert refusals(refused.value) == [(field, SENSITIVE_DATA)]
    assert FNR[:6] not in str(refused.value)
    assert jm.orders.stored == {} and jm.orders.committed == []
    assert jm.counters.values == {}


@pytest.mark.parametrize(("field", "act"), TEXTS_OF_AN_ORDER)
async def test_a_national_id_in_any_text_of_an_order_is_refused_and_changes_nothing(jm, field, act):
    created = await jm.desk(JM_STAFF).create_order(DRAFT)
    before = (created.order.version, list(jm.orders.committed), dict(jm.counters.values))
    with pytest.raises(DomainError) as refused:
        await act(jm.desk(JM_STAFF), created.order.id, created.order.version)
    assert refusals(refused.value) == [(field, SENSITIVE_DATA)]
    assert FNR[:6] not in str(refused.value)
    stored = await jm.desk(JM_STAFF).seen(created.order.id)
    assert stored is not None and stored.order == created.order
    assert (stored.order.version, jm.orders.committed, jm.counters.values) == before
    assert jm.files.stored == {}


async def test_order_numbers_and_phone_numbers_in_an_orders_texts_pass(jm):
    text = "Se bestilling 250626-105451-01, ring 912 34 567 eller +47 91234567, 05.09.2024"
    created = await jm.desk(JM_STAFF).create_order(dataclasses.replace(DRAFT, description=text))
    assert created.order.description == text


# -- the active customer ('Vælg kunde'): one of several customers at a time -----------------

AVONOVA_STAFF = make_principal("avonova", user="kundeansvarlig", staff=True)
BOTH_CUSTOMERS = {"demokunde": ("admin",), "nordlys": ("admin",), "partner": ("user",)}


def avonova_user(active: str | None = None) -> Any:
    """A member of two customers (Demokunde_Test with its department Bergen, and Nordlys) and
    of a contractor organisation, with `active` chosen."""
    return make_principal(
        "avonova", user="hr-felles", memberships=BOTH_CUSTOMERS, active_organisation=active
    )


def avonova_draft(customer: str) -> OrderDraft:
    return OrderDraft(
        order_type="",
        priority="",
        description=f"Støttesamtaler for {customer}",
        customer_organisation_id=customer,
        order_date=date(2025, 6, 26),
    )


async def listed_customers(tenant: Any, principal: Any) -> list[str]:
    queries = await tenant.desk(principal).queries()
    page = await queries.page(OrderFilter(), Sort(), size=50, after=None)
    return [s.order.customer_organisation_id for s in page.items]


async def test_a_user_of_two_customers_sees_and_orders_for_the_active_one_alone(clock):
    avonova = FakeTenant("avonova", clock)
    await avonova.organisations.upsert(
        "bergen", {}, version=BEFORE_ANY_EVENT, facts={"parent_id": "demokunde"}
    )
    staff = avonova.desk(AVONOVA_STAFF)
    created = {
        c: await staff.create_order(avonova_draft(c)) for c in ("demokunde", "bergen", "nordlys")
    }
    # Another customer's order, given to the contractor the user also works for.
    elsewhere = await staff.create_order(avonova_draft("annen-kunde"))
    await staff.assign_order(elsewhere.order.id, elsewhere.order.version, "partner", None)

    everything = ["demokunde", "bergen", "nordlys", "annen-kunde"]
    assert await listed_customers(avonova, avonova_user()) == everything
    demokunde = avonova_user("demokunde")
    assert await listed_customers(avonova, demokunde) == ["demokunde", "bergen", "annen-kunde"]
    assert await listed_customers(avonova, avonova_user("nordlys")) == ["nordlys", "annen-kunde"]
    assert await avonova.desk(demokunde).seen(created["nordlys"].order.id) is None
    dashboard = await (await avonova.desk(demokunde).queries()).dashboard()
    assert dashboard.total == 3

    # The form starts at the active customer; its department may be chosen, the other not.
    desk = avonova.desk(demokunde)
    defaulted = await desk.create_order(avonova_draft(""))
    assert defaulted.order.customer_organisation_id == "demokunde"
    assert defaulted.actor is Actor.CUSTOMER
    department = await desk.create_order(avonova_draft("bergen"))
    assert department.order.customer_organisation_id == "bergen"
    before = dict(avonova.counters.values)
    with pytest.raises(ValidationFailed) as refused:
        await desk.create_order(avonova_draft("nordlys"))
    assert refusals(refused.value) == [("customerOrganisationId", "NOT_FOUND")]
    assert avonova.counters.values == before
    # Without a choice nothing is guessed: the form must name the customer.
    with pytest.raises(ValidationFailed) as unnamed:
        await avonova.desk(avonova_user()).create_order(avonova_draft(""))
    assert refusals(unnamed.value) == [("customerOrganisationId", "REQUIRED")]


# -- bookings take only the customer's employees ----------------------------------------------

TESTWEB = make_principal("avonova", user="testweb", memberships={"demokunde": ("admin",)})


async def test_a_booking_takes_only_an_active_employee_of_the_orders_customer(clock):
    avonova = FakeTenant("avonova", clock)
    await avonova.organisations.upsert(
        "bergen",
        {},
        version=BEFORE_ANY_EVENT,
        facts={"kind": "customer", "parent_id": "demokunde"},
    )
    register = EmployeeRegister(avonova.employees)
    at = "1:000000000001.0000"
    await register.changed("donald", organisation_id="bergen", active=True, version=at)
    await register.changed("mikke", organisation_id="annen-kunde", active=True, version=at)
    await register.changed("dolly", organisation_id="demokunde", active=False, version=at)
    created = await avonova.desk(AVONOVA_STAFF).create_order(
        OrderDraft(
            order_type="health_check",
            priority="",
            description="Helsekontroll",
            customer_organisation_id="demokunde",
            order_date=date(2025, 6, 26),
        )
    )
    slotted, slot = await avonova.desk(AVONOVA_STAFF).add_booking_slot(
        created.order.id,
        created.order.version,
        starts_at=datetime(2025, 7, 10, 7, tzinfo=UTC),
        ends_at=datetime(2025, 7, 10, 8, tzinfo=UTC),
        place="Oslo",
        capacity=5,
        cut_off=None,
    )
    before = (slotted.order.version, list(avonova.orders.committed))

    # Made up, another customer's, deactivated, not even an id: all answer alike.
    for employee in ("no-such-employee", "mikke", "dolly", "not an id!"):
        with pytest.raises(UnknownEmployee) as refused:
            await avonova.desk(TESTWEB).book_employee(
                created.order.id, slotted.order.version, slot.id, employee, book=True
            )
        assert refusals(refused.value) == [("employeeId", "UNKNOWN_EMPLOYEE")]
        assert "a moment ago" in refused.value.message  # says an added one may be on its way
    stored = await avonova.desk(TESTWEB).seen(created.order.id)
    assert stored is not None and stored.order.bookings[0].employees == []
    assert (stored.order.version, avonova.orders.committed) == before

    booked = await avonova.desk(TESTWEB).book_employee(
        created.order.id, slotted.order.version, slot.id, " donald ", book=True
    )
    assert booked.order.bookings[0].employees == ["donald"]
    assert avonova.orders.committed[-1].name == "booking_changed"
    # The employee's mail names the slot's time and place: the event carries them (no person).
    announced = avonova.orders.committed[-1].model_dump()
    assert (announced["starts_at"], announced["ends_at"], announced["place"]) == (
        datetime(2025, 7, 10, 7, tzinfo=UTC),
        datetime(2025, 7, 10, 8, tzinfo=UTC),
        "Oslo",
    )
    assert (announced["employee_id"], announced["employee_on_slot"]) == ("donald", True)

    # Deactivated later (a late, older event changes nothing): no new booking, but the one
    # already made can still be taken off.
    later = "1:000000000002.0000"
    await register.changed("donald", organisation_id="bergen", active=False, version=later)
    assert not await register.changed("donald", organisation_id="bergen", active=True, version=at)
    assert await avonova.employees.employer("donald") is None
    unbooked = await avonova.desk(TESTWEB).book_employee(
        created.order.id, booked.order.version, slot.id, "donald", book=False
    )
    assert unbooked.order.bookings[0].employees == []
    assert avonova.orders.committed[-1].model_dump()["employee_on_slot"] is False
    with pytest.raises(UnknownEmployee):
        await avonova.desk(TESTWEB).book_employee(
            created.order.id, unbooked.order.version, slot.id, "donald", book=True
        )
