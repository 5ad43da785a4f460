"""MongoDB stores of notifications: the mail outbox, the tenant's notification settings, users'
preferences, what people keeps of each order (from orders' events) and the recipients' lookup.

The mail outbox (`notification_mails`) holds one document per mail, its `_id` made of the event,
the kind and the recipient: recording is an insert, so a redelivered event records nothing
twice. The delivery job claims due mails across tenants with one atomic update each (status
`sending` with a lease, so a crashed sender's mails are claimed again when the lease ends).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from portal_kit.mongo import ASCENDING, Database, Document, IndexSpec, TenantCollection
from portal_kit.repository import Keyset, Page, after_keyset
from portal_kit.versioned import VersionedDocuments
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from portal_people.adapters.employee_repositories import EmployeeRepository
from portal_people.adapters.repositories import (
    OrganisationRepository,
    TenantRegistry,
    UserRepository,
)
from portal_people.adapters.stored_values import aware
from portal_people.domain.employee import Employee
from portal_people.domain.notifications import (
    Mode,
    NotificationSettings,
    OutboxMail,
    Preference,
    Preferences,
    Status,
)
from portal_people.domain.tenant import Tenant
from portal_people.domain.user import User

MAILS = "notification_mails"
SETTINGS = "notification_settings"
PREFERENCES = "notification_preferences"
ORDERS = "notification_orders"

NOTIFICATION_INDEXES = (
    IndexSpec(MAILS, (("tenant", ASCENDING), ("status", ASCENDING), ("next_attempt_at", 1))),
    IndexSpec(MAILS, (("tenant", ASCENDING), ("recipient_key", ASCENDING), ("status", 1))),
    IndexSpec(MAILS, (("tenant", ASCENDING), ("created_key", ASCENDING), ("_id", ASCENDING))),
)

# What a user may see is the only thing a mail's stored body ever says; once sent it is dropped.
_BODY = ("text", "html")


def _to_document(mail: OutboxMail) -> Document:
    return {
        "_id": mail.id,
        "kind": mail.kind,
        "event_id": mail.event_id,
        "recipient_key": mail.recipient_key,
        "to": mail.to,
        "locale": mail.locale,
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
        "sender_name": mail.sender_name,
        "sender_address": mail.sender_address,
        "link": mail.link,
        "status": mail.status.value,
        "attempts": mail.attempts,
        "last_error": mail.last_error,
        "created_at": mail.created_at,
        "created_key": mail.created_at.isoformat(),
        "next_attempt_at": mail.next_attempt_at,
        "sent_at": mail.sent_at,
        "digest_due": mail.digest_due,
        "lease_until": None,
    }


def _from_document(document: Document) -> OutboxMail:
    def when(name: str) -> datetime | None:
        value = document.get(name)
        return aware(value) if isinstance(value, datetime) else None

    created = when("created_at")
    assert created is not None
    return OutboxMail(
        id=document["_id"],
        tenant=document["tenant"],
        kind=document["kind"],
        event_id=document["event_id"],
        recipient_key=document["recipient_key"],
        to=document.get("to"),
        locale=document.get("locale", "en"),
        subject=document.get("subject", ""),
        text=document.get("text") or "",
        html=document.get("html"),
        created_at=created,
        next_attempt_at=when("next_attempt_at") or created,
        sender_name=document.get("sender_name"),
        sender_address=document.get("sender_address"),
        link=document.get("link"),
        status=Status(document.get("status", Status.QUEUED.value)),
        attempts=int(document.get("attempts", 0)),
        last_error=document.get("last_error"),
        sent_at=when("sent_at"),
        digest_due=when("digest_due"),
    )


class MailOutboxRepository:
    """One tenant's mails."""

    def __init__(self, database: Database, tenant: str) -> None:
        self._mails = database.for_tenant(MAILS, tenant)

    async def record(self, mail: OutboxMail) -> bool:
        try:
            await self._mails.insert_one(_to_document(mail))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, mail_id: str) -> OutboxMail | None:
        found = await self._mails.find_one({"_id": mail_id})
        return None if found is None else _from_document(found)

    async def failed(self, after: Keyset | None, size: int) -> Page[OutboxMail]:
        """Failed for good, or waiting for another try after a failure; oldest first."""
        trouble = {
            "$or": [
                {"status": Status.FAILED.value},
                {
                    "status": {"$in": [Status.QUEUED.value, Status.SENDING.value]},
                    "attempts": {"$gt": 0},
                },
            ]
        }
        position = after_keyset("created_key", after)
        filter_ = {"$and": [trouble, position]} if position else trouble
        found = await self._mails.find(
            filter_, sort=(("created_key", ASCENDING), ("_id", ASCENDING)), limit=size + 1
        )
        total = await self._mails.count(trouble)
        return Page([_from_document(d) for d in found[:size]], len(found) > size, total)

    async def requeue(self, mail_id: str, now: datetime) -> OutboxMail | None:
        """A failed mail that has an address, queued again as new; None for any other."""
        found = await self._mails.find_one_and_update(
            {
                "_id": mail_id,
                "status": Status.FAILED.value,
                "to": {"$ne": None},
                "text": {"$ne": None},
            },
            {"$set": {"status": Status.QUEUED.value, "attempts": 0, "next_attempt_at": now}},
        )
        return None if found is None else _from_document(found)

    async def to_recipient(self, recipient_key: str) -> list[OutboxMail]:
        found = await self._mails.find(
            {"recipient_key": recipient_key}, sort=(("created_key", ASCENDING),)
        )
        return [_from_document(d) for d in found]

    async def digest_items(self, recipient_key: str, due: datetime) -> list[OutboxMail]:
        found = await self._mails.find(
            {
                "recipient_key": recipient_key,
                "status": Status.DIGEST.value,
                "digest_due": {"$lte": due},
            },
            sort=(("created_key", ASCENDING), ("_id", ASCENDING)),
        )
        return [_from_document(d) for d in found]

    async def mark_digested(self, mail_ids: Sequence[str]) -> None:
        for mail_id in mail_ids:
            await self._mails.update_one(
                {"_id": mail_id, "status": Status.DIGEST.value},
                {"$set": {"status": Status.DIGESTED.value, "text": None, "html": None}},
            )


