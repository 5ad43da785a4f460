"""Support tickets (cases) that customers' people open with the operator: the record, its feed of
posts, internal notes and activity, its files and followers, and the rules that change it.

What a ticket may hold and how it moves is the tenant's configuration (`configuration.py`): the
coded fields pick from the tenant's lists, the status moves along its transitions, the owner
team of a new ticket comes from its assignment rules. Organisation and user ids are opaque
strings owned by the people service.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from portal_kit.domain import Aggregate as _Aggregate
from portal_kit.domain import DomainError, Forbidden, NotFound, new_id
from portal_kit.messages import Messages
from portal_kit.sensitive import check_no_national_id
from portal_kit.values import Problems, check_code, check_reference, check_text

from portal_tickets.domain.configuration import (
    CODED_FIELDS,
    TEXT_FIELDS,
    Actor,
    Category,
    TicketConfiguration,
)
from portal_tickets.domain.events import (
    TicketClosed,
    TicketCreated,
    TicketFollowerAdded,
    TicketFollowerRemoved,
    TicketOwnerChanged,
    TicketPostAdded,
    TicketReopened,
    TicketStatusChanged,
)

_ = Messages("portal_tickets")

SUBJECT_MAX = 200
TITLE_MAX = 255
DESCRIPTION_MAX = 20000
POST_MAX = 20000
MAX_FOLLOWERS = 50

# The input field each record field is read from (what a user error names).
INPUT_FIELD = {
    "organisation": "organisationId",
    "service": "service",
    "sub_service": "subService",
    "ticket_type": "ticketType",
    "urgency": "urgency",
    "impact": "impact",
    "topic": "topic",
    "subject": "subject",
    "title": "title",
    "description": "description",
    "private": "private",
    "attachments": "attachments",
}
_TEXT_LIMITS = {"subject": SUBJECT_MAX, "title": TITLE_MAX, "description": DESCRIPTION_MAX}


class EntryKind(StrEnum):
    POST = "post"  # public: everyone who sees the ticket reads it
    NOTE = "note"  # internal: staff only
    ACTIVITY = "activity"  # the ticket's own history


class Side(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True)
class TicketFile:
    """A file of the ticket, stored in GridFS; `entry_id` names the feed entry it came with."""

    id: str
    entry_id: str
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


@dataclass(frozen=True)
class FeedEntry:
    id: str
    kind: EntryKind
    at: datetime
    author_id: str | None
    side: Side
    text: str = ""
    # For activity entries: what happened (created, status_changed, owner_changed,
    # follower_added, follower_removed, edited) and its codes (from/to status, team, user ids).
    activity: str | None = None
    details: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def internal(self) -> bool:
        return self.kind is EntryKind.NOTE


@dataclass(frozen=True)
class TicketValues:
    """The checked values of a ticket's form fields (codes, texts, flag)."""

    organisation_id: str
    service: str | None
    sub_service: str | None
    ticket_type: str
    urgency: str | None
    impact: str | None
    topic: str | None
    subject: str
    title: str
    description: str
    private: bool

    def rule_values(self) -> dict[str, str | None]:
        return {
            "service": self.service,
            "ticket_type": self.ticket_type,
            "urgency": self.urgency,
            "impact": self.impact,
            "organisation": self.organisation_id,
        }


def _checked_text(name: str, value: str, required: bool) -> str:
    multiline = name == "description"
    cleaned = check_text(
        value,
        field=INPUT_FIELD[name],
        max_length=_TEXT_LIMITS[name],
        required=required,
        multiline=multiline,
    )
    return check_no_national_id(cleaned, field=INPUT_FIELD[name])


def _checked_code(
    configuration: TicketConfiguration, name: str, value: str, service: str | None
) -> str:
    choices = configuration.choices(name, service=service)
    active = [c.code for c in choices if c.active]
    return check_code(value, field=INPUT_FIELD[name], allowed=active)


