"""Use cases of orders for one caller: load what the caller may see, act, save.

`OrderDesk` gets the caller's tenant's ports (`service_layer/ports.py`: orders, organisations,
employees, counters, files) and a clock from `bootstrap.py`, or in-memory fakes in the fast tests.

Every mutation of an existing order takes the version the client saw; a stale one is refused
before anything is written. Refusals are `DomainError`s and change nothing: no document, no
event, no number taken.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from portal_kit.clock import Clock, to_the_millisecond, utc_now_to_the_millisecond
from portal_kit.counters import Sequences
from portal_kit.domain import DomainError, Forbidden, NotFound, StaleVersion
from portal_kit.gridfs import FileStore, StoredFile
from portal_kit.principal import Principal
from portal_kit.values import Problems, check_reference

from portal_orders.domain.bookings import Booking
from portal_orders.domain.messages import _
from portal_orders.domain.numbering import (
    FIRST_IN_BUNDLE,
    BundlePlace,
    bundle_of,
    bundle_space,
    counter_names,
    format_number,
    sla_dates,
)
from portal_orders.domain.order import Order, OrderDraft
from portal_orders.domain.record import AttachmentRef, Person
from portal_orders.domain.workflow import Actor, TenantConfiguration, Visibility, Workflow
from portal_orders.service_layer.access import Seen, Viewer
from portal_orders.service_layer.attachments import Upload, check_uploads
from portal_orders.service_layer.cleaning import (
    checked_draft,
    clean,
    clean_changes,
    clean_text,
)
from portal_orders.service_layer.ports import Employees, Orders, Organisations
from portal_orders.service_layer.queries import OrderQueries


class NotConfigured(DomainError):
    code = "NOT_CONFIGURED"


class OrderDesk:
    """The orders service's use cases for one caller."""

    def __init__(
        self,
        principal: Principal,
        configuration: TenantConfiguration | None,
        *,
        orders: Orders,
        organisations: Organisations,
        employees: Employees,
        counters: Sequences,
        files: FileStore,
        clock: Clock = utc_now_to_the_millisecond,
    ) -> None:
        """All of them the principal's tenant's; no configuration: orders are not set up there."""
        self.principal = principal
        self.configuration = configuration
        self.orders = orders
        self.organisations = organisations
        self.employees = employees
        self.counters = counters
        self.files = files
        self.clock = clock
        self._viewer: Viewer | None = None

    def require_configuration(self) -> TenantConfiguration:
        if self.configuration is None:
            raise NotConfigured(_("orders are not set up for this tenant"))
        return self.configuration

    async def viewer(self) -> Viewer | None:
        """None when the tenant has no orders configuration: nothing to see then."""
        if self.configuration is None:
            return None
        if self._viewer is None:
            own = list(self.principal.organisations) if self.principal.authenticated else []
            expanded = await self.organisations.with_descendants(own) if own else []
            active = self.principal.active_organisation
            customers = await self.organisations.with_descendants([active]) if active else expanded
            self._viewer = Viewer(
                self.principal, tuple(expanded), self.configuration, tuple(customers)
            )
        return self._viewer

    def local_today(self) -> date:
        configuration = self.require_configuration()
        return self.clock().astimezone(ZoneInfo(configuration.time_zone)).date()

    async def queries(self) -> OrderQueries | None:
        viewer = await self.viewer()
        if viewer is None:
            return None
        return OrderQueries(self.orders, viewer, self.clock(), self.organisations)

    # -- reading ----------------------------------------------------------------------------

    async def seen(self, order_id: str) -> Seen | None:
        """The order if the caller may see it; None for missing, invisible or another tenant's."""
        return (await self.seen_among([order_id]))[0]

    async def seen_among(self, order_ids: Sequence[str]) -> list[Seen | None]:
        """`seen` of each id, in the ids' order, read with one query of the repository."""
        viewer = await self.viewer()
        wanted = [i for i in order_ids if isinstance(i, str)]
        if viewer is None or not wanted:
            return [None] * len(order_ids)
        now = self.clock()
        found = {o.id: o for o in await self.orders.visible_among(viewer.sight(now), wanted)}
        return [
            self._seen_by(viewer, found.get(i) if isinstance(i, str) else None, now)
            for i in order_ids
        ]

    @staticmethod
    def _seen_by(viewer: Viewer, order: Order | None, now: datetime) -> Seen | None:
        actor = None if order is None else viewer.actor_for(order, now)
        return None if order is None or actor is None else Seen(order, actor, viewer)

    async def _load(self, order_id: str, version: int) -> Seen:
        seen = await self.seen(order_id)
        if seen is None:
            raise NotFound(_("no such order"), field="id")
        if seen.order.version != version:
            raise StaleVersion(
                _("it was changed by someone else since you loaded it; reload and try again"),
                field="version",
            )
        return seen

    async def _save(self, seen: Seen) -> Seen:
        await self.orders.save(seen.order)
        return seen

    # -- creating ---------------------------------------------------------------------------

    async def create_order(self, draft: OrderDraft) -> Seen:
        configuration = self.require_configuration()
        viewer = await self.viewer()
        assert viewer is not None
        if not self.principal.authenticated:
            raise Forbidden(_("sign in to do this"))
        actor = await self._creator_role(viewer, draft)
        if actor not in configuration.creators:
            raise Forbidden(_("you may not register orders here"))
        if (
            actor is Actor.CUSTOMER
            and not draft.customer_organisation_id
            and (viewer.active_organisation)
        ):
            # The new-order form starts at the customer the caller chose to work for.
            draft = dataclasses.replace(draft, customer_organisation_id=viewer.active_organisation)
        known = await self._known_organisations(
            [draft.customer_organisation_id, draft.assignee_organisation_id or ""]
        )
        draft = checked_draft(
            draft, configuration, actor=actor, organisations=viewer.customers, known=known
        )
        # Only a request that passed every check takes a number.
        now = self.clock()
        local_now = now.astimezone(ZoneInfo(configuration.time_zone))
        overall, per_second = counter_names(configuration, local_now)
        sequence = await self.counters.next(overall)
        in_second = await self.counters.next(per_second) if per_second else None
        number = format_number(configuration, sequence, local_now, in_second)
        contact, delivery = sla_dates(configuration, draft.order_date)
        bundle = bundle_of(
            configuration, draft.object.number if draft.object else None, draft.order_date
        )
        place = FIRST_IN_BUNDLE
        if bundle is not None:
            # One atomic update of the bundle's counter places the order in it, so orders
            # registered at the same instant never share a sub-bundle number.
            taken = await self.counters.next_in_group(
                f"bundle:{bundle}", bundle_space(draft.avser.space if draft.avser else "")
            )
            place = BundlePlace(taken.position, taken.group, taken.in_group)
        order = Order.create(
            tenant=self.principal.tenant,
            configuration=configuration,
            sequence=sequence,
            number=number,
            draft=draft,
            actor=actor,
            user=self.principal.user,
            now=now,
            expected_contact_date=contact,
            expected_delivery_date=delivery,
            bundle_place=place,
        )
        await self.orders.add(order)
        return Seen(order, actor, viewer)

    async def _known_organisations(self, organisation_ids: list[str]) -> set[str]:
        """Those of the ids that are organisations of the caller's tenant: in the read model of
        people's organisations, or one of the caller's own (signed by the gateway, so known even
        before its event has arrived). Anything else — another tenant's, made up — is refused
        like a missing id."""
        wanted = [i for i in organisation_ids if isinstance(i, str) and i]
        own = set(self.principal.organisations) & set(wanted)
        return own | await self.organisations.existing([i for i in wanted if i not in own])

    async def _creator_role(self, viewer: Viewer, draft: OrderDraft) -> Actor:
        if viewer.staff:
            return Actor.STAFF
        assignee = draft.assignee_organisation_id
        if assignee and assignee in viewer.organisations:
            return Actor.CONTRACTOR
        return Actor.CUSTOMER

    # -- acting on an order -----------------------------------------------------------------

    async def assign_order(
        self, order_id: str, version: int, organisation_id: str, contact: Person | None
    ) -> Seen:
        seen = await self._load(order_id, version)
        problems = Problems()
        organisation = problems.check(
            lambda: check_reference(
                organisation_id, field="assigneeOrganisationId", what=_("organisation")
            ),
            "",
        )
        contact = clean(contact, "assigneeContact", problems)
        if organisation and organisation not in await self._known_organisations([organisation]):
            problems.add(NotFound(_("no such organisation"), field="assigneeOrganisationId"))
        problems.raise_if_any()
        if seen.order.assign(
            organisation, contact, actor=seen.actor, user=self.principal.user, now=self.clock()
        ):
            await self._save(seen)
        return seen

    async def edit_order(self, order_id: str, version: int, changes: dict[str, Any]) -> Seen:
        seen = await self._load(order_id, version)
        changes = clean_changes(changes, self.require_configuration())
        seen.order.edit(
            self._workflow_of(seen.order),
            changes,
            actor=seen.actor,
            user=self.principal.user,
            now=self.clock(),
        )
        return await self._save(seen)

    async def transition_order(
        self,
        order_id: str,
        version: int,
        status: str,
        *,
        comment: str = "",
        changes: dict[str, Any] | None = None,
    ) -> Seen:
        seen = await self._load(order_id, version)
        problems = Problems()
        comment = clean_text(comment, "comment", problems)
        problems.raise_if_any()
        changes = clean_changes(changes or {}, self.require_configuration())
        workflow = self._workflow_of(seen.order)
        seen.order.transition(
            workflow,
            status.strip(),
            actor=seen.actor,
            user=self.principal.user,
            now=self.clock(),
            comment=comment,
            changes=changes,
        )
        return await self._save(seen)

    async def add_note(
        self, order_id: str, version: int, event: str, phrase: str | None, text: str
    ) -> Seen:
        seen = await self._load(order_id, version)
        problems = Problems()
        text = clean_text(text, "text", problems)
        problems.raise_if_any()
        seen.order.add_note(
            self._workflow_of(seen.order),
            event.strip(),
            phrase.strip() if phrase else None,
            text,
            actor=seen.actor,
            user=self.principal.user,
            now=self.clock(),
        )
        return await self._save(seen)

    async def ask_question(self, order_id: str, version: int, text: str) -> Seen:
        seen = await self._load(order_id, version)
        problems = Problems()
        text = clean_text(text, "text", problems, required=True)
        problems.raise_if_any()
        seen.order.ask_question(text, actor=seen.actor, user=self.principal.user, now=self.clock())
        return await self._save(seen)

    async def answer_question(
        self, order_id: str, version: int, question_id: str, text: str
    ) -> Seen:
        seen = await self._load(order_id, version)
        problems = Problems()
        text = clean_text(text, "text", problems, required=True)
        problems.raise_if_any()
        seen.order.answer_question(
            question_id, text, actor=seen.actor, user=self.principal.user, now=self.clock()
        )
        return await self._save(seen)

    async def add_comment(
        self,
        order_id: str,
        version: int,
        text: str,
        visibility: Visibility | None,
        uploads: list[Upload],
    ) -> Seen:
        seen = await self._load(order_id, version)
        configuration = self.require_configuration()
        problems = Problems()
        text = clean_text(text, "text", problems)
        problems.raise_if_any()
        checked = check_uploads(uploads, configuration.attachments)
        if seen.actor is Actor.CONTRACTOR and visibility is Visibility.INTERNAL:
            raise Forbidden(_("internal entries are for the operator's staff"), field="visibility")
        if not text and not checked:
            raise DomainError(_("write a comment or attach a file"), field="text", code="REQUIRED")
        # Files first: a file no entry refers to can never be downloaded, so a refused save
        # leaves nothing reachable behind; and what a refused comment stored is removed at once
        # rather than left in the bucket.
        store = self.files
        refs: list[AttachmentRef] = []
        try:
            for upload in checked:
                stored = await store.put(
                    upload.data,
                    filename=upload.filename,
                    content_type=upload.content_type,
                    metadata={"order_id": seen.order.id},
                )
                refs.append(
                    AttachmentRef(stored.id, upload.filename, upload.content_type, stored.length)
                )
        except Exception:
            await store.delete([ref.file_id for ref in refs])
            raise
        try:
            seen.order.add_comment(
                text,
                tuple(refs),
                visibility,
                actor=seen.actor,
                user=self.principal.user,
                now=self.clock(),
            )
            return await self._save(seen)
        except DomainError:
            # Refused (a stale version, a rule): no entry refers to these files. Only a refusal
            # is certain to have written nothing; after a fault the entry may exist, so its
            # files stay.
            await store.delete([ref.file_id for ref in refs])
            raise

    async def attachment(self, file_id: str) -> tuple[StoredFile, bytes] | None:
        """A file, if the caller may see its order and the log entry it belongs to."""
        viewer = await self.viewer()
        if viewer is None:
            return None
        now = self.clock()
        found = await self.orders.holding_file(viewer.sight(now), file_id)
        if found is None:
            return None
        actor = viewer.actor_for(found, now)
        if actor is None:
            return None
        entry = next(
            (e for e in found.activity if any(a.file_id == file_id for a in e.attachments)),
            None,
        )
        if entry is None or not viewer.sees_entry(entry, actor):
            return None
        info = await self.files.info(file_id)
        data = await self.files.read(file_id)
        if info is None or data is None:
            return None
        return info, data

    # -- bookings ---------------------------------------------------------------------------

    async def add_booking_slot(
        self,
        order_id: str,
        version: int,
        *,
        starts_at: datetime,
        ends_at: datetime,
        place: str,
        capacity: int,
        cut_off: datetime | None,
    ) -> tuple[Seen, Booking]:
        seen = await self._load(order_id, version)
        configuration = self.require_configuration()
        problems = Problems()
        place = clean_text(place, "place", problems, required=True)
        for name, moment in (("startsAt", starts_at), ("endsAt", ends_at), ("cutOff", cut_off)):
            if moment is not None and moment.utcoffset() is None:
                problems.add(DomainError(_("a time with its UTC offset"), field=name))
        problems.raise_if_any()
        starts_at, ends_at = to_the_millisecond(starts_at), to_the_millisecond(ends_at)
        cut_off = to_the_millisecond(cut_off) if cut_off is not None else None
        booking = seen.order.add_booking_slot(
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            capacity=capacity,
            cut_off=cut_off or starts_at - timedelta(hours=configuration.booking_cut_off_hours),
            actor=seen.actor,
            user=self.principal.user,
            now=self.clock(),
        )
        return await self._save(seen), booking

    async def book_employee(
        self, order_id: str, version: int, booking_id: str, employee_id: str, *, book: bool
    ) -> Seen:
        seen = await self._load(order_id, version)
        employee = employee_id.strip()
        if not employee:
            raise DomainError(_("this is required"), field="employeeId", code="REQUIRED")
        user, now = self.principal.user, self.clock()
        if book:
            of_customer = await self._of_customer(seen.order, employee)
            seen.order.book(
                booking_id, employee, of_customer=of_customer, actor=seen.actor, user=user, now=now
            )
        else:
            # Taking someone off needs no register: a deactivated employee must be removable.
            employee = check_reference(employee, field="employeeId", what=_("employee"))
            seen.order.unbook(booking_id, employee, actor=seen.actor, user=user, now=now)
        return await self._save(seen)

    async def _of_customer(self, order: Order, employee_id: str) -> bool:
        """An active employee of the order's customer organisation or of one of its
        departments, by orders' read model of people's employees. A malformed id is simply
        not one: every unknown employee answers alike."""
        try:
            employee_id = check_reference(employee_id, field="employeeId", what=_("employee"))
        except NotFound:
            return False
        employer = await self.employees.employer(employee_id)
        if employer is None:
            return False
        return employer in await self.organisations.with_descendants(
            [order.customer_organisation_id]
        )

    # -- helpers ----------------------------------------------------------------------------

    def _workflow_of(self, order: Order) -> Workflow:
        configuration = self.require_configuration()
        order_type = configuration.order_type(order.order_type)
        if order_type is None:
            raise NotConfigured(_("this order's type is no longer configured"), field="id")
        return order_type.workflow