async def ensure_delivery_index(database: Database) -> None:
    """The delivery job's index: due mails across tenants (platform machinery, like the outbox
    relay's sweep; the tenant-first indexes above serve everything a tenant asks)."""
    await database.system_collection(MAILS).create_index(
        [("status", ASCENDING), ("next_attempt_at", ASCENDING)], name="mails_due"
    )


class DeliveryQueueRepository:
    """Every tenant's due mails, for the delivery job (platform machinery, across tenants)."""

    def __init__(self, database: Database) -> None:
        self._mails = database.system_collection(MAILS)

    async def claim(
        self, now: datetime, lease_until: datetime, mail_id: str | None = None
    ) -> OutboxMail | None:
        due: dict[str, Any] = {
            "$or": [
                {"status": Status.QUEUED.value, "next_attempt_at": {"$lte": now}},
                {"status": Status.SENDING.value, "lease_until": {"$lte": now}},
            ]
        }
        if mail_id is not None:
            due["_id"] = mail_id
        found = await self._mails.find_one_and_update(
            due,
            {"$set": {"status": Status.SENDING.value, "lease_until": lease_until}},
            sort=[("next_attempt_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )
        return None if found is None else _from_document(found)

    async def sent(self, mail: OutboxMail, at: datetime) -> None:
        await self._mails.update_one(
            {"_id": mail.id, "tenant": mail.tenant},
            {
                "$set": {
                    "status": Status.SENT.value,
                    "sent_at": at,
                    "lease_until": None,
                    **dict.fromkeys(_BODY),
                }
            },
        )

    async def retry(self, mail: OutboxMail, at: datetime, reason: str) -> None:
        await self._mails.update_one(
            {"_id": mail.id, "tenant": mail.tenant},
            {
                "$set": {
                    "status": Status.QUEUED.value,
                    "attempts": mail.attempts,
                    "next_attempt_at": at,
                    "last_error": reason,
                    "lease_until": None,
                }
            },
        )

    async def fail(self, mail: OutboxMail, reason: str) -> None:
        await self._mails.update_one(
            {"_id": mail.id, "tenant": mail.tenant},
            {
                "$set": {
                    "status": Status.FAILED.value,
                    "attempts": mail.attempts,
                    "last_error": reason,
                    "lease_until": None,
                }
            },
        )

    async def due_digests(self, now: datetime) -> list[tuple[str, str, datetime]]:
        grouped = await self._mails.aggregate(
            [
                {"$match": {"status": Status.DIGEST.value, "digest_due": {"$lte": now}}},
                {
                    "$group": {
                        "_id": {"tenant": "$tenant", "recipient": "$recipient_key"},
                        "due": {"$max": "$digest_due"},
                    }
                },
            ]
        ).to_list(length=None)
        return [(g["_id"]["tenant"], g["_id"]["recipient"], aware(g["due"])) for g in grouped]


class SettingsRepository:
    def __init__(self, database: Database, tenant: str) -> None:
        self._settings = database.for_tenant(SETTINGS, tenant)
        self._id = f"{tenant}:notifications"

    async def get(self) -> NotificationSettings:
        found = await self._settings.find_one({"_id": self._id})
        if found is None:
            return NotificationSettings()
        return NotificationSettings.model_validate(found["settings"])

    async def put(self, settings: NotificationSettings) -> None:
        await self._settings.find_one_and_update(
            {"_id": self._id},
            {"$set": {"settings": settings.model_dump(mode="json")}},
            upsert=True,
        )


class PreferenceRepository:
    def __init__(self, database: Database, tenant: str) -> None:
        self._preferences = database.for_tenant(PREFERENCES, tenant)
        self._tenant = tenant

    def _key(self, user_id: str) -> str:
        return f"{self._tenant}:{user_id}"

    async def get(self, user_id: str) -> Preferences:
        found = await self._preferences.find_one({"_id": self._key(user_id)})
        chosen = {}
        for kind, value in ((found or {}).get("kinds") or {}).items():
            chosen[kind] = Preference(kind, bool(value["enabled"]), Mode(value["mode"]))
        return Preferences(user_id, chosen)

    async def put(self, user_id: str, preference: Preference) -> None:
        await self._preferences.find_one_and_update(
            {"_id": self._key(user_id)},
            {
                "$set": {
                    "user_id": user_id,
                    f"kinds.{preference.kind}": {
                        "enabled": preference.enabled,
                        "mode": preference.mode.value,
                    },
                }
            },
            upsert=True,
        )


class OrderFactsRepository:
    """What people keeps of each order (and ticket, keyed `ticket:<id>`), learnt from events.

    Facts come from different events (the assignee from `assigned`, the operator contact from
    `edited`), so each keeps its own version (`fact_versions.<fact>`); a list fact keeps one per
    member (`member_versions.<fact>.<member>`), which stays when the member is taken out: a late
    'added' cannot bring back a member a newer event took out (last writer wins per member)."""

    def __init__(self, database: Database, tenant: str) -> None:
        self._orders: TenantCollection = database.for_tenant(ORDERS, tenant)
        self._versioned = VersionedDocuments(self._orders)
        self._tenant = tenant

    def _key(self, order_id: str) -> str:
        return f"{self._tenant}:{order_id}"

    async def learn(self, order_id: str, facts: Mapping[str, Any], *, version: str) -> None:
        for fact, value in facts.items():
            if value is not None:
                await self._versioned.apply(
                    {"_id": self._key(order_id)},
                    version,
                    {"$set": {f"facts.{fact}": value}},
                    field=f"fact_versions.{fact}",
                )

    async def facts(self, order_id: str) -> dict[str, Any]:
        found = await self._orders.find_one({"_id": self._key(order_id)})
        return dict((found or {}).get("facts") or {})

    async def around(self, user_id: str, organisations: Sequence[str]) -> tuple[set[str], set[str]]:
        """TicketCircles: who shares a ticket with the user, from the tickets' facts."""
        tickets = {"$regex": f"^{re.escape(self._key('ticket:'))}"}
        taking_part = [{"facts.created_by": user_id}, {"facts.follower_user_ids": user_id}]
        seen_by_organisation = {
            "facts.organisation_id": {"$in": list(organisations)},
            "facts.private": False,
        }
        found = await self._orders.find(
            {"_id": tickets, "$or": [*taking_part, seen_by_organisation]},
            projection={"facts": 1},
        )
        users: set[str] = set()
        organisations_of_tickets: set[str] = set()
        for document in found:
            facts = document.get("facts") or {}
            followers = [f for f in facts.get("follower_user_ids") or [] if isinstance(f, str)]
            creator = facts.get("created_by")
            users.update(followers)
            if isinstance(creator, str):
                users.add(creator)
            organisation = facts.get("organisation_id")
            if isinstance(organisation, str) and (creator == user_id or user_id in followers):
                organisations_of_tickets.add(organisation)
        users.discard(user_id)
        return users, organisations_of_tickets

    async def include(
        self, key: str, fact: str, value: str, present: bool, *, version: str
    ) -> None:
        operator = "$addToSet" if present else "$pull"
        await self._versioned.apply(
            {"_id": self._key(key)},
            version,
            {operator: {f"facts.{fact}": value}},
            field=f"member_versions.{fact}.{_field_name(value)}",
        )

    async def booking_change(
        self, order_id: str, booking_id: str, employee_id: str, event_id: str
    ) -> str:
        """'booked' when the event put the employee on the booking, 'unbooked' when it took them
        off: the first reading of an event is kept (keyed by its id), so a redelivery reads the
        same."""
        key = self._key(order_id)
        found = await self._orders.find_one({"_id": key}) or {}
        seen = (found.get("booking_events") or {}).get(event_id)
        if seen is not None:
            return str(seen)
        booked = (found.get("bookings") or {}).get(booking_id) or []
        change = "unbooked" if employee_id in booked else "booked"
        after = [e for e in booked if e != employee_id]
        if change == "booked":
            after.append(employee_id)
        await self._orders.find_one_and_update(
            {"_id": key},
            {"$set": {f"bookings.{booking_id}": after, f"booking_events.{event_id}": change}},
            upsert=True,
        )
        return change


def _field_name(value: str) -> str:
    # Ids are hex or UUIDs; anything else (a dot, a leading '$') is hashed to a safe name.
    if re.fullmatch(r"[A-Za-z0-9_-]{1,100}", value):
        return value
    return "h" + hashlib.sha256(value.encode()).hexdigest()


class RecipientLookup:
    """Users, employees and the tenant, as the notification rules need them."""

    def __init__(
        self,
        tenants: TenantRegistry,
        users: UserRepository,
        employees: EmployeeRepository,
        tenant: str,
        organisations: OrganisationRepository,
    ) -> None:
        self._tenants = tenants
        self._organisations = organisations
        self._users = users
        self._employees = employees
        self._tenant = tenant

    async def tenant(self) -> Tenant | None:
        return await self._tenants.get(self._tenant)

    async def users(self, user_ids: Sequence[str]) -> list[User]:
        ids = [i for i in user_ids if isinstance(i, str)][:500]
        if not ids:
            return []
        return await self._users.find({"_id": {"$in": ids}})

    async def members(self, organisation_id: str) -> list[User]:
        return await self._users.find(
            {"memberships.organisation_id": organisation_id, "active": True}, limit=500
        )

    async def parent_of(self, organisation_id: str) -> str | None:
        organisation = await self._organisations.get(organisation_id)
        return organisation.parent_id if organisation is not None else None

    async def employee(self, employee_id: str) -> Employee | None:
        return await self._employees.get(employee_id)
