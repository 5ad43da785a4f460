"""Notifications by e-mail: from another service's event to mails recorded in the outbox, the
outbox delivered over SMTP, daily digests, and what users and staff may read and change.

- `Notifier.handle(event)` (called by the durable consumers in
  `entrypoints/notification_consumers.py`): the tenant's rules decide who is told; each mail is
  rendered in the recipient's language and recorded under an id made of the event, the kind and
  the recipient, so a redelivered event records nothing twice. Nobody is told of their own action,
  and a user who switched a kind off is not told at all.
- `MailDelivery.round()` (a periodic job): claims due mails, sends them, marks them sent, or
  retries them later with backoff (a server that is down delays mail, it never drops it), or
  marks them failed with the reason when the server refuses them for good.
- `DigestRound.round()`: the mails users chose to have once a day, gathered into one.
- `NotificationDesk`: preferences (the caller's own), the tenant's settings and account managers
  and the failed mails (staff).

The protocols of what these need (stores, directory, renderer) are beside them, in this module.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format
from portal_kit.clock import Clock
from portal_kit.domain import DomainError, NotFound
from portal_kit.events import CloudEvent
from portal_kit.mail import Mailer, MailNotSent, OutgoingMail
from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page
from portal_kit.versioned import event_version
from pydantic import ValidationError

from portal_people.domain.contact import check_email
from portal_people.domain.employee import Employee
from portal_people.domain.notifications import (
    NO_ADDRESS,
    NO_TEMPLATE,
    UNKNOWN_RECIPIENT,
    Mode,
    NotificationSettings,
    OutboxMail,
    Preference,
    Preferences,
    Recipient,
    Rule,
    Side,
    Status,
    next_digest,
    notification_id,
    quote_of,
    retry_delay,
    undeliverable,
)
from portal_people.domain.organisation import OrganisationKind
from portal_people.domain.tenant import Tenant
from portal_people.domain.user import User
from portal_people.mails import texts
from portal_people.service_layer import access

log = logging.getLogger(__name__)


# -- ports -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None


class MailRenderer(Protocol):
    def render(self, template: str, locale: str, values: Mapping[str, Any]) -> RenderedMail: ...


class SettingsStore(Protocol):
    async def get(self) -> NotificationSettings: ...
    async def put(self, settings: NotificationSettings) -> None: ...


class PreferenceStore(Protocol):
    async def get(self, user_id: str) -> Preferences: ...
    async def put(self, user_id: str, preference: Preference) -> None: ...


class OrderFacts(Protocol):
    """What people keeps of each order (by its id) and ticket (by `ticket:<id>`) from their
    services' events, for rules to read. Each fact, and each member of a list fact, keeps the
    version of the event it comes from (`portal_kit.versioned.event_version`): an older event
    handled after a newer one changes none of what the newer one set."""

    async def learn(self, order_id: str, facts: Mapping[str, Any], *, version: str) -> None: ...
    async def facts(self, order_id: str) -> dict[str, Any]: ...
    async def include(
        self, key: str, fact: str, value: str, present: bool, *, version: str
    ) -> None:
        """Adds `value` to the list fact (or takes it out when not `present`), unless a newer
        event already added or took out that same value."""

    async def booking_change(
        self, order_id: str, booking_id: str, employee_id: str, event_id: str
    ) -> str: ...


class RecipientDirectory(Protocol):
    async def tenant(self) -> Tenant | None: ...
    async def users(self, user_ids: Sequence[str]) -> list[User]: ...
    async def members(self, organisation_id: str) -> list[User]: ...
    async def parent_of(self, organisation_id: str) -> str | None: ...
    async def employee(self, employee_id: str) -> Employee | None: ...


class TicketPosts(Protocol):
    """A ticket post's text as `reader` may read it through the public API (None: they may not,
    or it cannot be read now)."""

    async def text_for(self, reader: User, ticket_id: str, entry_id: str) -> str | None: ...


class MailOutbox(Protocol):
    async def record(self, mail: OutboxMail) -> bool:
        """False when a mail with this id is already recorded (nothing is written)."""

    async def get(self, mail_id: str) -> OutboxMail | None: ...
    async def failed(self, after: Keyset | None, size: int) -> Page[OutboxMail]: ...
    async def requeue(self, mail_id: str, now: datetime) -> OutboxMail | None: ...
    async def digest_items(self, recipient_key: str, due: datetime) -> list[OutboxMail]: ...
    async def mark_digested(self, mail_ids: Sequence[str]) -> None: ...


class DeliveryQueue(Protocol):
    """The outbox of every tenant, as the delivery job sees it."""

    async def claim(
        self, now: datetime, lease_until: datetime, mail_id: str | None = None
    ) -> OutboxMail | None: ...
    async def sent(self, mail: OutboxMail, at: datetime) -> None: ...
    async def retry(self, mail: OutboxMail, at: datetime, reason: str) -> None: ...
    async def fail(self, mail: OutboxMail, reason: str) -> None: ...
    async def due_digests(self, now: datetime) -> list[tuple[str, str, datetime]]: ...


# -- deciding who is told --------------------------------------------------------------------


def locale_of(requested: str | None, tenant: Tenant) -> str:
    configuration = tenant.configuration
    return requested if requested in configuration.locales else configuration.default_locale


def side_of(user: User) -> set[Side]:
    kinds = {m.organisation_kind for m in user.memberships}
    sides = set()
    if OrganisationKind.OPERATOR in kinds:
        sides.add(Side.STAFF)
    if OrganisationKind.CONTRACTOR in kinds:
        sides.add(Side.CONTRACTOR)
    if OrganisationKind.CUSTOMER in kinds:
        sides.add(Side.CUSTOMER)
    return sides


def _ids(value: Any) -> list[str]:
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return []


def user_recipient(user: User) -> Recipient:
    roles = tuple(dict.fromkeys(r for m in user.memberships for r in m.roles))
    email = user.email if user.active and user.email else None
    return Recipient(f"user:{user.id}", user.id, email, user.locale, roles)


def time_zone_offset(tenant: Tenant, now: datetime) -> timedelta:
    try:
        zone = ZoneInfo(tenant.configuration.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return timedelta(0)
    return zone.utcoffset(now) or timedelta(0)


ORDER_FACTS = ("number", "assignee_organisation_id", "operator_contact_user_id")
ORDER_FACTS_ON_CREATE = (*ORDER_FACTS, "customer_organisation_id", "created_by")
TICKET_FACTS_ON_CREATE = ("number", "created_by", "organisation_id", "private")


class Notifier:
    """One tenant's notification rules applied to the events of that tenant."""

    def __init__(
        self,
        *,
        settings: SettingsStore,
        orders: OrderFacts,
        directory: RecipientDirectory,
        preferences: PreferenceStore,
        outbox: MailOutbox,
        renderer: MailRenderer,
        public_url: str,
        clock: Clock,
        posts: TicketPosts | None = None,
    ) -> None:
        self.settings = settings
        self.posts = posts
        self.orders = orders
        self.directory = directory
        self.preferences = preferences
        self.outbox = outbox
        self.renderer = renderer
        self.public_url = public_url.rstrip("/")
        self.clock = clock

    async def _ticket_facts(self, event: CloudEvent, facts: dict[str, Any]) -> dict[str, Any]:
        ticket_id = facts.get("ticket_id")
        if not isinstance(ticket_id, str) or not ticket_id:
            return facts
        key = f"ticket:{ticket_id}"
        version = event_version(event)
        if event.name == "created":
            await self.orders.learn(
                key, {k: facts.get(k) for k in TICKET_FACTS_ON_CREATE}, version=version
            )
        elif event.name in ("follower_added", "follower_removed"):
            follower = facts.get("follower_id")
            if isinstance(follower, str) and follower:
                present = event.name == "follower_added"
                await self.orders.include(
                    key, "follower_user_ids", follower, present, version=version
                )
        return {**(await self.orders.facts(key)), **facts}

    async def facts_of(self, event: CloudEvent) -> dict[str, Any]:
        """The event's payload with what people keeps of its order or ticket."""
        facts: dict[str, Any] = dict(event.data)
        if event.type.startswith("portal.tickets.ticket."):
            return await self._ticket_facts(event, facts)
        if not event.type.startswith("portal.orders.order."):
            return facts
        order_id = facts.get("order_id")
        if not isinstance(order_id, str) or not order_id:
            return facts
        version = event_version(event)
        if event.name == "created":
            await self.orders.learn(
                order_id, {k: facts.get(k) for k in ORDER_FACTS_ON_CREATE}, version=version
            )
        elif event.name == "assigned":
            await self.orders.learn(
                order_id,
                {"assignee_organisation_id": facts.get("assignee_organisation_id")},
                version=version,
            )
        elif event.name == "edited" and "operator_contact" in _ids(facts.get("fields")):
            # The operator contact changed: later comments and questions reach the new one
            # ("" when the new contact is no user, or none: then nobody).
            contact = facts.get("operator_contact_user_id") or ""
            await self.orders.learn(
                order_id, {"operator_contact_user_id": contact}, version=version
            )
        known = await self.orders.facts(order_id)
        merged = {**known, **facts}
        booking, employee = facts.get("booking_id"), facts.get("employee_id")
        on_slot = facts.get("employee_on_slot")
        if event.name == "booking_changed" and isinstance(booking, str):
            if isinstance(employee, str) and employee and isinstance(on_slot, bool):
                # The event says which it was: read the same in any order of delivery.
                merged["booking_change"] = "booked" if on_slot else "unbooked"
            elif isinstance(employee, str) and employee:
                # An event from before orders said so: inferred from what people saw before.
                change = await self.orders.booking_change(order_id, booking, employee, event.id)
                merged["booking_change"] = change
            else:
                merged["booking_change"] = "slot_added"
        return merged

    async def handle(self, event: CloudEvent) -> int:
        """Records the event's mails; returns how many were recorded now."""
        settings = await self.settings.get()
        rules = settings.rules_for(event.type.removeprefix("portal."))
        facts = await self.facts_of(event)
        if not rules:
            return 0
        tenant = await self.directory.tenant()
        if tenant is None:
            log.warning("notification for an unknown tenant ignored", extra={"event": event.id})
            return 0
        attention = frozenset(settings.attention_statuses)
        told: set[str] = set()
        recorded = 0
        for rule in rules:
            if not rule.applies(facts, attention):
                continue
            actor = facts.get(rule.actor_field) if rule.actor_field else None
            if rule.actor_side and not await self._acted_from(actor, rule.actor_side):
                continue
            for recipient in await self._recipients(rule, facts, settings):
                if recipient.key in told or (actor and recipient.user_id == actor):
                    continue
                told.add(recipient.key)
                mail = await self._mail(event, rule, recipient, facts, settings, tenant)
                if mail is not None and await self.outbox.record(mail):
                    recorded += 1
        return recorded

    async def _acted_from(self, actor: Any, sides: tuple[Side, ...]) -> bool:
        if not isinstance(actor, str) or not actor:
            return False
        found = await self.directory.users([actor])
        return bool(found) and bool(side_of(found[0]) & set(sides))

    async def _with_parents(self, organisations: list[str]) -> list[str]:
        """The organisations and those above them (a department's parents), each once."""
        found = list(dict.fromkeys(organisations))
        for organisation in list(found):
            parent = await self.directory.parent_of(organisation)
            while parent is not None and parent not in found and len(found) < 20:
                found.append(parent)
                parent = await self.directory.parent_of(parent)
        return found

    async def _recipients(
        self, rule: Rule, facts: Mapping[str, Any], settings: NotificationSettings
    ) -> list[Recipient]:
        found: list[Recipient] = []
        for source in rule.recipients:
            value = facts.get(source.field)
            if source.source == "users":
                ids = _ids(value)
                users = {u.id: u for u in await self.directory.users(ids)}
                for user_id in ids:
                    user = users.get(user_id)
                    found.append(
                        user_recipient(user)
                        if user is not None
                        else Recipient(f"user:{user_id}", user_id, None, None, known=False)
                    )
            elif source.source == "members":
                organisations = _ids(value)
                if source.upward:
                    organisations = await self._with_parents(organisations)
                for organisation in organisations:
                    for user in await self.directory.members(organisation):
                        roles = {
                            r
                            for m in user.memberships
                            if m.organisation_id == organisation
                            for r in m.roles
                        }
                        if user.active and (source.role is None or source.role in roles):
                            found.append(user_recipient(user))
            elif source.source == "account_manager":
                for organisation in _ids(value):
                    manager = settings.account_managers.get(organisation)
                    if manager is None:
                        continue
                    managers = await self.directory.users([manager])
                    found.append(
                        user_recipient(managers[0])
                        if managers
                        else Recipient(f"user:{manager}", manager, None, None, known=False)
                    )
            elif source.source == "employee":
                for employee_id in _ids(value):
                    employee = await self.directory.employee(employee_id)
                    email = employee.email if employee is not None and employee.active else None
                    found.append(
                        Recipient(
                            f"employee:{employee_id}",
                            None,
                            email or None,
                            None,
                            known=employee is not None,
                        )
                    )
        return found

    async def _mail(
        self,
        event: CloudEvent,
        rule: Rule,
        recipient: Recipient,
        facts: Mapping[str, Any],
        settings: NotificationSettings,
        tenant: Tenant,
    ) -> OutboxMail | None:
        mode = Mode.IMMEDIATE
        if recipient.user_id is not None:
            preference = (await self.preferences.get(recipient.user_id)).for_kind(
                rule.kind, settings, recipient.roles
            )
            if not preference.enabled:
                return None
            mode = preference.mode
        now = self.clock()
        locale = locale_of(recipient.locale, tenant)
        portal = portal_address(settings, self.public_url, tenant.id)
        link = portal + rule.link_for(facts)
        values = {
            "portal": tenant.name,
            "portal_url": portal,
            "number": facts.get("number") or "",
            "link": link,
            "kind": rule.kind,
            "when": appointment_time(facts, tenant, locale),
            "place": facts.get("place") or "",
            "reply": await self._quote(rule, recipient, facts),
        }
        problem = None
        try:
            rendered = self.renderer.render(rule.kind, locale, values)
        except LookupError:
            # A tenant's own rule naming a kind no template exists for: failed, for staff to see.
            rendered = RenderedMail(subject=rule.kind, text="", html=None)
            problem = NO_TEMPLATE
        mail = OutboxMail(
            id=notification_id(event.id, rule.kind, recipient.key),
            tenant=tenant.id,
            kind=rule.kind,
            event_id=event.id,
            recipient_key=recipient.key,
            to=recipient.email,
            locale=locale,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            created_at=now,
            next_attempt_at=now,
            sender_name=settings.sender_name or tenant.name,
            sender_address=settings.sender_address,
            link=link,
        )
        if problem is None and not recipient.email:
            problem = NO_ADDRESS if recipient.known else UNKNOWN_RECIPIENT
        if problem is not None:
            log.warning(
                "notification cannot be sent",
                extra={"notification": mail.id, "kind": rule.kind, "problem": problem},
            )
            return undeliverable(mail, problem)
        if mode is Mode.DIGEST:
            mail.status = Status.DIGEST
            mail.digest_due = next_digest(now, settings.digest_hour, time_zone_offset(tenant, now))
        return mail

    async def _quote(self, rule: Rule, recipient: Recipient, facts: Mapping[str, Any]) -> str:
        """The post the event names, as this recipient may read it ("" when they may not, or
        it cannot be read now: the mail then goes without it). Read as the recipient, never
        as the service, so visibility (internal notes, private tickets) is tickets' own."""
        ticket_id, entry_id = facts.get("ticket_id"), facts.get("entry_id")
        if (
            not rule.quotes_post
            or self.posts is None
            or recipient.user_id is None
            or not isinstance(ticket_id, str)
            or not isinstance(entry_id, str)
        ):
            return ""
        readers = await self.directory.users([recipient.user_id])
        if not readers or not readers[0].active:
            return ""
        text = await self.posts.text_for(readers[0], ticket_id, entry_id)
        return quote_of(text) if text else ""


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def appointment_time(facts: Mapping[str, Any], tenant: Tenant, locale: str) -> str:
    """A booking's time as the recipient reads dates, in the tenant's time zone (Babel, CLDR):
    nb `torsdag 3. desember 2026, 09:00–09:30`, sv `torsdag 3 december 2026 09:00–09:30`; ""
    when the event names none (an event published before bookings carried their time)."""
    starts, ends = _instant(facts.get("starts_at")), _instant(facts.get("ends_at"))
    if starts is None:
        return ""
    try:
        zone: ZoneInfo | None = ZoneInfo(tenant.configuration.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    try:
        local = starts.astimezone(zone) if zone else starts
        end = (ends.astimezone(zone) if zone else ends) if ends is not None else None
        return _local_span(local, end, locale)
    except (OverflowError, ValueError, UnknownLocaleError):  # the calendar's edge, a bad locale
        return ""


def _local_span(starts: datetime, ends: datetime | None, locale: str) -> str:
    # The locale's own way of joining a date and a time ('{1}, {0}' in nb, '{1} {0}' in sv).
    joined = get_datetime_format("full", locale=locale)

    def at(day: datetime, times: str) -> str:
        return (
            str(joined)
            .replace("{1}", format_date(day, "full", locale=locale))
            .replace("{0}", times)
        )

    start_time = format_time(starts, "short", locale=locale)
    if ends is None:
        return at(starts, start_time)
    if ends.date() == starts.date():
        return at(starts, f"{start_time}–{format_time(ends, 'short', locale=locale)}")
    return f"{at(starts, start_time)} – {at(ends, format_time(ends, 'short', locale=locale))}"


def portal_address(settings: NotificationSettings, public_url: str, tenant: str) -> str:
    return (settings.portal_url or f"{public_url.rstrip('/')}/{tenant}").rstrip("/")


# -- delivering ------------------------------------------------------------------------------

_ADDRESS = re.compile(r"[^\s<>]+@[A-Za-z0-9.-]+")


def without_addresses(reason: str) -> str:
    """An SMTP server's answer with any e-mail address in it blanked (for logs and staff)."""
    return _ADDRESS.sub("<address>", reason)[:300]


@dataclass(frozen=True)
class DeliveryPolicy:
    retry_seconds: float = 5.0
    max_retry_seconds: float = 300.0
    # A server refusing a mail for good (5xx) is believed after this many tries.
    permanent_after: int = 3
    lease_seconds: float = 120.0
    concurrency: int = 8


class MailDelivery:
    def __init__(
        self,
        queue: DeliveryQueue,
        mailer: Mailer,
        *,
        policy: DeliveryPolicy,
        clock: Clock,
    ) -> None:
        self.queue = queue
        self.mailer = mailer
        self.policy = policy
        self.clock = clock
        self.delivered = 0

    def _lease(self) -> tuple[datetime, datetime]:
        now = self.clock()
        return now, now + timedelta(seconds=self.policy.lease_seconds)

    async def round(self) -> int:
        """Sends every mail that is due now; returns how many went out."""
        sent = 0
        while True:
            claimed = []
            for _ in range(self.policy.concurrency):
                mail = await self.queue.claim(*self._lease())
                if mail is None:
                    break
                claimed.append(mail)
            if not claimed:
                return sent
            results = await asyncio.gather(*(self._deliver(m) for m in claimed))
            sent += sum(results)

    async def now(self, mail_id: str) -> Status:
        """Try this one mail at once (an invitation: the answer says whether it went)."""
        mail = await self.queue.claim(*self._lease(), mail_id=mail_id)
        if mail is None:
            return Status.QUEUED
        return Status.SENT if await self._deliver(mail) else Status.QUEUED

    async def _deliver(self, mail: OutboxMail) -> bool:
        if mail.to is None:
            await self.queue.fail(mail, NO_ADDRESS)
            return False
        outgoing = OutgoingMail(
            to=mail.to,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            language=mail.locale,
            sender_name=mail.sender_name,
            sender_address=mail.sender_address,
            message_id=f"<{mail.id}@portal.notifications>",
        )
        try:
            await self.mailer.send(outgoing)
        except MailNotSent as error:
            attempts = mail.attempts + 1
            reason = without_addresses(error.reason)
            extra = {
                "notification": mail.id,
                "kind": mail.kind,
                "attempt": attempts,
                "problem": reason,
            }
            if error.permanent and attempts >= self.policy.permanent_after:
                log.error("e-mail refused for good", extra=extra)
                await self.queue.fail(replace(mail, attempts=attempts), reason)
            else:
                log.warning("e-mail not sent; will retry", extra=extra)
                delay = retry_delay(
                    attempts,
                    base=self.policy.retry_seconds,
                    ceiling=self.policy.max_retry_seconds,
                )
                await self.queue.retry(
                    replace(mail, attempts=attempts), self.clock() + delay, reason
                )
            return False
        await self.queue.sent(mail, self.clock())
        self.delivered += 1
        return True


class DigestRound:
    """Gathers each recipient's digest mails that are due into one mail in the outbox."""

    def __init__(
        self,
        queue: DeliveryQueue,
        outbox_of: Any,
        renderer: MailRenderer,
        tenants: Any,
        *,
        clock: Clock,
    ) -> None:
        self.queue = queue
        self.outbox_of = outbox_of  # tenant -> MailOutbox
        self.renderer = renderer
        self.tenants = tenants  # tenant -> Tenant | None (awaitable)
        self.clock = clock

    async def round(self) -> int:
        made = 0
        for tenant_id, recipient_key, due in await self.queue.due_digests(self.clock()):
            outbox: MailOutbox = self.outbox_of(tenant_id)
            items = await outbox.digest_items(recipient_key, due)
            tenant = await self.tenants(tenant_id)
            if not items or tenant is None:
                continue
            first = items[0]
            values = {
                "portal": tenant.name,
                "items": [{"subject": i.subject, "link": i.link or ""} for i in items],
            }
            rendered = self.renderer.render("digest", first.locale, values)
            now = self.clock()
            digest = OutboxMail(
                id=notification_id(f"digest:{due.isoformat()}", "digest", recipient_key),
                tenant=tenant_id,
                kind="digest",
                event_id=f"digest:{due.isoformat()}",
                recipient_key=recipient_key,
                to=first.to,
                locale=first.locale,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                created_at=now,
                next_attempt_at=now,
                sender_name=first.sender_name,
                sender_address=first.sender_address,
            )
            if await outbox.record(digest):
                made += 1
            await outbox.mark_digested([i.id for i in items])
        return made


# -- what users and staff read and change ----------------------------------------------------


def camel(name: str) -> str:
    """A setting's name as the API's input field names it (`digest_kinds` -> `digestKinds`)."""
    return "".join(p.title() if i else p for i, p in enumerate(name.split("_")))


@dataclass(frozen=True)
class KindPreference:
    kind: str
    enabled: bool
    mode: Mode
    digest_allowed: bool


class NotificationDesk:
    def __init__(
        self,
        principal: Principal,
        *,
        settings: SettingsStore,
        preferences: PreferenceStore,
        outbox: MailOutbox,
        directory: RecipientDirectory,
        clock: Clock,
    ) -> None:
        self.clock = clock
        self.principal = principal
        self.settings = settings
        self.preferences = preferences
        self.outbox = outbox
        self.directory = directory

    def _require_staff(self) -> None:
        access.require_staff(self.principal, self.principal.tenant)

    async def _own_roles(self) -> tuple[str, ...]:
        users = await self.directory.users([self.principal.user])
        if not users:
            raise NotFound(texts("no such user"))
        return user_recipient(users[0]).roles

    async def my_preferences(self) -> list[KindPreference]:
        settings = await self.settings.get()
        roles = await self._own_roles()
        preferences = await self.preferences.get(self.principal.user)
        return [
            KindPreference(
                kind,
                (chosen := preferences.for_kind(kind, settings, roles)).enabled,
                chosen.mode,
                kind in settings.digest_kinds,
            )
            for kind in settings.kinds()
        ]

    async def set_my_preference(self, kind: str, enabled: bool, mode: Mode) -> KindPreference:
        settings = await self.settings.get()
        await self._own_roles()
        if kind not in settings.kinds():
            raise DomainError(
                texts("no such kind of notification"), field="kind", code="UNKNOWN_CODE"
            )
        if mode is Mode.DIGEST and kind not in settings.digest_kinds:
            raise DomainError(
                texts("this portal sends this kind of notification at once, not in a digest"),
                field="mode",
                code="NOT_ALLOWED",
            )
        await self.preferences.put(self.principal.user, Preference(kind, enabled, mode))
        return KindPreference(kind, enabled, mode, kind in settings.digest_kinds)

    async def settings_of_tenant(self) -> NotificationSettings:
        self._require_staff()
        return await self.settings.get()

    async def configure(self, changes: Mapping[str, Any]) -> NotificationSettings:
        """Staff: the given settings replace the current ones (None: unchanged; `rules=[]`:
        the platform's defaults again)."""
        self._require_staff()
        current = await self.settings.get()
        url = changes.get("portal_url")
        if url and not str(url).startswith(("https://", "http://")):
            raise DomainError(
                texts("a portal address starts with https:// or http://"),
                field="portalUrl",
                code="INVALID",
            )
        given = {k: v for k, v in changes.items() if v is not None}
        if given.get("sender_address"):
            given["sender_address"] = check_email(
                str(given["sender_address"]), field="senderAddress"
            )
        merged = current.model_dump()
        merged.update(given)
        if given.get("rules") == []:
            merged["rules"] = None
        try:
            updated = NotificationSettings.model_validate(merged)
        except ValidationError as error:
            first = str(error.errors()[0]["loc"][0]) if error.errors() else ""
            raise DomainError(
                texts("not a valid setting"), field=camel(first), code="INVALID"
            ) from error
        kinds = updated.kinds()
        for name in ("disabled_kinds", "digest_kinds"):
            if any(k not in kinds for k in getattr(updated, name)):
                raise DomainError(
                    texts("no such kind of notification"), field=camel(name), code="UNKNOWN_CODE"
                )
        await self.settings.put(updated)
        return updated

    async def set_account_manager(
        self, organisation_id: str, user_id: str | None
    ) -> NotificationSettings:
        self._require_staff()
        if user_id is not None:
            users = await self.directory.users([user_id])
            if not users or not users[0].staff:
                raise NotFound(texts("no such member of the operator's staff"), field="userId")
        current = await self.settings.get()
        managers = dict(current.account_managers)
        if user_id is None:
            managers.pop(organisation_id, None)
        else:
            managers[organisation_id] = user_id
        updated = current.model_copy(update={"account_managers": managers})
        await self.settings.put(updated)
        return updated

    async def failed(self, after: Keyset | None, size: int) -> Page[OutboxMail]:
        """Mails that failed for good or are waiting for another try (staff)."""
        self._require_staff()
        return await self.outbox.failed(after, size)

    async def retry(self, mail_id: str) -> OutboxMail:
        """Staff: send a failed mail again (after the address or the server was fixed)."""
        self._require_staff()
        requeued = await self.outbox.requeue(mail_id, self.clock())
        if requeued is None:
            raise NotFound(texts("no failed notification that can be sent again"), field="id")
        return requeued