def check_values(
    configuration: TicketConfiguration,
    given: Mapping[str, str | bool | None],
    *,
    base: TicketValues | None = None,
) -> TicketValues:
    """The form's values checked against the tenant's form: each coded value one of its active
    codes (a sub-service one of the service's), texts clean and within their limits and free of
    national IDs, every required field present, nothing the form does not have. With `base`
    (an edit), fields not in `given` keep their values. Every problem at once, as
    `ValidationFailed`."""
    problems = Problems()
    values: dict[str, str | bool | None] = {}
    for name in INPUT_FIELD:
        if name == "attachments":
            continue
        value = given.get(name)
        if name not in given or value is None:
            values[name] = _base_value(base, name)
            if base is None and name == "ticket_type":
                values[name] = configuration.default_ticket_type
            if base is None and name == "private":
                values[name] = False
            continue
        if not configuration.has(name):
            problems.add(
                DomainError(
                    _("this tenant's tickets have no such field"),
                    field=INPUT_FIELD[name],
                    code="NOT_ON_FORM",
                )
            )
            continue
        values[name] = value
    service = values.get("service")
    service = service if isinstance(service, str) else None
    for name in CODED_FIELDS:
        value = values.get(name)
        if isinstance(value, str) and configuration.has(name) and value != _base_value(base, name):
            values[name] = problems.check(
                functools.partial(_checked_code, configuration, name, value, service), None
            )
        elif (
            isinstance(value, str)
            and name == "sub_service"
            and base is not None
            # A kept sub-service must still belong to a changed service.
            and configuration.choice("sub_service", value, service=service) is None
        ):
            problems.add(
                DomainError(
                    _("not a sub-service of the chosen service"),
                    field=INPUT_FIELD[name],
                    code="UNKNOWN_CODE",
                )
            )
    for name in TEXT_FIELDS:
        value = values.get(name)
        if isinstance(value, str) and value != _base_value(base, name):
            values[name] = problems.check(
                functools.partial(_checked_text, name, value, configuration.required(name)), ""
            )
    organisation = values.get("organisation")
    if isinstance(organisation, str) and base is None:
        values["organisation"] = problems.check(
            lambda: check_reference(organisation, field="organisationId", what=_("customer")), ""
        )
    for name, form_field in configuration.fields.items():
        if not form_field.required or name in ("private", "attachments"):
            continue
        if problems.about(INPUT_FIELD[name]):
            continue
        if values.get(name) in (None, ""):
            problems.add(
                DomainError(_("this is required"), field=INPUT_FIELD[name], code="REQUIRED")
            )
    problems.raise_if_any()
    return TicketValues(
        organisation_id=str(values["organisation"]),
        service=_code(values.get("service")),
        sub_service=_code(values.get("sub_service")),
        ticket_type=str(values["ticket_type"]),
        urgency=_code(values.get("urgency")),
        impact=_code(values.get("impact")),
        topic=_code(values.get("topic")),
        subject=str(values.get("subject") or ""),
        title=str(values.get("title") or ""),
        description=str(values.get("description") or ""),
        private=bool(values.get("private")),
    )


def _code(value: str | bool | None) -> str | None:
    return value if isinstance(value, str) and value else None


def _base_value(base: TicketValues | None, name: str) -> str | bool | None:
    if base is None:
        return None
    if name == "organisation":
        return base.organisation_id
    value: str | bool | None = getattr(base, name)
    return value


def check_post_text(text: str) -> str:
    return check_no_national_id(
        check_text(text, field="text", max_length=POST_MAX, multiline=True), field="text"
    )


