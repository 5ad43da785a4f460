"""Who is told what, by e-mail, when another service's event arrives: pure rules, no I/O.

A `Rule` says which event (`orders.order.comment_added`) makes which kind of notification
(`order_comment`) for which recipients, under which conditions. Rules are data: a tenant's
`NotificationSettings` starts from `DEFAULT_RULES` and can switch kinds off, mark the statuses
that need the operator's attention, allow a daily digest per kind, set default preferences per
role and name each customer organisation's account manager. Ticket and invoice events plug in
the same way (their rules are among the defaults, over the events tickets and billing publish).

The facts a rule reads are the event's payload merged with what the people service keeps of the
order (its contractor, operator contact, customer, bookings) or the ticket (its creator and
followers, from the ticket's `created` and `follower_added`/`follower_removed` events):
`Recipients.field` names one of them. Nobody is told of their own action (`Rule.actor_field`
names who acted).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Side(StrEnum):
    """Which side of the tenant an actor is on (from their memberships)."""

    STAFF = "staff"
    CONTRACTOR = "contractor"
    CUSTOMER = "customer"


class Mode(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"


class Status(StrEnum):
    """A mail in the outbox: queued (perhaps retrying: `attempts`, `last_error`), being sent,
    sent, failed for good (with the reason), or waiting for the recipient's daily digest."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DIGEST = "digest"
    DIGESTED = "digested"


