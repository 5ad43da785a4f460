"""People's read model of orders and tickets (whom to tell of their events) ends at the newest
state whatever order orders' and tickets' events are handled in: each fact keeps its own
version, and each follower of a ticket their own (last writer wins per follower)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_kit.domain import new_id
from portal_kit.testing.events import envelope
from portal_people.adapters.mail_renderer import JinjaMailRenderer
from portal_people.adapters.notification_repositories import OrderFactsRepository
from portal_people.domain.notifications import NotificationSettings
from portal_people.service_layer.notifications import Notifier

from .notification_fakes import Clock, Directory, Outbox, PreferenceBook, Settings, tenant


def notifier(database: Any) -> Notifier:
    return Notifier(
        settings=Settings(NotificationSettings()),
        orders=OrderFactsRepository(database, "acme"),
        directory=Directory(tenant()),
        preferences=PreferenceBook(),
        outbox=Outbox(),
        renderer=JinjaMailRenderer(),
        public_url="https://portal.example",
        clock=Clock(),
    )


def ticket_event(ticket_id: str, name: str, version: int, **data: Any) -> Any:
    payload = {"ticket_id": ticket_id, **data}
    return envelope(f"tickets.ticket.{name}", ticket_id, payload, version=version)


def follower(ticket_id: str, user: str, present: bool, version: int) -> Any:
    name = "follower_added" if present else "follower_removed"
    return ticket_event(ticket_id, name, version, follower_id=user)


async def followers_of(people: Notifier, ticket_id: str) -> list[str]:
    facts = await people.orders.facts(f"ticket:{ticket_id}")
    return sorted(facts.get("follower_user_ids") or [])


async def test_a_late_follower_added_does_not_bring_back_a_follower_removed_later(database_for):
    people = notifier(database_for("people"))
    created = ticket_event("t1", "created", 1, number="T-1", created_by="kunde", private=False)
    for event in (
        created,
        follower("t1", "ann", True, 2),
        follower("t1", "bob", True, 3),
        follower("t1", "ann", False, 4),
        follower("t1", "ann", True, 2),  # redelivered late
    ):
        await people.handle(event)

    assert await followers_of(people, "t1") == ["bob"]
    facts = await people.orders.facts("ticket:t1")
    assert facts["created_by"] == "kunde"


async def test_an_older_assignment_handled_last_leaves_the_newer_assignee(database_for):
    people = notifier(database_for("people"))

    def order_event(name: str, version: int, **data: Any) -> Any:
        return envelope(f"orders.order.{name}", "o1", {"order_id": "o1", **data}, version=version)

    await people.handle(order_event("assigned", 4, assignee_organisation_id="emma"))
    await people.handle(
        order_event(
            "created", 1, customer_organisation_id="housing", assignee_organisation_id="first"
        )
    )
    await people.handle(order_event("assigned", 2, assignee_organisation_id="second"))

    facts = await people.orders.facts("o1")
    assert (facts["assignee_organisation_id"], facts["customer_organisation_id"]) == (
        "emma",
        "housing",
    )


changes = st.lists(st.tuples(st.sampled_from(["ann", "bob", "cid"]), st.booleans()), max_size=8)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=changes, data=st.data())
async def test_any_order_of_a_tickets_follower_events_leaves_the_last_ones_followers(
    database_for, changes: list[tuple[str, bool]], data: Any
) -> None:
    people = notifier(database_for("people"))
    ticket_id = new_id()  # a fresh ticket per example
    events = [follower(ticket_id, u, p, v) for v, (u, p) in enumerate(changes, 2)]
    expected = {user: present for user, present in changes}  # each one's last change

    for event in data.draw(st.permutations(events)):
        await people.handle(event)

    assert await followers_of(people, ticket_id) == sorted(u for u, p in expected.items() if p)


async def test_booking_events_handled_out_of_order_each_read_as_what_they_did(database_for):
    """Orders says in the event whether the employee is on the slot after it: a late 'booked'
    is not read as 'unbooked' because the unbooking came first (as inferring it would)."""
    people = notifier(database_for("people"))

    def booking(version: int, on_slot: bool) -> Any:
        data = {
            "order_id": "o1",
            "booking_id": "b1",
            "employee_id": "donald",
            "booked": int(on_slot),
            "capacity": 4,
            "employee_on_slot": on_slot,
        }
        return envelope("orders.order.booking_changed", "o1", data, version=version)

    unbooked = await people.facts_of(booking(3, False))
    booked = await people.facts_of(booking(2, True))  # the earlier one, delivered late

    assert (unbooked["booking_change"], booked["booking_change"]) == ("unbooked", "booked")