@dataclass(kw_only=True)
class Ticket(_Aggregate):
    sequence: int
    number: str
    values: TicketValues
    created_by: str
    status: str
    category: Category
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    owner_user: str | None = None
    owner_team: str | None = None
    followers: list[str] = field(default_factory=list)
    feed: list[FeedEntry] = field(default_factory=list)
    files: list[TicketFile] = field(default_factory=list)
    # How many feed entries and files are stored (the rest were added since it was loaded).
    stored_feed: int = 0
    stored_files: int = 0

    # -- reading ------------------------------------------------------------------------------

    @property
    def organisation_id(self) -> str:
        return self.values.organisation_id

    @property
    def private(self) -> bool:
        return self.values.private

    @property
    def is_open(self) -> bool:
        return self.category is Category.OPEN

    @property
    def heading(self) -> str:
        return self.values.title or self.values.subject

    def entry(self, entry_id: str) -> FeedEntry | None:
        return next((e for e in self.feed if e.id == entry_id), None)

    def file(self, file_id: str) -> TicketFile | None:
        return next((f for f in self.files if f.id == file_id), None)

    # -- creating -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        tenant: str,
        sequence: int,
        values: TicketValues,
        configuration: TicketConfiguration,
        *,
        created_by: str,
        side: Side,
        created_at: datetime,
        files: list[TicketFile] | None = None,
        entry_id: str | None = None,
    ) -> Ticket:
        if created_at.utcoffset() is None:
            raise ValueError("created_at must carry its UTC offset")
        if not created_by:
            raise ValueError("a ticket is created by someone")
        number = configuration.number.number_of(sequence)
        status = configuration.status(configuration.initial_status)
        ticket = cls(
            id=new_id(),
            tenant=tenant,
            sequence=number,
            number=configuration.number.shown(number),
            values=values,
            created_by=created_by,
            status=status.code,
            category=status.category,
            created_at=created_at,
            updated_at=created_at,
        )
        entry = FeedEntry(
            entry_id or new_id(),
            EntryKind.ACTIVITY,
            created_at,
            created_by,
            side,
            activity="created",
        )
        ticket.feed.append(entry)
        ticket.files.extend(files or ())
        ticket.record(
            TicketCreated(
                ticket_id=ticket.id,
                number=ticket.number,
                ticket_type=values.ticket_type,
                status=ticket.status,
                organisation_id=values.organisation_id,
                created_by=created_by,
                private=values.private,
                service=values.service,
                sub_service=values.sub_service,
                urgency=values.urgency,
                impact=values.impact,
                topic=values.topic,
                files=len(files or ()),
            )
        )
        team = configuration.team_by_rule(values.rule_values())
        if team is not None:
            ticket._set_owner(team, None, by=None, at=created_at, by_rule=True)
        return ticket

    # -- changing -----------------------------------------------------------------------------

    def edit(
        self,
        configuration: TicketConfiguration,
        given: Mapping[str, str | bool | None],
        *,
        actor: Actor,
        by: str,
        at: datetime,
    ) -> None:
        """Changes the fields `actor` may edit (the tenant's `editable`); a customer edits an
        open ticket only."""
        allowed = configuration.editable.get(actor, frozenset())
        if actor is Actor.CREATOR:
            allowed = allowed | configuration.editable.get(Actor.CUSTOMER, frozenset())
        problems = Problems()
        if actor is not Actor.STAFF and not self.is_open:
            raise Forbidden(_("a closed ticket cannot be changed"), field="id", code="CLOSED")
        for name in given:
            if name not in allowed:
                problems.add(Forbidden(_("you may not change this field"), field=INPUT_FIELD[name]))
        problems.raise_if_any()
        values = check_values(configuration, given, base=self.values)
        changed = [name for name in given if getattr(values, name) != getattr(self.values, name)]
        if not changed:
            return
        self.values = values
        self.updated_at = at
        self._activity("edited", by, _side_of(actor), at, {"fields": ",".join(sorted(changed))})

    def next_statuses(self, configuration: TicketConfiguration, actor: Actor) -> list[str]:
        """The statuses `actor` may move the ticket to now (the creator is also of the
        customer's side), in the order of the tenant's transitions."""
        actors = {actor, Actor.CUSTOMER} if actor is Actor.CREATOR else {actor}
        return [
            t.target
            for t in configuration.transitions
            if t.source == self.status and actors & t.actors
        ]

    def change_status(
        self,
        configuration: TicketConfiguration,
        target: str,
        *,
        actor: Actor,
        by: str,
        at: datetime,
    ) -> None:
        """Moves the ticket along one of the tenant's transitions that `actor` may take. A
        customer reopens a closed ticket only within the tenant's `reopen_days`."""
        if not configuration.has_status(target):
            raise DomainError(_("unknown status"), field="status", code="UNKNOWN_CODE")
        if target == self.status:
            raise DomainError(_("the ticket has this status already"), field="status", code="SAME")
        if target not in self.next_statuses(configuration, actor):
            raise Forbidden(
                _("the ticket cannot go to this status from its status now, or not by you"),
                field="status",
                code="TRANSITION_NOT_ALLOWED",
            )
        new = configuration.status(target)
        reopening = not self.is_open and new.category is Category.OPEN
        days = configuration.reopen_days
        if (
            reopening
            and actor is not Actor.STAFF
            and self.closed_at is not None
            and at > self.closed_at + timedelta(days=days)
        ):
            raise Forbidden(
                _("closed more than {days} days ago: open a new ticket", days=days),
                field="status",
                code="REOPEN_WINDOW_PASSED",
            )
        closing = self.is_open and new.category is Category.CLOSED
        old = self.status
        self.status, self.category, self.updated_at = new.code, new.category, at
        if closing:
            self.closed_at = at
        if reopening:
            self.closed_at = None
        side = _side_of(actor)
        self._activity("status_changed", by, side, at, {"from": old, "to": new.code})
        self.record(
            TicketStatusChanged(
                ticket_id=self.id,
                number=self.number,
                from_status=old,
                to_status=new.code,
                category=new.category.value,
                changed_by=by,
            )
        )
        if closing:
            self.record(
                TicketClosed(ticket_id=self.id, number=self.number, status=new.code, closed_by=by)
            )
        if reopening:
            self.record(
                TicketReopened(
                    ticket_id=self.id, number=self.number, status=new.code, reopened_by=by
                )
            )

    def assign(
        self,
        configuration: TicketConfiguration,
        *,
        team: str | None,
        user: str | None,
        by: str,
        at: datetime,
    ) -> None:
        """Staff set the owner: a team of the tenant, a person (of the team when the team lists
        its members), or both."""
        problems = Problems()
        found = None
        if team is not None:
            found = configuration.team(team)
            if found is None:
                problems.add(DomainError(_("unknown team"), field="teamCode", code="UNKNOWN_CODE"))
        if user is not None:
            user = problems.check(
                lambda: check_reference(user or "", field="userId", what=_("user")), None
            )
            if (
                user is not None
                and found is not None
                and found.members
                and user not in found.members
            ):
                problems.add(
                    DomainError(_("not a member of the team"), field="userId", code="NOT_A_MEMBER")
                )
        if team is None and user is None:
            problems.add(DomainError(_("a team or a person"), field="teamCode", code="REQUIRED"))
        problems.raise_if_any()
        if (team, user) == (self.owner_team, self.owner_user):
            raise DomainError(_("the ticket has this owner already"), field="teamCode", code="SAME")
        self._set_owner(team, user, by=by, at=at, by_rule=False)

    def _set_owner(
        self, team: str | None, user: str | None, *, by: str | None, at: datetime, by_rule: bool
    ) -> None:
        before_team, before_user = self.owner_team, self.owner_user
        self.owner_team, self.owner_user, self.updated_at = team, user, at
        self._activity(
            "owner_changed",
            by,
            Side.SYSTEM if by_rule else Side.STAFF,
            at,
            {
                "from_team": before_team,
                # Before a rule, the person who opened the case owns it ('Sagsejer ... til').
                "from_user": before_user or (self.created_by if by_rule else None),
                "to_team": team,
                "to_user": user,
                "by_rule": "true" if by_rule else None,
            },
        )
        self.record(
            TicketOwnerChanged(
                ticket_id=self.id,
                number=self.number,
                owner_team=team,
                owner_user=user,
                by_rule=by_rule,
                changed_by=by,
            )
        )

    def add_post(
        self,
        configuration: TicketConfiguration,
        text: str,
        *,
        internal: bool,
        actor: Actor,
        by: str,
        at: datetime,
        files: list[TicketFile] | None = None,
        entry_id: str | None = None,
    ) -> FeedEntry:
        """A public post (anyone who sees the ticket) or an internal note (staff only), with
        files; on a closed ticket only where the tenant allows it (staff notes always)."""
        self.require_may_post(configuration, internal=internal, actor=actor)
        checked = check_post_text(text)
        entry = FeedEntry(
            entry_id or new_id(),
            EntryKind.NOTE if internal else EntryKind.POST,
            at,
            by,
            _side_of(actor),
            checked,
        )
        self.feed.append(entry)
        self.files.extend(files or ())
        self.updated_at = at
        self.record(
            TicketPostAdded(
                ticket_id=self.id,
                number=self.number,
                entry_id=entry.id,
                internal=internal,
                author_id=by,
                author_side=entry.side.value,
                files=len(files or ()),
            )
        )
        return entry

    def require_may_post(
        self, configuration: TicketConfiguration, *, internal: bool, actor: Actor
    ) -> None:
        if internal and actor is not Actor.STAFF:
            raise Forbidden(_("only staff write internal notes"), field="internal")
        if not self.is_open and not configuration.posts_when_closed and not internal:
            raise Forbidden(
                _("the ticket is closed: reopen it to write"), field="id", code="CLOSED"
            )

    def add_follower(self, follower: str, *, actor: Actor, by: str, at: datetime) -> None:
        if self.private:
            raise DomainError(
                _("a private ticket takes no followers"), field="userId", code="PRIVATE_TICKET"
            )
        if follower in self.followers:
            raise DomainError(
                _("already follows the ticket"), field="userId", code="ALREADY_FOLLOWING"
            )
        if len(self.followers) >= MAX_FOLLOWERS:
            raise DomainError(
                _("at most {limit} followers", limit=MAX_FOLLOWERS), field="userId", code="TOO_MANY"
            )
        self.followers.append(follower)
        self.updated_at = at
        self._activity("follower_added", by, _side_of(actor), at, {"user": follower})
        self.record(
            TicketFollowerAdded(
                ticket_id=self.id, number=self.number, follower_id=follower, added_by=by
            )
        )

    def remove_follower(self, follower: str, *, actor: Actor, by: str, at: datetime) -> None:
        if follower not in self.followers:
            raise NotFound(_("does not follow the ticket"), field="userId")
        self.followers.remove(follower)
        self.updated_at = at
        self._activity("follower_removed", by, _side_of(actor), at, {"user": follower})
        self.record(
            TicketFollowerRemoved(
                ticket_id=self.id, number=self.number, follower_id=follower, removed_by=by
            )
        )

    def _activity(
        self,
        activity: str,
        by: str | None,
        side: Side,
        at: datetime,
        details: Mapping[str, str | None],
    ) -> None:
        self.feed.append(
            FeedEntry(
                new_id(), EntryKind.ACTIVITY, at, by, side, activity=activity, details=details
            )
        )


def _side_of(actor: Actor) -> Side:
    return Side.STAFF if actor is Actor.STAFF else Side.CUSTOMER