class Recipients(BaseModel):
    """Who a rule tells. `field` names a fact (the event's payload or what people keeps of the
    order): `users` its user id or list of ids; `members` the active members of the
    organisation it names (only those with `role`, when given; with `upward`, also of the
    organisations above it); `account_manager` the account
    manager the tenant set for the customer organisation it names; `employee` the employee of
    the register it names (employees are not users: they get mail at their register address,
    in the tenant's default language, and have no preferences)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Literal["users", "members", "account_manager", "employee"]
    field: str = Field(min_length=1, max_length=64)
    role: str | None = Field(default=None, max_length=64)
    # `members` only: also those of the organisations above it (a customer's billing members
    # see its departments' invoices, so they hear of them too).
    upward: bool = False


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(min_length=1, max_length=64)
    # `<service>.<aggregate>.<event>`, as in the CloudEvent type after `portal.`.
    event: str = Field(min_length=3, max_length=120)
    recipients: tuple[Recipients, ...] = Field(min_length=1)
    # The fact naming who acted: that person is never told, and `actor_side` is read from it.
    actor_field: str | None = None
    actor_side: tuple[Side, ...] = ()
    # Each named fact must hold one of the values (e.g. a comment's visibility).
    when: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    # Each named fact must not hold any of the values (a ticket's internal note).
    unless: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    # Only when this fact is a status the tenant marks as needing the operator's attention.
    attention_status_field: str | None = None
    # The page the mail links to, under the tenant's portal address; `{fact}` placeholders.
    link: str = "/"
    # The mail quotes the ticket post the event names (`ticket_id`, `entry_id`). Events carry no
    # post text (it is user content), so people reads the post through the gateway as the
    # recipient: only what that recipient may read there is ever quoted (service_layer).
    quotes_post: bool = False

    def applies(self, facts: Mapping[str, Any], attention: frozenset[str]) -> bool:
        for name, allowed in self.when.items():
            if str(facts.get(name)) not in allowed:
                return False
        for name, refused in self.unless.items():
            if str(facts.get(name)) in refused:
                return False
        if self.attention_status_field is not None:
            return str(facts.get(self.attention_status_field)) in attention
        return True

    def link_for(self, facts: Mapping[str, Any]) -> str:
        try:
            return self.link.format_map({k: v for k, v in facts.items() if v is not None})
        except (KeyError, IndexError, ValueError):
            return "/"


def _members(field_name: str, role: str | None = None, *, upward: bool = False) -> Recipients:
    return Recipients(source="members", field=field_name, role=role, upward=upward)


ORDER_LINK = "/orders/{order_id}"
TICKET_LINK = "/tickets/{ticket_id}"
INVOICE_LINK = "/invoices/{invoice_id}"

DEFAULT_RULES: tuple[Rule, ...] = (
    # JM: "Når JM sender en bestilling til deg, sendes en e-post til oppgitt e-postadresse".
    Rule(
        kind="order_sent",
        event="orders.order.created",
        recipients=(_members("assignee_organisation_id"),),
        actor_field="created_by",
        link=ORDER_LINK,
    ),
    Rule(
        kind="order_sent",
        event="orders.order.assigned",
        recipients=(_members("assignee_organisation_id"),),
        link=ORDER_LINK,
    ),
    # Avonova: "din kundeansvarlige hos oss blir automatisk informert når ny bestilling sendes".
    Rule(
        kind="order_created",
        event="orders.order.created",
        recipients=(Recipients(source="account_manager", field="customer_organisation_id"),),
        actor_field="created_by",
        actor_side=(Side.CUSTOMER,),
        link=ORDER_LINK,
    ),
    # JM: a contractor's comment in 'Dialog med JM' reaches the JM contact person.
    Rule(
        kind="order_comment",
        event="orders.order.comment_added",
        recipients=(Recipients(source="users", field="operator_contact_user_id"),),
        actor_field="author",
        actor_side=(Side.CONTRACTOR,),
        unless={"visibility": ("internal",)},
        link=ORDER_LINK,
    ),
    Rule(
        kind="order_question",
        event="orders.order.question_asked",
        recipients=(Recipients(source="users", field="operator_contact_user_id"),),
        actor_field="asked_by",
        actor_side=(Side.CONTRACTOR,),
        link=ORDER_LINK,
    ),
    Rule(
        kind="order_status",
        event="orders.order.status_changed",
        recipients=(Recipients(source="users", field="operator_contact_user_id"),),
        actor_field="actor",
        actor_side=(Side.CONTRACTOR,),
        attention_status_field="status_to",
        link=ORDER_LINK,
    ),
    # Avonova: employees get e-mails about their bookings. `booking_change` is what people's
    # record of the booking makes of the event: the employee put on, or taken off.
    Rule(
        kind="booking_added",
        event="orders.order.booking_changed",
        recipients=(Recipients(source="employee", field="employee_id"),),
        when={"booking_change": ("booked",)},
        link=ORDER_LINK,
    ),
    Rule(
        kind="booking_removed",
        event="orders.order.booking_changed",
        recipients=(Recipients(source="employee", field="employee_id"),),
        when={"booking_change": ("unbooked",)},
        link=ORDER_LINK,
    ),
    # InSchool / Visma Enterprise: the creator and followers hear of public posts and status
    # changes, never of internal notes.
    Rule(
        kind="ticket_post",
        event="tickets.ticket.post_added",
        recipients=(
            Recipients(source="users", field="created_by"),
            Recipients(source="users", field="follower_user_ids"),
        ),
        actor_field="author_id",
        unless={"internal": ("True",)},
        link=TICKET_LINK,
        quotes_post=True,
    ),
    Rule(
        kind="ticket_status",
        event="tickets.ticket.status_changed",
        recipients=(
            Recipients(source="users", field="created_by"),
            Recipients(source="users", field="follower_user_ids"),
        ),
        actor_field="changed_by",
        link=TICKET_LINK,
    ),
    # The payer's billing members hear of an invoice issued, and of one overdue; so do those of
    # the organisations above a department (Avonova: the customer sees its departments').
    Rule(
        kind="invoice_issued",
        event="billing.invoice.issued",
        recipients=(_members("payer_organisation_id", role="billing", upward=True),),
        link=INVOICE_LINK,
    ),
    Rule(
        kind="invoice_overdue",
        event="billing.invoice.overdue",
        recipients=(_members("payer_organisation_id", role="billing", upward=True),),
        link=INVOICE_LINK,
    ),
)

KINDS: tuple[str, ...] = tuple(dict.fromkeys(rule.kind for rule in DEFAULT_RULES))
# What the service consumes: (service, aggregate) of every default rule's event.
SOURCES: tuple[tuple[str, str], ...] = tuple(
    dict.fromkeys(tuple(rule.event.split(".")[:2]) for rule in DEFAULT_RULES)  # type: ignore[misc]
)


class NotificationSettings(BaseModel):
    """A tenant's notification configuration; every field has a default."""

    model_config = ConfigDict(extra="forbid")

    # Links in mails start here (the SPA of this tenant); the service's public URL and the
    # tenant id when not set.
    portal_url: str | None = Field(default=None, max_length=200)
    sender_name: str | None = Field(default=None, max_length=100)
    sender_address: str | None = Field(default=None, max_length=320)
    # None: the platform's defaults (DEFAULT_RULES).
    rules: tuple[Rule, ...] | None = None
    disabled_kinds: tuple[str, ...] = ()
    attention_statuses: tuple[str, ...] = ()
    digest_kinds: tuple[str, ...] = ()
    digest_hour: int = Field(default=7, ge=0, le=23)
    # Per role, the kinds that start switched off for a user with that role.
    default_off: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    # Customer organisation id -> the operator user who manages it.
    account_managers: Mapping[str, str] = Field(default_factory=dict)

    def rules_in_force(self) -> tuple[Rule, ...]:
        return DEFAULT_RULES if self.rules is None else self.rules

    def rules_for(self, event: str) -> list[Rule]:
        return [
            r
            for r in self.rules_in_force()
            if r.event == event and r.kind not in self.disabled_kinds
        ]

    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rule.kind for rule in self.rules_in_force()))

    def default_enabled(self, kind: str, roles: tuple[str, ...]) -> bool:
        return not any(kind in self.default_off.get(role, ()) for role in roles)


