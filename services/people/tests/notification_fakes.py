"""In-memory stand-ins of the notification ports, for the rule and delivery tests."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from portal_kit.events import CloudEvent
from portal_kit.mail import MailNotSent, OutgoingMail
from portal_kit.repository import Keyset, Page
from portal_people.domain.employee import Employee
from portal_people.domain.notifications import (
    NotificationSettings,
    OutboxMail,
    Preference,
    Preferences,
    Status,
)
from portal_people.domain.organisation import OrganisationKind
from portal_people.domain.tenant import Tenant, TenantConfiguration
from portal_people.domain.user import User, UserMembership


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Settings:
    value: NotificationSettings = field(default_factory=NotificationSettings)

    async def get(self) -> NotificationSettings:
        return self.value

    async def put(self, settings: NotificationSettings) -> None:
        self.value = settings


@dataclass
class PreferenceBook:
    chosen: dict[str, dict[str, Preference]] = field(default_factory=dict)

    async def get(self, user_id: str) -> Preferences:
        return Preferences(user_id, dict(self.chosen.get(user_id, {})))

    async def put(self, user_id: str, preference: Preference) -> None:
        self.chosen.setdefault(user_id, {})[preference.kind] = preference


@dataclass
class Orders:
    known: dict[str, dict[str, Any]] = field(default_factory=dict)
    bookings: dict[str, list[str]] = field(default_factory=dict)
    readings: dict[str, str] = field(default_factory=dict)

    versions: dict[tuple[str, ...], str] = field(default_factory=dict)

    def _newer(self, version: str, *part: str) -> bool:
        if self.versions.get(part, "") >= version:
            return False
        self.versions[part] = version
        return True

    async def learn(self, order_id: str, facts: Mapping[str, Any], *, version: str) -> None:
        known = self.known.setdefault(order_id, {})
        for fact, value in facts.items():
            if value is not None and self._newer(version, order_id, fact):
                known[fact] = value

    async def facts(self, order_id: str) -> dict[str, Any]:
        return dict(self.known.get(order_id, {}))

    async def include(
        self, key: str, fact: str, value: str, present: bool, *, version: str
    ) -> None:
        if not self._newer(version, key, fact, value):
            return
        values = self.known.setdefault(key, {}).setdefault(fact, [])
        if present and value not in values:
            values.append(value)
        elif not present and value in values:
            values.remove(value)

    async def booking_change(
        self, order_id: str, booking_id: str, employee_id: str, event_id: str
    ) -> str:
        if event_id in self.readings:
            return self.readings[event_id]
        booked = self.bookings.setdefault(booking_id, [])
        change = "unbooked" if employee_id in booked else "booked"
        if change == "booked":
            booked.append(employee_id)
        else:
            booked.remove(employee_id)
        self.readings[event_id] = change
        return change


def user(
    user_id: str,
    memberships: Sequence[tuple[str, OrganisationKind, tuple[str, ...]]],
    *,
    locale: str = "nb",
    email: str | None = None,
    tenant: str = "jm",
) -> User:
    return User(
        id=user_id,
        tenant=tenant,
        username=user_id,
        email=email if email is not None else f"{user_id}@example.com",
        name=user_id.title(),
        locale=locale,  # type: ignore[arg-type]
        memberships=[UserMembership(o, kind, roles) for o, kind, roles in memberships],
    )


@dataclass
class Directory:
    tenant_value: Tenant
    people: dict[str, User] = field(default_factory=dict)
    staff: dict[str, Employee] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)

    async def tenant(self) -> Tenant | None:
        return self.tenant_value

    async def users(self, user_ids: Sequence[str]) -> list[User]:
        return [self.people[i] for i in user_ids if i in self.people]

    async def members(self, organisation_id: str) -> list[User]:
        return [
            u
            for u in self.people.values()
            if any(m.organisation_id == organisation_id for m in u.memberships)
        ]

    async def parent_of(self, organisation_id: str) -> str | None:
        return self.parents.get(organisation_id)

    async def employee(self, employee_id: str) -> Employee | None:
        return self.staff.get(employee_id)


def tenant(
    tenant_id: str = "jm",
    country: str = "NO",
    locale: str = "nb",
    others: tuple[str, ...] = ("en",),
) -> Tenant:
    configuration = TenantConfiguration(
        country=country,  # type: ignore[arg-type]
        locales=[locale, *others],  # type: ignore[list-item]
        default_locale=locale,  # type: ignore[arg-type]
    )
    return Tenant(
        id=tenant_id, tenant=tenant_id, name=tenant_id.upper(), configuration=configuration
    )


@dataclass
class Outbox:
    """The outbox of every tenant at once: also the delivery queue."""

    mails: dict[str, OutboxMail] = field(default_factory=dict)

    async def record(self, mail: OutboxMail) -> bool:
        if mail.id in self.mails:
            return False
        self.mails[mail.id] = replace(mail)
        return True

    async def get(self, mail_id: str) -> OutboxMail | None:
        return self.mails.get(mail_id)

    async def failed(self, after: Keyset | None, size: int) -> Page[OutboxMail]:
        found = [
            m
            for m in self.mails.values()
            if m.status is Status.FAILED or (m.status is Status.QUEUED and m.attempts > 0)
        ]
        return Page(found[:size], len(found) > size, len(found))

    async def digest_items(self, recipient_key: str, due: datetime) -> list[OutboxMail]:
        return [
            m
            for m in self.mails.values()
            if m.recipient_key == recipient_key
            and m.status is Status.DIGEST
            and m.digest_due is not None
            and m.digest_due <= due
        ]

    async def mark_digested(self, mail_ids: Sequence[str]) -> None:
        for mail_id in mail_ids:
            self.mails[mail_id].status = Status.DIGESTED

    # -- the delivery queue --

    async def claim(
        self, now: datetime, lease_until: datetime, mail_id: str | None = None
    ) -> OutboxMail | None:
        for mail in sorted(self.mails.values(), key=lambda m: m.next_attempt_at):
            if mail_id is not None and mail.id != mail_id:
                continue
            if mail.status is Status.QUEUED and mail.next_attempt_at <= now:
                mail.status = Status.SENDING
                return replace(mail)
        return None

    async def sent(self, mail: OutboxMail, at: datetime) -> None:
        stored = self.mails[mail.id]
        stored.status, stored.sent_at, stored.text, stored.html = Status.SENT, at, "", None

    async def retry(self, mail: OutboxMail, at: datetime, reason: str) -> None:
        stored = self.mails[mail.id]
        stored.status, stored.attempts = Status.QUEUED, mail.attempts
        stored.next_attempt_at, stored.last_error = at, reason

    async def fail(self, mail: OutboxMail, reason: str) -> None:
        stored = self.mails[mail.id]
        stored.status, stored.attempts, stored.last_error = Status.FAILED, mail.attempts, reason

    async def due_digests(self, now: datetime) -> list[tuple[str, str, datetime]]:
        due: dict[tuple[str, str], datetime] = {}
        for m in self.mails.values():
            if m.status is Status.DIGEST and m.digest_due is not None and m.digest_due <= now:
                key = (m.tenant, m.recipient_key)
                due[key] = max(due.get(key, m.digest_due), m.digest_due)
        return [(t, r, d) for (t, r), d in due.items()]

    def of_kind(self, kind: str) -> list[OutboxMail]:
        return [m for m in self.mails.values() if m.kind == kind]


class FlakyMailer:
    """Refuses while `down` (like a server that is not there), or for good when `refusing`."""

    def __init__(self) -> None:
        self.down = False
        self.refusing = False
        self.sent: list[OutgoingMail] = []

    async def send(self, mail: OutgoingMail) -> None:
        if self.refusing:
            raise MailNotSent(f"550 mailbox {mail.to} unavailable", permanent=True)
        if self.down:
            raise MailNotSent("ConnectionRefusedError: [Errno 111] Connect call failed")
        self.sent.append(mail)


# Events made one after the other stand in that order in their aggregate's history, as the
# producing service's repository would number them.
_versions = itertools.count(1)


def event(
    type_: str,
    data: dict[str, Any],
    *,
    event_id: str,
    tenant: str = "jm",
    version: int | None = None,
) -> CloudEvent:
    """The event as its service would publish it, from the aggregate's `version` (the next one
    when not given)."""
    service = type_.split(".")[0]
    return CloudEvent(
        id=event_id,
        source=f"/portal/{service}",
        type=f"portal.{type_}",
        subject=str(data.get("order_id") or data.get("ticket_id") or data.get("invoice_id")),
        time=datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
        data=data,
        tenant=tenant,
        sequence=CloudEvent.sequence_of(next(_versions) if version is None else version, 0),
    )
