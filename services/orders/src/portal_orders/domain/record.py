"""The parts of an order record the manuals show: people, the object, the 'Avser' block, the
customer's request (Avonova) and the activity-log entries. Plain immutable values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from portal_orders.domain.workflow import Actor, Visibility


@dataclass(frozen=True)
class Person:
    """Someone named on an order: operator contact (JM kontaktperson, beställare, kundeansvarlig)
    or the contractor's contact. `user_id` is a people-service user when there is one."""

    user_id: str | None = None
    name: str = ""
    email: str = ""
    phone: str = ""
    account: str = ""


@dataclass(frozen=True)
class Phone:
    kind: str  # home, work, mobile, other
    number: str
    preferred: bool = False


@dataclass(frozen=True)
class Resident:
    """The reporter / resident: sensitive contact, key and access information."""

    name: str = ""
    phones: tuple[Phone, ...] = ()
    email: str = ""
    user_id: str | None = None
    move_in_date: date | None = None
    access_permitted: bool | None = None
    key_info: str = ""
    comment: str = ""


@dataclass(frozen=True)
class Address:
    street: str = ""
    postal_code: str = ""
    city: str = ""


@dataclass(frozen=True)
class ObjectInfo:
    """The apartment or building (Objekt)."""

    number: str = ""
    object_type: str = ""
    floor: int | None = None
    floors: int | None = None
    elevator: bool | None = None
    address: Address = field(default_factory=Address)


@dataclass(frozen=True)
class Avser:
    """What the work order is about (Familjebostäder's 'Avser' block)."""

    space: str = ""
    space_code: str = ""
    unit: str = ""
    properties: str = ""  # model designation of an appliance (Egenskaper)
    serial_number: str = ""
    installed: date | None = None
    last_maintenance: date | None = None
    phrase: str = ""
    description: str = ""
    unit_note: str = ""
    appliance: bool = False


@dataclass(frozen=True)
class CustomerRequest:
    """Avonova's new-order form, besides department (customer organisation) and description."""

    desired_delivery: str = ""
    quantity: str = ""
    contact_person: str = ""
    invoice_marking: str = ""
    location: str = ""


@dataclass(frozen=True)
class AttachmentRef:
    file_id: str
    filename: str
    content_type: str
    size: int


class EntryKind:
    CREATED = "created"
    ASSIGNED = "assigned"
    STATUS_CHANGED = "status_changed"
    EDITED = "edited"
    NOTE = "note"
    QUESTION = "question"
    ANSWER = "answer"
    COMMENT = "comment"
    SLA_BREACHED = "sla_breached"
    BOOKING = "booking"


@dataclass(frozen=True)
class Entry:
    """One line of the immutable activity log."""

    id: str
    at: datetime
    kind: str
    actor_user: str
    actor: Actor
    visibility: Visibility
    text: str = ""
    status_from: str | None = None
    status_to: str | None = None
    event_code: str | None = None
    phrase_code: str | None = None
    question_id: str | None = None
    fields: tuple[str, ...] = ()
    attachments: tuple[AttachmentRef, ...] = ()