@dataclass(frozen=True)
class Preference:
    kind: str
    enabled: bool
    mode: Mode = Mode.IMMEDIATE


@dataclass(frozen=True)
class Preferences:
    """One user's choices; a kind not chosen follows the tenant's default for their roles."""

    user_id: str
    chosen: Mapping[str, Preference] = field(default_factory=dict)

    def for_kind(
        self, kind: str, settings: NotificationSettings, roles: tuple[str, ...]
    ) -> Preference:
        chosen = self.chosen.get(kind)
        if chosen is None:
            return Preference(kind, settings.default_enabled(kind, roles))
        if chosen.mode is Mode.DIGEST and kind not in settings.digest_kinds:
            return Preference(kind, chosen.enabled)
        return chosen


@dataclass(frozen=True)
class Recipient:
    """A person to tell: a user (with roles and perhaps preferences) or an employee."""

    key: str  # "user:<id>" or "employee:<id>"
    user_id: str | None
    email: str | None
    locale: str | None
    roles: tuple[str, ...] = ()
    known: bool = True  # False: nobody by that id (a mail to them fails, for staff to see)


QUOTE_MAX_CHARACTERS = 1000


def quote_of(text: str, limit: int = QUOTE_MAX_CHARACTERS) -> str:
    """A post's text as a mail quotes it: trimmed, blank runs closed, at most `limit`
    characters (cut at a word, with an ellipsis); the portal link shows the rest."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    quoted = "\n".join(kept)
    if len(quoted) <= limit:
        return quoted
    cut = quoted[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def notification_id(event_id: str, kind: str, recipient_key: str) -> str:
    """The same event, kind and recipient always make the same id: a redelivered event finds
    its mails already recorded and records none again."""
    digest = hashlib.sha256(f"{event_id}\x00{kind}\x00{recipient_key}".encode()).hexdigest()
    return digest[:40]


def retry_delay(attempts: int, *, base: float, ceiling: float) -> timedelta:
    """How long to wait after the `attempts`-th failed try: doubling from `base`, at most
    `ceiling` seconds. A failing server delays mail; it is never given up on for that."""
    seconds = min(ceiling, base * (2 ** max(0, attempts - 1)))
    return timedelta(seconds=seconds)


def next_digest(now: datetime, hour: int, offset: timedelta) -> datetime:
    """The next time at `hour` o'clock local time (the tenant's UTC offset) after `now`."""
    local = now + offset
    due = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if due <= local:
        due += timedelta(days=1)
    return due - offset


# Reasons recorded for a mail that cannot be sent at all (never the address itself).
NO_ADDRESS = "the recipient has no e-mail address"
UNKNOWN_RECIPIENT = "no such recipient"
NO_TEMPLATE = "no mail template for this kind"


@dataclass
class OutboxMail:
    """One mail in the outbox: recorded before it is sent, then sent, retried or failed.

    Its body is kept only until it is sent (it may hold a code or a link that grants access);
    what stays is who, which kind, when and how it went."""

    id: str
    tenant: str
    kind: str
    event_id: str
    recipient_key: str
    to: str | None
    locale: str
    subject: str
    text: str
    html: str | None
    created_at: datetime
    next_attempt_at: datetime
    sender_name: str | None = None
    sender_address: str | None = None
    link: str | None = None
    status: Status = Status.QUEUED
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    digest_due: datetime | None = None


def undeliverable(mail: OutboxMail, reason: str) -> OutboxMail:
    """A mail that can never go (no address, nobody by that id): failed at once, for staff."""
    mail.status = Status.FAILED
    mail.last_error = reason
    return mail
