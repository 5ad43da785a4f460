"""Events of the orders service. Ids, codes, dates and numbers only: never free text, which may
hold a resident's name or phone number."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from portal_kit.events import DomainEvent
from pydantic import Field


class OrderEvent(DomainEvent):
    """Base of the order events: which order, by id and number."""

    aggregate: ClassVar[str] = "order"
    order_id: str = Field(description="The order's id.")
    number: str = Field(
        description="The order's number, as people see it (e.g. in the portal and on invoices)."
    )


class OrderCreated(OrderEvent):
    """A new order was registered."""

    name: ClassVar[str] = "created"
    order_type: str = Field(
        description="The order type's code (the tenant's catalogue of order types)."
    )
    status: str = Field(description="The order's workflow status code after the change.")
    priority: str = Field(description="The order's priority code.")
    customer_organisation_id: str = Field(
        description="The ordering customer organisation's id (people's organisation id)."
    )
    assignee_organisation_id: str | None = Field(
        description="The contractor organisation the order is assigned to (None: not assigned)."
    )
    operator_contact_user_id: str | None = Field(
        description="The operator contact's user id (None: no contact, or the contact is no user)."
    )
    created_by: str = Field(description="The user id of who registered the order.")
    order_date: date = Field(description="The order's date.")
    expected_contact_date: date | None = Field(
        description="When the contractor should contact the orderer by (None: not agreed)."
    )
    expected_delivery_date: date | None = Field(
        description="The date by which the work should be delivered (None: none agreed)."
    )


class OrderAssigned(OrderEvent):
    """The order was given to a contractor organisation."""

    name: ClassVar[str] = "assigned"
    assignee_organisation_id: str = Field(
        description="The contractor organisation the order is now assigned to."
    )
    previous_assignee_organisation_id: str | None = Field(
        description="The contractor organisation that had the order before (None: none)."
    )


class OrderStatusChanged(OrderEvent):
    """The order moved to another status of its workflow."""

    name: ClassVar[str] = "status_changed"
    status_from: str = Field(description="The status code the order left.")
    status_to: str = Field(description="The status code the order entered.")
    category: str = Field(
        description="The category of the new status (e.g. open, done, cancelled)."
    )
    actor: str = Field(description="The user id of who moved the order.")


class OrderCompleted(OrderEvent):
    """Entered a 'done' status: billing takes billable lines from here."""

    name: ClassVar[str] = "completed"
    order_type: str = Field(
        description="The order type's code (the tenant's catalogue of order types)."
    )
    status: str = Field(description="The order's workflow status code after the change.")
    customer_organisation_id: str = Field(
        description="The ordering customer organisation's id (people's organisation id)."
    )
    assignee_organisation_id: str | None = Field(
        description="The contractor organisation the order is assigned to (None: not assigned)."
    )
    invoice_reference: str | None = Field(
        description="The reference the customer gave for the invoice (None: none)."
    )
    # Avonova's 'Faktura merkes med': what the customer asked to be printed on the invoice
    # (checked for national IDs like every free text); billing puts it on the invoice.
    invoice_marking: str | None = Field(
        default=None,
        description="The customer's text for the invoice ('Faktura merkes med'); None: none.",
    )
    completed_at: datetime = Field(description="When the order entered its done status.")


class OrderCancelled(OrderEvent):
    """The operator cancelled the order (Makulerad)."""

    name: ClassVar[str] = "cancelled"
    status: str = Field(description="The order's workflow status code after the change.")
    cancelled_at: datetime = Field(description="When the order was cancelled.")


class OrderEdited(OrderEvent):
    """Fields of the order changed; their names, never their values. When the operator contact
    changed (`operator_contact` among the fields), the new contact's user id (an opaque id, None
    when the contact is no user or was taken off), so notifications follow the new contact."""

    name: ClassVar[str] = "edited"
    fields: list[str] = Field(
        description="The names of the fields that changed (never their values)."
    )
    operator_contact_user_id: str | None = Field(
        default=None,
        description="The operator contact's user id (None: no contact, or the contact is no user).",
    )


class NoteAdded(OrderEvent):
    """A note with a predefined event (Händelse) and phrase was logged."""

    name: ClassVar[str] = "note_added"
    entry_id: str = Field(description="The id of the log entry written.")
    event_code: str = Field(description="The code of the predefined event (Händelse) noted.")
    phrase_code: str | None = Field(
        description="The code of the predefined phrase (None: none chosen)."
    )
    visibility: str = Field(
        description="Who may read the entry (the visibility code, e.g. internal or shared)."
    )


class QuestionAsked(OrderEvent):
    """The contractor asked the orderer a question (Beställningsfråga)."""

    name: ClassVar[str] = "question_asked"
    entry_id: str = Field(description="The id of the log entry written.")
    asked_by: str = Field(description="The user id of who asked the question.")


class QuestionAnswered(OrderEvent):
    """The orderer answered a question (Beställningssvar)."""

    name: ClassVar[str] = "question_answered"
    entry_id: str = Field(description="The id of the log entry written.")
    question_id: str = Field(description="The log entry id of the question answered.")


class CommentAdded(OrderEvent):
    """A dialog comment, perhaps with attachments, was logged."""

    name: ClassVar[str] = "comment_added"
    entry_id: str = Field(description="The id of the log entry written.")
    visibility: str = Field(
        description="Who may read the entry (the visibility code, e.g. internal or shared)."
    )
    attachment_count: int = Field(description="How many files the comment carries.")
    author: str = Field(description="The user id of the comment's author.")


class SlaBreached(OrderEvent):
    """An expected contact or delivery date passed; sent once per kind."""

    name: ClassVar[str] = "sla_breached"
    kind: str = Field(description="Which date passed: contact or delivery.")
    due_date: date = Field(description="The expected date that passed.")
    status: str = Field(description="The order's workflow status code after the change.")


class BookingChanged(OrderEvent):
    """A booking slot was added, or an employee put on or taken off one; the slot's time and
    place name (the operator's name of a venue, not personal data) for the employee's mail."""

    name: ClassVar[str] = "booking_changed"
    booking_id: str = Field(description="The booking slot's id.")
    employee_id: str | None = Field(
        description="The employee put on or taken off the slot (None: the slot itself changed)."
    )
    booked: int = Field(description="How many employees the slot holds after the change.")
    # Whether the change put the employee on or took them off, in the event itself: a reader
    # need not infer it from what it saw before, which a late delivery would get wrong.
    employee_on_slot: bool | None = Field(
        default=None,
        description="Whether the employee is on the slot after the change (None: no employee).",
    )
    capacity: int = Field(description="How many employees the slot can hold.")
    starts_at: datetime | None = Field(
        default=None, description="When the slot starts (None: not known)."
    )
    ends_at: datetime | None = Field(
        default=None, description="When the slot ends (None: not known)."
    )
    place: str | None = Field(
        default=None,
        description="The operator's name of the venue (not personal data); None: none given.",
    )
