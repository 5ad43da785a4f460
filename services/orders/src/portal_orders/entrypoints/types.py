"""GraphQL types of the orders subgraph: the order and its parts, built from what the caller may
see, its bundles, and the stubs of the entities other subgraphs own."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from portal_kit.documents import label_in
from portal_kit.messages import code_label
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from portal_orders.domain import record
from portal_orders.domain.fields import client_field
from portal_orders.domain.messages import _
from portal_orders.domain.workflow import TenantConfiguration
from portal_orders.entrypoints.context import Info
from portal_orders.service_layer.access import Seen

# Entities other subgraphs resolve; this one only names them by id.
_STUB = [Key(fields=FieldSet("id"), resolvable=False)]

# Codes of the platform (not of a tenant's configuration) that a client shows, labelled from the
# catalogue in the caller's language.
ENTRY_KIND_LABELS = {
    "created": _.label("log entry kind", "created"),
    "assigned": _.label("log entry kind", "assigned"),
    "status_changed": _.label("log entry kind", "status_changed"),
    "edited": _.label("log entry kind", "edited"),
    "note": _.label("log entry kind", "note"),
    "question": _.label("log entry kind", "question"),
    "answer": _.label("log entry kind", "answer"),
    "comment": _.label("log entry kind", "comment"),
    "sla_breached": _.label("log entry kind", "sla_breached"),
    "booking": _.label("log entry kind", "booking"),
}
ROLE_LABELS = {
    "staff": _.label("order role", "staff"),
    "contractor": _.label("order role", "contractor"),
    "customer": _.label("order role", "customer"),
    "system": _.label("order role", "system"),
}
VISIBILITY_LABELS = {
    "internal": _.label("log entry visibility", "internal"),
    "contractor": _.label("log entry visibility", "contractor"),
    "resident": _.label("log entry visibility", "resident"),
}
PHONE_KIND_LABELS = {
    "home": _.label("phone kind", "home"),
    "work": _.label("phone kind", "work"),
    "mobile": _.label("phone kind", "mobile"),
    "other": _.label("phone kind", "other"),
}
CATEGORY_LABELS = {
    "new": _.label("status category", "new"),
    "open": _.label("status category", "open"),
    "waiting": _.label("status category", "waiting"),
    "done": _.label("status category", "done"),
    "rejected": _.label("status category", "rejected"),
    "cancelled": _.label("status category", "cancelled"),
    "invoiced": _.label("status category", "invoiced"),
}
SLA_BREACH_LABELS = {
    "contact": _.label("SLA date", "contact"),
    "delivery": _.label("SLA date", "delivery"),
}
BOOKING_EVENT_LABELS = {
    "slot_added": _.label("booking event", "slot_added"),
    "booked": _.label("booking event", "booked"),
    "unbooked": _.label("booking event", "unbooked"),
}


@strawberry.federation.type(
    keys=_STUB, description="An organisation; the people service knows the rest of it."
)
class Organisation:
    id: strawberry.ID


@strawberry.federation.type(
    keys=_STUB, description="A user account; the people service knows the rest of it."
)
class User:
    id: strawberry.ID


@strawberry.federation.type(
    keys=_STUB, description="An employee of a customer; the people service knows them."
)
class Employee:
    id: strawberry.ID


@strawberry.enum(
    name="OrderEntryVisibility", description="Who sees a log entry besides the operator's staff."
)
class EntryVisibility(Enum):
    INTERNAL = "internal"
    CONTRACTOR = "contractor"
    RESIDENT = "resident"


@strawberry.enum(description="The caller's part in an order.")
class OrderRole(Enum):
    STAFF = "staff"
    CONTRACTOR = "contractor"
    CUSTOMER = "customer"
    SYSTEM = "system"


@strawberry.type(
    name="OrderContact",
    description="Someone named on an order (operator contact, contractor contact).",
)
class Person:
    user_id: strawberry.ID | None
    name: str
    email: str
    phone: str
    account: str

    @strawberry.field(
        description="The people service's user, when the person has an account; null when the "
        "caller may not read it."
    )
    def user(self) -> User | None:
        return User(id=self.user_id) if self.user_id else None

    @classmethod
    def of(cls, person: record.Person | None) -> Person | None:
        if person is None:
            return None
        return cls(
            user_id=strawberry.ID(person.user_id) if person.user_id else None,
            name=person.name,
            email=person.email,
            phone=person.phone,
            account=person.account,
        )


@strawberry.type(name="ResidentPhone")
class Phone:
    kind: str
    number: str
    preferred: bool = strawberry.field(description="The number to use for this order (the '*').")
    kind_label: str = strawberry.field(description="The kind in the caller's language.")


@strawberry.type(
    name="OrderResident", description="The reporter / resident; shown only to those who may see it."
)
class Resident:
    name: str
    phones: list[Phone]
    email: str
    move_in_date: date | None
    access_permitted: bool | None
    key_info: str
    comment: str

    @strawberry.field
    def preferred_phone(self) -> Phone | None:
        return next((p for p in self.phones if p.preferred), None)

    @classmethod
    def of(cls, resident: record.Resident, locale: str) -> Resident:
        return cls(
            name=resident.name,
            phones=[
                Phone(
                    kind=p.kind,
                    number=p.number,
                    preferred=p.preferred,
                    kind_label=code_label(PHONE_KIND_LABELS, p.kind, locale),
                )
                for p in resident.phones
            ],
            email=resident.email,
            move_in_date=resident.move_in_date,
            access_permitted=resident.access_permitted,
            key_info=resident.key_info,
            comment=resident.comment,
        )


@strawberry.type(name="OrderAddress")
class Address:
    street: str
    postal_code: str
    city: str


@strawberry.type(
    name="OrderObject", description="The apartment or building the order is for (Objekt)."
)
class ObjectInfo:
    number: str
    object_type: str
    floor: int | None
    floors: int | None
    elevator: bool | None
    address: Address

    @classmethod
    def of(cls, value: record.ObjectInfo | None) -> ObjectInfo | None:
        if value is None:
            return None
        a = value.address
        return cls(
            number=value.number,
            object_type=value.object_type,
            floor=value.floor,
            floors=value.floors,
            elevator=value.elevator,
            address=Address(street=a.street, postal_code=a.postal_code, city=a.city),
        )


@strawberry.type(name="OrderAvser", description="What the work order is about (Avser).")
class Avser:
    space: str
    space_code: str
    unit: str
    properties: str = strawberry.field(description="Model designation (Egenskaper).")
    serial_number: str
    installed: date | None
    last_maintenance: date | None
    phrase: str
    description: str
    unit_note: str
    appliance: bool


@strawberry.type(name="OrderCustomerRequest", description="Avonova's new-order form.")
class CustomerRequest:
    desired_delivery: str
    quantity: str
    contact_person: str
    invoice_marking: str
    location: str


@strawberry.type(name="OrderAttachment")
class Attachment:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int

    @strawberry.field(description="Where to GET the file (behind the principal, like /graphql).")
    def download_path(self) -> str:
        return f"/attachments/{self.id}"


@strawberry.type(name="OrderActivityEntry", description="One line of the immutable activity log.")
class ActivityEntry:
    id: strawberry.ID
    at: datetime
    kind: str
    kind_label: str = strawberry.field(
        description="The kind in the caller's language: the tenant's own wording where it has "
        "one (Familjebostäder's 'AO Registrerad och Beställd', 'AO Accepterad', "
        "'Beställningsfråga'), else the platform's."
    )
    actor_user: strawberry.ID
    role: OrderRole
    role_label: str
    visibility: EntryVisibility
    visibility_label: str
    text: str
    status_from: str | None
    status_from_label: str | None
    status_to: str | None
    status_to_label: str | None
    event: str | None
    event_label: str | None = strawberry.field(
        description="The note event's label (the tenant's), a booking change's, or for a "
        "passed SLA date that date's name, in the caller's language."
    )
    phrase: str | None
    phrase_label: str | None
    question_id: strawberry.ID | None
    fields: list[str]
    attachments: list[Attachment]


@strawberry.type(name="OrderBooking")
class Booking:
    id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    place: str
    capacity: int
    cut_off: datetime
    booked: int
    # Items are nullable: an employee people does not know, or the caller may not read, is
    # null in its place, and the booking, the order and the list around it still arrive.
    employees: list[Employee | None] = strawberry.field(
        description="The booked employees (people), in booking order; null for one the caller "
        "may not read."
    )


@strawberry.type(
    name="OrderTransitionOption",
    description="A status the caller may move the order to now, and what it needs.",
)
class TransitionOption:
    status: str
    label: str
    required_fields: list[str] = strawberry.field(
        description="Every field the change needs on this order, the conditional ones whose "
        "condition holds for it included (model and serial number of an appliance); the same "
        "rule `transitionOrder` checks."
    )
    comment_required: bool


def _entry(entry: record.Entry, seen: Seen, locale: str) -> ActivityEntry:
    configuration = seen.viewer.configuration
    order_type = seen.order.order_type
    event_label = phrase_label = None
    if entry.kind == record.EntryKind.BOOKING and entry.event_code:
        event_label = code_label(BOOKING_EVENT_LABELS, entry.event_code, locale)
    elif entry.kind == record.EntryKind.SLA_BREACHED:
        event_label = code_label(SLA_BREACH_LABELS, entry.text, locale)
    elif entry.event_code:
        note = configuration.order_type(order_type)
        found = note.workflow.note_event(entry.event_code) if note else None
        event_label = found.label(locale) if found else entry.event_code
        if entry.phrase_code:
            phrases = found.phrases if found else ()
            phrase = next((p for p in phrases if p.code == entry.phrase_code), None)
            phrase_label = label_in(phrase.labels, locale, phrase.code) if phrase else None
            phrase_label = phrase_label or entry.phrase_code
    status_from, status_to = (
        None if code is None else _status_label(configuration, order_type, code, locale)
        for code in (entry.status_from, entry.status_to)
    )
    kind_label = configuration.entry_kind_label(entry.kind, locale, status_to or "")
    return ActivityEntry(
        id=strawberry.ID(entry.id),
        at=entry.at,
        kind=entry.kind,
        kind_label=kind_label or code_label(ENTRY_KIND_LABELS, entry.kind, locale),
        actor_user=strawberry.ID(entry.actor_user),
        role=OrderRole(entry.actor.value),
        role_label=code_label(ROLE_LABELS, entry.actor.value, locale),
        visibility=EntryVisibility(entry.visibility.value),
        visibility_label=code_label(VISIBILITY_LABELS, entry.visibility.value, locale),
        text=entry.text,
        status_from=entry.status_from,
        status_from_label=status_from,
        status_to=entry.status_to,
        status_to_label=status_to,
        event=entry.event_code,
        event_label=event_label,
        phrase=entry.phrase_code,
        phrase_label=phrase_label,
        question_id=strawberry.ID(entry.question_id) if entry.question_id else None,
        fields=list(entry.fields),
        attachments=[
            Attachment(
                id=strawberry.ID(a.file_id),
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
            )
            for a in entry.attachments
        ],
    )


def _status_label(
    configuration: TenantConfiguration, order_type: str, code: str, locale: str
) -> str:
    found = configuration.order_type(order_type)
    if found is None or not found.workflow.has_status(code):
        return code
    return found.workflow.status(code).label(locale)


@strawberry.federation.type(keys=["id"], description="A job ordered by a customer or the operator.")
class Order:
    id: strawberry.ID
    number: str
    version: int
    order_type: str = strawberry.field(description="Code of the order type.")
    status: str = strawberry.field(description="Code of the status in the order's workflow.")
    status_category: str
    priority: str = strawberry.field(description="Code of the priority.")
    description: str
    customer_organisation_id: strawberry.ID
    assignee_organisation_id: strawberry.ID | None = strawberry.field(
        description="The contractor organisation doing the job, once assigned."
    )
    order_date: date
    expected_contact_date: date | None
    expected_delivery_date: date | None
    planned_date: date | None
    agreed_appointment: datetime | None
    fault_type: str
    root_cause: str
    action_taken: str = strawberry.field(description="What was done (Handlingsbeskrivelse).")
    invoice_reference: str | None
    bundle: str | None = strawberry.field(
        description="The bundle (Bunt) of one object's work orders of one day, e.g. "
        "`64010765-20190819`; the same for every order in it."
    )
    bundle_number: str | None = strawberry.field(
        description="This work order's Buntnummer: the bundle's number for its first work "
        "order, `<bundle>-<n>-<m>` for later ones (n: the space's ordinal in the bundle, m: "
        "the order's ordinal in that space, the bundle's first not counted)."
    )
    admin_area: str
    search_areas: list[str]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    sla_breaches: list[str]
    seen: strawberry.Private[Seen]
    locale: strawberry.Private[str]

    @strawberry.field
    def my_role(self) -> OrderRole:
        return OrderRole(self.seen.actor.value)

    @strawberry.field(description="The caller's part in the order, in the caller's language.")
    def my_role_label(self) -> str:
        return code_label(ROLE_LABELS, self.seen.actor.value, self.locale)

    @strawberry.field(description="The status category in the caller's language.")
    def status_category_label(self) -> str:
        return code_label(CATEGORY_LABELS, self.status_category, self.locale)

    @strawberry.field(description="The SLA dates passed (`slaBreaches`), in the caller's language.")
    def sla_breach_labels(self) -> list[str]:
        return [code_label(SLA_BREACH_LABELS, code, self.locale) for code in self.sla_breaches]

    @strawberry.field
    def order_type_label(self) -> str:
        found = self.seen.viewer.configuration.order_type(self.order_type)
        return found.label(self.locale) if found else self.order_type

    @strawberry.field
    def status_label(self) -> str:
        return _status_label(
            self.seen.viewer.configuration, self.order_type, self.status, self.locale
        )

    @strawberry.field(description="The fault type's label (Feiltype), or its free text.")
    def fault_type_label(self) -> str:
        return self._close_out_label("fault_type", self.fault_type)

    @strawberry.field(description="The root cause's label (Rotårsak), or its free text.")
    def root_cause_label(self) -> str:
        return self._close_out_label("root_cause", self.root_cause)

    def _close_out_label(self, name: str, value: str) -> str:
        found = self.seen.viewer.configuration.close_out_field(name)
        return found.label_of(value, self.locale) if found else value

    @strawberry.field
    def priority_label(self) -> str:
        found = self.seen.viewer.configuration.priority(self.priority)
        return label_in(found.labels, self.locale, self.priority) if found else self.priority

    @strawberry.field(
        description="The ordering organisation (people); null when the caller may not read it."
    )
    def customer_organisation(self) -> Organisation | None:
        return Organisation(id=self.customer_organisation_id)

    @strawberry.field(
        description="The contractor organisation (people), once assigned; null when the caller "
        "may not read it."
    )
    def assignee_organisation(self) -> Organisation | None:
        if self.assignee_organisation_id is None:
            return None
        return Organisation(id=self.assignee_organisation_id)

    @strawberry.field(description="The contractor's contact person on this order.")
    def assignee_contact(self) -> Person | None:
        return Person.of(self.seen.order.assignee_contact)

    @strawberry.field(description="The operator's person responsible (JM contact, orderer).")
    def operator_contact(self) -> Person | None:
        return Person.of(self.seen.order.operator_contact)

    @strawberry.field(
        description="Reporter / resident contact, key and access information: staff, and the "
        "assigned contractor while the order is open; null for everyone else."
    )
    def resident(self) -> Resident | None:
        resident = self.seen.order.resident
        if resident is None or not self.seen.sees_resident:
            return None
        return Resident.of(resident, self.locale)

    @strawberry.field
    def object(self) -> ObjectInfo | None:
        return ObjectInfo.of(self.seen.order.object)

    @strawberry.field
    def avser(self) -> Avser | None:
        value = self.seen.order.avser
        if value is None:
            return None
        return Avser(**{name: getattr(value, name) for name in Avser.__annotations__})

    @strawberry.field
    def customer_request(self) -> CustomerRequest | None:
        value = self.seen.order.customer_request
        if value is None:
            return None
        return CustomerRequest(
            desired_delivery=value.desired_delivery,
            quantity=value.quantity,
            contact_person=value.contact_person,
            invoice_marking=value.invoice_marking,
            location=value.location,
        )

    @strawberry.field
    def bookings(self) -> list[Booking]:
        return [
            Booking(
                id=strawberry.ID(b.id),
                starts_at=b.starts_at,
                ends_at=b.ends_at,
                place=b.place,
                capacity=b.capacity,
                cut_off=b.cut_off,
                booked=len(b.employees),
                employees=[Employee(id=strawberry.ID(e)) for e in b.employees],
            )
            for b in self.seen.order.bookings
        ]

    @strawberry.field(description="The activity log, oldest first, as far as the caller may see.")
    def activity(self) -> list[ActivityEntry]:
        return [_entry(e, self.seen, self.locale) for e in self.seen.entries]

    @strawberry.field(description="Statuses the caller may move this order to now.")
    def available_transitions(self) -> list[TransitionOption]:
        configuration = self.seen.viewer.configuration
        found = configuration.order_type(self.order_type)
        if found is None:
            return []
        options = []
        for rule in found.workflow.transitions_from(self.status):
            if self.seen.actor not in rule.actors:
                continue
            options.append(
                TransitionOption(
                    status=rule.target,
                    label=found.workflow.status(rule.target).label(self.locale),
                    required_fields=[client_field(f) for f in self.seen.order.required_for(rule)],
                    comment_required=rule.comment_required,
                )
            )
        return options

    @classmethod
    def of(cls, seen: Seen, locale: str = "en") -> Order:
        order = seen.order
        return cls(
            id=strawberry.ID(order.id),
            number=order.number,
            version=order.version,
            order_type=order.order_type,
            status=order.status,
            status_category=order.status_category.value,
            priority=order.priority,
            description=order.description,
            customer_organisation_id=strawberry.ID(order.customer_organisation_id),
            assignee_organisation_id=(
                strawberry.ID(order.assignee_organisation_id)
                if order.assignee_organisation_id
                else None
            ),
            order_date=order.order_date,
            expected_contact_date=order.expected_contact_date,
            expected_delivery_date=order.expected_delivery_date,
            planned_date=order.planned_date,
            agreed_appointment=order.agreed_appointment,
            fault_type=order.fault_type,
            root_cause=order.root_cause,
            action_taken=order.action_taken,
            invoice_reference=order.invoice_reference,
            bundle=order.bundle,
            bundle_number=order.bundle_number,
            admin_area=order.admin_area,
            search_areas=list(order.search_areas),
            created_at=order.created_at,
            updated_at=order.updated_at,
            closed_at=order.closed_at,
            sla_breaches=list(order.sla_breaches),
            seen=seen,
            locale=locale,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Order | None:
        found = await info.context.seen_orders.load(str(id))
        return cls.of(found, info.context.principal.locale) if found else None


@strawberry.type
class OrderBundle:
    number: str
    orders: list[Order]
