"""Booking slots on an order (Avonova's health checks): predefined times a customer puts its
employees on until the slot's cut-off. The rules of one slot; the order logs and records them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portal_kit.domain import DomainError, Forbidden, NotFound, new_id
from portal_kit.values import Problems

from portal_orders.domain.messages import _
from portal_orders.domain.workflow import Actor

MAX_CAPACITY = 10_000


class UnknownEmployee(DomainError):
    """The employee is not one of the order's customer's, as far as orders knows: made up,
    deactivated, another organisation's (which answers exactly like a missing one), or added in
    people so recently that its event has not reached orders yet."""

    code = "UNKNOWN_EMPLOYEE"

    def __init__(self) -> None:
        super().__init__(
            _(
                "no such employee of this order's customer; an employee added only a moment ago "
                "may take a few seconds to be known here, so try again shortly"
            ),
            field="employeeId",
        )


@dataclass
class Booking:
    """A predefined time slot (e.g. health checks) customers put their employees on."""

    id: str
    starts_at: datetime
    ends_at: datetime
    place: str
    capacity: int
    cut_off: datetime
    employees: list[str] = field(default_factory=list)

    @classmethod
    def slot(
        cls,
        *,
        starts_at: datetime,
        ends_at: datetime,
        place: str,
        capacity: int,
        cut_off: datetime,
        actor: Actor,
    ) -> Booking:
        """A new slot, set up by the operator; every problem with it is named at once."""
        if actor is not Actor.STAFF:
            raise Forbidden(_("the operator sets up booking slots"))
        problems = Problems()
        if ends_at <= starts_at:
            problems.add(DomainError(_("the slot must end after it starts"), field="endsAt"))
        if capacity < 1 or capacity > MAX_CAPACITY:
            problems.add(
                DomainError(_("between 1 and {limit}", limit=MAX_CAPACITY), field="capacity")
            )
        if cut_off > starts_at:
            problems.add(DomainError(_("the cut-off must be before the start"), field="cutOff"))
        problems.raise_if_any()
        return cls(new_id(), starts_at, ends_at, place, capacity, cut_off)

    def add(self, employee_id: str, *, of_customer: bool) -> None:
        """`of_customer`: the employee is an active one of the order's customer organisation
        (or of its departments), which the use case looks up in orders' read model."""
        if not of_customer:
            raise UnknownEmployee()
        if employee_id in self.employees:
            raise DomainError(_("already on this slot"), field="employeeId", code="DUPLICATE")
        if len(self.employees) >= self.capacity:
            raise DomainError(_("this slot is full"), field="bookingId", code="FULL")
        self.employees.append(employee_id)

    def remove(self, employee_id: str) -> None:
        if employee_id not in self.employees:
            raise NotFound(_("not on this slot"), field="employeeId")
        self.employees.remove(employee_id)


def open_slot(
    bookings: list[Booking], booking_id: str, *, actor: Actor, order_active: bool, now: datetime
) -> Booking:
    """The slot an employee is put on or taken off: by the customer side (or staff), on an
    order still active, and by the customer only before the cut-off."""
    if actor not in (Actor.STAFF, Actor.CUSTOMER):
        raise Forbidden(_("the customer organisation books its employees"))
    booking = next((b for b in bookings if b.id == booking_id), None)
    if booking is None:
        raise NotFound(_("no such booking slot"), field="bookingId")
    if not order_active:
        raise DomainError(_("the order is finished"), field="bookingId", code="CLOSED")
    if actor is Actor.CUSTOMER and now >= booking.cut_off:
        raise DomainError(
            _("the cut-off for this slot has passed"), field="bookingId", code="CUT_OFF_PASSED"
        )
    return booking
