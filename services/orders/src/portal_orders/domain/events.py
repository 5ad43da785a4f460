"""Events of the orders service. Ids, codes, dates and numbers only: never free text, which may
hold a resident's name or phone number."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from portal_kit.events import DomainEvent


class OrderEvent(DomainEvent):
    """Base of the order events: which order, by id and number."""

    aggregate: ClassVar[str] = "order"
    order_id: str
    number: str


class OrderCreated(OrderEvent):
    """A new order was registered."""

    name: ClassVar[str] = "created"
    order_type: str
    status: str
    priority: str
    customer_organisation_id: str
    assignee_organisation_id: str | None
    operator_contact_user_id: str | None
    created_by: str
    order_date: date
    expected_contact_date: date | None
    expected_delivery_date: date | None


class OrderAssigned(OrderEvent):
    """The order was given to a contractor organisation."""

    name: ClassVar[str] = "assigned"
    assignee_organisation_id: str
    previous_assignee_organisation_id: str | None


class OrderStatusChanged(OrderEvent):
    """The order moved to another status of its workflow."""

    name: ClassVar[str] = "status_changed"
    status_from: str
    status_to: str
    category: str
    actor: str


class OrderCompleted(OrderEvent):
    """Entered a 'done' status: billing takes billable lines from here."""

    name: ClassVar[str] = "completed"
    order_type: str
    status: str
    customer_organisation_id: str
    assignee_organisation_id: str | None
    invoice_reference: str | None
    # Avonova's 'Faktura merkes med': what the customer asked to be printed on the invoice
    # (checked for national IDs like every free text); billing puts it on the invoice.
    invoice_marking: str | None = None
    completed_at: datetime


class OrderCancelled(OrderEvent):
    """The operator cancelled the order (Makulerad)."""

    name: ClassVar[str] = "cancelled"
    status: str
    cancelled_at: datetime


class OrderEdited(OrderEvent):
    """Fields of the order changed; their names, never their values."""

    name: ClassVar[str] = "edited"
    fields: list[str]


class NoteAdded(OrderEvent):
    """A note with a predefined event (Händelse) and phrase was logged."""

    name: ClassVar[str] = "note_added"
    entry_id: str
    event_code: str
    phrase_code: str | None
    visibility: str


class QuestionAsked(OrderEvent):
    """The contractor asked the orderer a question (Beställningsfråga)."""

    name: ClassVar[str] = "question_asked"
    entry_id: str
    asked_by: str


class QuestionAnswered(OrderEvent):
    """The orderer answered a question (Beställningssvar)."""

    name: ClassVar[str] = "question_answered"
    entry_id: str
    question_id: str


class CommentAdded(OrderEvent):
    """A dialog comment, perhaps with attachments, was logged."""

    name: ClassVar[str] = "comment_added"
    entry_id: str
    visibility: str
    attachment_count: int
    author: str


class SlaBreached(OrderEvent):
    """An expected contact or delivery date passed; sent once per kind."""

    name: ClassVar[str] = "sla_breached"
    kind: str  # contact or delivery
    due_date: date
    status: str


class BookingChanged(OrderEvent):
    """A booking slot was added, or an employee put on or taken off one."""

    name: ClassVar[str] = "booking_changed"
    booking_id: str
    employee_id: str | None
    booked: int
    capacity: int
