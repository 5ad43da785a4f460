"""The order aggregate: a job the operator sends to a contractor, or a customer's order.

Every rule about what may happen to an order lives here, in its workflow (`workflow.py`, from
the tenant's configuration), in `fields.py` (who may change which field) and `bookings.py`
(pure, no I/O). Each action appends one entry to the activity log — there is no method that
edits or removes one — and records exactly one domain event (two when a status change completes
or cancels the order).
Organisation and user ids are opaque strings owned by the people service.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from portal_kit.domain import Aggregate, DomainError, Forbidden, NotFound, ValidationFailed, new_id
from portal_kit.messages import Labelled
from portal_kit.text import fold
from portal_kit.values import Problems

from portal_orders.domain.bookings import Booking, open_slot
from portal_orders.domain.events import (
    BookingChanged,
    CommentAdded,
    NoteAdded,
    OrderAssigned,
    OrderCancelled,
    OrderCompleted,
    OrderCreated,
    OrderEdited,
    OrderStatusChanged,
    QuestionAnswered,
    QuestionAsked,
    SlaBreached,
)
from portal_orders.domain.fields import COMPLETION_FIELDS, EDITABLE_BY, client_field
from portal_orders.domain.messages import _
from portal_orders.domain.numbering import FIRST_IN_BUNDLE, BundlePlace, bundle_number, bundle_of
from portal_orders.domain.record import (
    AttachmentRef,
    Avser,
    CustomerRequest,
    Entry,
    EntryKind,
    ObjectInfo,
    Person,
    Resident,
)
from portal_orders.domain.workflow import (
    ACTIVE_CATEGORIES,
    Actor,
    Category,
    TenantConfiguration,
    Transition,
    Visibility,
    Workflow,
)


@dataclass(frozen=True)
class OrderDraft:
    """The checked input of a new order, before it gets a number."""

    order_type: str
    priority: str
    description: str
    customer_organisation_id: str
    order_date: date
    assignee_organisation_id: str | None = None
    assignee_contact: Person | None = None
    operator_contact: Person | None = None
    resident: Resident | None = None
    object: ObjectInfo | None = None
    admin_area: str = ""
    search_areas: tuple[str, ...] = ()
    avser: Avser | None = None
    customer_request: CustomerRequest | None = None
    planned_date: date | None = None


@dataclass(kw_only=True)
class Order(Aggregate):
    sequence: int
    number: str
    order_type: str
    workflow: str
    status: str
    status_category: Category
    priority: str
    priority_rank: int
    description: str
    customer_organisation_id: str
    assignee_organisation_id: str | None
    assignee_contact: Person | None
    operator_contact: Person | None
    resident: Resident | None
    object: ObjectInfo | None
    admin_area: str
    search_areas: tuple[str, ...]
    avser: Avser | None
    customer_request: CustomerRequest | None
    order_date: date
    expected_contact_date: date | None
    expected_delivery_date: date | None
    planned_date: date | None
    agreed_appointment: datetime | None
    fault_type: str
    root_cause: str
    action_taken: str
    invoice_reference: str | None
    bundle: str | None
    # The work order's own Buntnummer: the bundle's number or a sub-bundle number in it.
    bundle_number: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    sla_breaches: tuple[str, ...]
    bookings: list[Booking] = field(default_factory=list)
    activity: list[Entry] = field(default_factory=list)
    # How many log entries were stored when the order was loaded: the rest are new, to append.
    loaded_entries: int = field(default=0, init=False, repr=False, compare=False)

    # -- creating ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        tenant: str,
        configuration: TenantConfiguration,
        sequence: int,
        number: str,
        draft: OrderDraft,
        actor: Actor,
        user: str,
        now: datetime,
        expected_contact_date: date | None,
        expected_delivery_date: date | None,
        bundle_place: BundlePlace = FIRST_IN_BUNDLE,
    ) -> Order:
        if now.utcoffset() is None:
            raise ValueError("times must carry their UTC offset")
        order_type = configuration.order_type(draft.order_type)
        priority = configuration.priority(draft.priority)
        if order_type is None or priority is None:
            raise ValueError("the draft names an order type or priority the tenant lacks")
        workflow = order_type.workflow
        initial = workflow.status(workflow.initial)
        prefix = configuration.invoice_reference_prefix
        bundle = bundle_of(
            configuration, draft.object.number if draft.object else None, draft.order_date
        )
        order = cls(
            id=new_id(),
            tenant=tenant,
            sequence=sequence,
            number=number,
            order_type=order_type.code,
            workflow=workflow.code,
            status=initial.code,
            status_category=initial.category,
            priority=priority.code,
            priority_rank=priority.rank,
            description=draft.description,
            customer_organisation_id=draft.customer_organisation_id,
            assignee_organisation_id=draft.assignee_organisation_id,
            assignee_contact=draft.assignee_contact,
            operator_contact=draft.operator_contact,
            resident=draft.resident,
            object=draft.object,
            admin_area=draft.admin_area,
            search_areas=draft.search_areas,
            avser=draft.avser,
            customer_request=draft.customer_request,
            order_date=draft.order_date,
            expected_contact_date=expected_contact_date,
            expected_delivery_date=expected_delivery_date,
            planned_date=draft.planned_date,
            agreed_appointment=None,
            fault_type="",
            root_cause="",
            action_taken="",
            invoice_reference=f"{prefix}{number}" if prefix else None,
            bundle=bundle,
            bundle_number=None if bundle is None else bundle_number(bundle, bundle_place),
            created_by=user,
            created_at=now,
            updated_at=now,
            closed_at=None,
            sla_breaches=(),
        )
        # Progress (created, status changes) is for the customer side too; comments typed with
        # a status change stay between operator and contractor.
        order._log(EntryKind.CREATED, actor, user, now, Visibility.RESIDENT, status_to=initial.code)
        order.record(
            OrderCreated(
                order_id=order.id,
                number=order.number,
                order_type=order.order_type,
                status=order.status,
                priority=order.priority,
                customer_organisation_id=order.customer_organisation_id,
                assignee_organisation_id=order.assignee_organisation_id,
                operator_contact_user_id=(
                    draft.operator_contact.user_id if draft.operator_contact else None
                ),
                created_by=user,
                order_date=order.order_date,
                expected_contact_date=expected_contact_date,
                expected_delivery_date=expected_delivery_date,
            )
        )
        return order

    # -- reading ----------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.status_category in ACTIVE_CATEGORIES

    def search_text(self) -> str:
        """The folded words free-text search looks in: number, description, address, phrase."""
        parts = [
            self.number,
            self.description,
            self.bundle or "",
            self.bundle_number or "",
            self.invoice_reference or "",
        ]
        if self.object is not None:
            address = self.object.address
            parts += [self.object.number, address.street, address.postal_code, address.city]
        if self.avser is not None:
            parts += [self.avser.phrase, self.avser.description, self.avser.space, self.avser.unit]
        if self.customer_request is not None:
            parts += [self.customer_request.desired_delivery, self.customer_request.location]
        return fold(" ".join(p for p in parts if p))

    def field_value(self, name: str) -> Any:
        if name.startswith("avser."):
            return getattr(self.avser or Avser(), name.removeprefix("avser."))
        return getattr(self, name)

    def required_for(self, rule: Transition) -> tuple[str, ...]:
        """The fields `rule` requires of this order as it is now, its conditions resolved
        (model and serial number when the work order concerns an appliance)."""
        return rule.required_for(self.field_value)

    def question(self, entry_id: str) -> Entry | None:
        return next(
            (e for e in self.activity if e.id == entry_id and e.kind == EntryKind.QUESTION), None
        )

    def answered(self, question_id: str) -> bool:
        return any(e.question_id == question_id for e in self.activity if e.kind == "answer")

    # -- acting -----------------------------------------------------------------------------

    def assign(
        self,
        organisation_id: str,
        contact: Person | None,
        *,
        actor: Actor,
        user: str,
        now: datetime,
    ) -> bool:
        """Give the order to a contractor organisation; False if nothing changes."""
        if actor is not Actor.STAFF:
            raise Forbidden(_("only the operator's staff assign orders"))
        if not self.active:
            raise DomainError(_("a finished order cannot be assigned"), field="id", code="CLOSED")
        if organisation_id == self.assignee_organisation_id and contact == self.assignee_contact:
            return False
        previous = self.assignee_organisation_id
        self.assignee_organisation_id = organisation_id
        self.assignee_contact = contact
        self.updated_at = now
        self._log(EntryKind.ASSIGNED, actor, user, now, Visibility.CONTRACTOR)
        if previous != organisation_id:
            self.record(
                OrderAssigned(
                    order_id=self.id,
                    number=self.number,
                    assignee_organisation_id=organisation_id,
                    previous_assignee_organisation_id=previous,
                )
            )
        else:
            self.record(
                OrderEdited(order_id=self.id, number=self.number, fields=["assignee_contact"])
            )
        return True

    def edit(
        self,
        workflow: Workflow,
        changes: dict[str, Any],
        *,
        actor: Actor,
        user: str,
        now: datetime,
    ) -> list[str]:
        """Change the fields the actor may change; returns the names of those that changed.

        A field the current status required to be entered cannot be emptied afterwards.
        """
        self._check_editable(changes, actor)
        probe = dataclasses.replace(self, activity=list(self.activity), bookings=self.bookings)
        probe._apply(changes)
        still_required = {
            name
            for rule in workflow.transitions
            if rule.target == self.status
            for name in probe.required_for(rule)
        }
        emptied = [
            DomainError(_("required in this status"), field=client_field(name), code="REQUIRED")
            for name in sorted(still_required)
            if probe.field_value(name) in (None, "") and self.field_value(name) not in (None, "")
        ]
        if emptied:
            raise ValidationFailed(emptied)
        changed = self._apply(changes)
        if changed:
            self.updated_at = now
            self._log(EntryKind.EDITED, actor, user, now, Visibility.CONTRACTOR, fields=changed)
            contact = self.operator_contact.user_id if self.operator_contact else None
            self.record(
                OrderEdited(
                    order_id=self.id,
                    number=self.number,
                    fields=changed,
                    operator_contact_user_id=(contact if "operator_contact" in changed else None),
                )
            )
        return changed

    def transition(
        self,
        workflow: Workflow,
        target: str,
        *,
        actor: Actor,
        user: str,
        now: datetime,
        comment: str = "",
        changes: dict[str, Any] | None = None,
        attachments: tuple[AttachmentRef, ...] = (),
    ) -> None:
        """Move to `target` as the workflow allows this actor, setting `changes` on the way.

        Every missing required field is named at once; nothing changes unless all is well.
        """
        changes = dict(changes or {})
        if not workflow.has_status(target):
            raise DomainError(_("unknown status"), field="status", code="UNKNOWN_CODE")
        rule = workflow.transition(self.status, target)
        if rule is None:
            raise DomainError(
                _(
                    "the workflow does not allow going from '{current}' to '{target}'",
                    current=Labelled(
                        self.status,
                        workflow.status(self.status).labels
                        if workflow.has_status(self.status)
                        else {},
                    ),
                    target=Labelled(target, workflow.status(target).labels),
                ),
                field="status",
                code="TRANSITION_NOT_ALLOWED",
            )
        if actor not in rule.actors:
            raise Forbidden(_("you may not make this change of status"), field="status")
        self._check_editable(changes, actor)
        probe = dataclasses.replace(self, activity=list(self.activity), bookings=self.bookings)
        probe._apply(changes)
        required = probe.required_for(rule)
        problems = Problems()
        for name in required:
            if probe.field_value(name) in (None, ""):
                problems.add(
                    DomainError(
                        _("required for this status"), field=client_field(name), code="REQUIRED"
                    )
                )
        if rule.comment_required and not comment:
            problems.add(
                DomainError(
                    _("a comment is required for this status"), field="comment", code="REQUIRED"
                )
            )
        problems.raise_if_any()
        changed = self._apply(changes)
        source = self.status
        status = workflow.status(target)
        self.status = status.code
        self.status_category = status.category
        self.updated_at = now
        if status.category in ACTIVE_CATEGORIES:
            self.closed_at = None
        elif self.closed_at is None or status.category in (Category.DONE, Category.REJECTED):
            self.closed_at = now
        self._log(
            EntryKind.STATUS_CHANGED,
            actor,
            user,
            now,
            Visibility.CONTRACTOR if comment else Visibility.RESIDENT,
            text=comment,
            status_from=source,
            status_to=status.code,
            fields=changed,
            attachments=attachments,
        )
        self.record(
            OrderStatusChanged(
                order_id=self.id,
                number=self.number,
                status_from=source,
                status_to=status.code,
                category=status.category.value,
                actor=actor.value,
            )
        )
        if status.category is Category.DONE:
            self.record(
                OrderCompleted(
                    order_id=self.id,
                    number=self.number,
                    order_type=self.order_type,
                    status=self.status,
                    customer_organisation_id=self.customer_organisation_id,
                    assignee_organisation_id=self.assignee_organisation_id,
                    invoice_reference=self.invoice_reference,
                    invoice_marking=(
                        self.customer_request.invoice_marking or None
                        if self.customer_request
                        else None
                    ),
                    completed_at=now,
                )
            )
        elif status.category is Category.CANCELLED:
            self.record(
                OrderCancelled(
                    order_id=self.id, number=self.number, status=self.status, cancelled_at=now
                )
            )

    def add_note(
        self,
        workflow: Workflow,
        event_code: str,
        phrase_code: str | None,
        text: str,
        *,
        actor: Actor,
        user: str,
        now: datetime,
    ) -> Entry:
        """A note with one of the workflow's predefined events (Händelse) and phrases (Fras)."""
        if actor not in (Actor.STAFF, Actor.CONTRACTOR):
            raise Forbidden(_("only staff and the assigned contractor write notes"))
        event = workflow.note_event(event_code)
        if event is None:
            raise DomainError(_("unknown note event"), field="event", code="UNKNOWN_CODE")
        if phrase_code is not None and phrase_code not in {p.code for p in event.phrases}:
            raise DomainError(
                _("unknown phrase for this event"), field="phrase", code="UNKNOWN_CODE"
            )
        entry = self._log(
            EntryKind.NOTE,
            actor,
            user,
            now,
            event.visibility,
            text=text,
            event_code=event.code,
            phrase_code=phrase_code,
        )
        self.record(
            NoteAdded(
                order_id=self.id,
                number=self.number,
                entry_id=entry.id,
                event_code=event.code,
                phrase_code=phrase_code,
                visibility=event.visibility.value,
            )
        )
        return entry

    def ask_question(self, text: str, *, actor: Actor, user: str, now: datetime) -> Entry:
        """A question to the orderer (Beställningsfråga)."""
        if actor is not Actor.CONTRACTOR:
            raise Forbidden(_("questions to the orderer come from the assigned contractor"))
        self._require_text(text, "text")
        entry = self._log(EntryKind.QUESTION, actor, user, now, Visibility.CONTRACTOR, text=text)
        self.record(
            QuestionAsked(order_id=self.id, number=self.number, entry_id=entry.id, asked_by=user)
        )
        return entry

    def answer_question(
        self, question_id: str, text: str, *, actor: Actor, user: str, now: datetime
    ) -> Entry:
        """The orderer's answer (Beställningssvar); each question is answered once."""
        if actor is not Actor.STAFF:
            raise Forbidden(_("the orderer at the operator answers questions"))
        if self.question(question_id) is None:
            raise NotFound(_("no such question"), field="questionId")
        if self.answered(question_id):
            raise DomainError(
                _("this question is answered already"), field="questionId", code="ANSWERED"
            )
        self._require_text(text, "text")
        entry = self._log(
            EntryKind.ANSWER,
            actor,
            user,
            now,
            Visibility.CONTRACTOR,
            text=text,
            question_id=question_id,
        )
        self.record(
            QuestionAnswered(
                order_id=self.id, number=self.number, entry_id=entry.id, question_id=question_id
            )
        )
        return entry

    def add_comment(
        self,
        text: str,
        attachments: tuple[AttachmentRef, ...],
        visibility: Visibility | None,
        *,
        actor: Actor,
        user: str,
        now: datetime,
    ) -> Entry:
        """A dialog comment (Dialog med JM), with attachments; it can never be overwritten."""
        if not text and not attachments:
            raise DomainError(_("write a comment or attach a file"), field="text", code="REQUIRED")
        if actor is Actor.STAFF:
            chosen = visibility or Visibility.CONTRACTOR
        elif actor is Actor.CONTRACTOR:
            if visibility is Visibility.INTERNAL:
                raise Forbidden(
                    _("internal entries are for the operator's staff"), field="visibility"
                )
            chosen = visibility or Visibility.CONTRACTOR
        elif actor is Actor.CUSTOMER:
            chosen = Visibility.RESIDENT
        else:
            raise Forbidden(_("comments come from people"))
        entry = self._log(
            EntryKind.COMMENT, actor, user, now, chosen, text=text, attachments=attachments
        )
        self.record(
            CommentAdded(
                order_id=self.id,
                number=self.number,
                entry_id=entry.id,
                visibility=chosen.value,
                attachment_count=len(attachments),
                author=user,
            )
        )
        return entry

    def breach_sla(self, today: date, *, now: datetime) -> list[str]:
        """Record each SLA date passed while the order is still waiting for it, once."""
        breached: list[str] = []
        checks = (
            ("contact", self.expected_contact_date, self.status_category is Category.NEW),
            ("delivery", self.expected_delivery_date, self.active),
        )
        for kind, due, pending in checks:
            if due is None or not pending or today <= due or kind in self.sla_breaches:
                continue
            self.sla_breaches = (*self.sla_breaches, kind)
            self._log(
                EntryKind.SLA_BREACHED, Actor.SYSTEM, "system", now, Visibility.INTERNAL, text=kind
            )
            self.record(
                SlaBreached(
                    order_id=self.id,
                    number=self.number,
                    kind=kind,
                    due_date=due,
                    status=self.status,
                )
            )
            breached.append(kind)
        return breached

    # -- bookings (Avonova) -----------------------------------------------------------------

    def add_booking_slot(
        self,
        *,
        starts_at: datetime,
        ends_at: datetime,
        place: str,
        capacity: int,
        cut_off: datetime,
        actor: Actor,
        user: str,
        now: datetime,
    ) -> Booking:
        booking = Booking.slot(
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            capacity=capacity,
            cut_off=cut_off,
            actor=actor,
        )
        self.bookings.append(booking)
        self._booking_changed(booking, None, "slot_added", actor=actor, user=user, now=now)
        return booking

    def book(
        self,
        booking_id: str,
        employee_id: str,
        *,
        of_customer: bool,
        actor: Actor,
        user: str,
        now: datetime,
    ) -> Booking:
        booking = self._open_slot(booking_id, actor, now)
        booking.add(employee_id, of_customer=of_customer)
        self._booking_changed(booking, employee_id, "booked", actor=actor, user=user, now=now)
        return booking

    def unbook(
        self, booking_id: str, employee_id: str, *, actor: Actor, user: str, now: datetime
    ) -> Booking:
        booking = self._open_slot(booking_id, actor, now)
        booking.remove(employee_id)
        self._booking_changed(booking, employee_id, "unbooked", actor=actor, user=user, now=now)
        return booking

    def _open_slot(self, booking_id: str, actor: Actor, now: datetime) -> Booking:
        return open_slot(self.bookings, booking_id, actor=actor, order_active=self.active, now=now)

    def _booking_changed(
        self,
        booking: Booking,
        employee_id: str | None,
        event_code: str,
        *,
        actor: Actor,
        user: str,
        now: datetime,
    ) -> None:
        self.updated_at = now
        self._log(EntryKind.BOOKING, actor, user, now, Visibility.RESIDENT, event_code=event_code)
        self.record(
            BookingChanged(
                order_id=self.id,
                number=self.number,
                booking_id=booking.id,
                employee_id=employee_id,
                booked=len(booking.employees),
                employee_on_slot=None if employee_id is None else employee_id in booking.employees,
                capacity=booking.capacity,
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                place=booking.place,
            )
        )

    # -- internals --------------------------------------------------------------------------

    def _check_editable(self, changes: dict[str, Any], actor: Actor) -> None:
        allowed = EDITABLE_BY[actor]
        refused: list[DomainError] = [
            Forbidden(_("you may not change this field"), field=client_field(name))
            for name in changes
            if name not in allowed
        ]
        if refused:
            raise ValidationFailed(refused)
        if changes and actor is Actor.CUSTOMER and self.status_category is not Category.NEW:
            raise Forbidden(_("the order is being handled; ask the operator to change it"))
        if changes and actor is Actor.CONTRACTOR and not self.active:
            raise DomainError(_("a finished order cannot be changed"), code="CLOSED")
        # What was reported on completion is final once the order is finished.
        final = [
            DomainError(
                _("final once the order is finished"), field=client_field(name), code="CLOSED"
            )
            for name in changes
            if name in COMPLETION_FIELDS and not self.active
        ]
        if final:
            raise ValidationFailed(final)

    def _apply(self, changes: dict[str, Any]) -> list[str]:
        changed: list[str] = []
        for name, value in changes.items():
            if self.field_value(name) == value:
                continue
            if name.startswith("avser."):
                self.avser = replace(self.avser or Avser(), **{name.removeprefix("avser."): value})
            elif name == "priority":
                self.priority, self.priority_rank = value
            else:
                setattr(self, name, value)
            changed.append(name)
        return changed

    def _require_text(self, text: str, field_name: str) -> None:
        if not text:
            raise DomainError(_("this is required"), field=field_name, code="REQUIRED")

    def _log(
        self,
        kind: str,
        actor: Actor,
        user: str,
        now: datetime,
        visibility: Visibility,
        **details: Any,
    ) -> Entry:
        entry = Entry(
            id=new_id(),
            at=now,
            kind=kind,
            actor_user=user,
            actor=actor,
            visibility=visibility,
            **details,
        )
        self.activity.append(entry)
        return entry
