"""GraphQL types of the tickets subgraph. Codes come with their labels in the caller's language
(the tenant's configuration); every person and organisation a ticket names is a nullable
reference the people service resolves, so a hidden one nulls that field alone."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from portal_kit.graphql import Connection, UserError, page_connection
from portal_kit.messages import Messages, translate
from portal_kit.repository import Page
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from portal_tickets.domain import ticket as ticket_domain
from portal_tickets.domain.configuration import Choice, TicketConfiguration
from portal_tickets.domain.configuration import Status as StatusConfig
from portal_tickets.entrypoints.context import Info
from portal_tickets.service_layer.access import Sort, sort_value
from portal_tickets.service_layer.tickets import Form, TicketDesk

_ = Messages("portal_tickets")

DOWNLOAD_PREFIX = "/ticket-files/"


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="An organisation; the people service knows the rest of it.",
)
class Organisation:
    id: strawberry.ID


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="A person's account; the people service knows the rest of it.",
)
class User:
    id: strawberry.ID


def _user(user_id: str | None) -> User | None:
    return User(id=strawberry.ID(user_id)) if user_id else None


@strawberry.enum
class TicketCategory(Enum):
    OPEN = "open"
    CLOSED = "closed"


@strawberry.enum(description="Who wrote an entry: the customer's side, staff, or the platform.")
class TicketSide(Enum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"


@strawberry.enum
class TicketEntryKind(Enum):
    POST = "post"
    NOTE = "note"
    ACTIVITY = "activity"


@strawberry.type(description="A code of the tenant's lists, with its label in your language.")
class TicketChoice:
    code: str
    label: str
    explanation: str | None
    active: bool

    @classmethod
    def of(cls, choice: Choice, locale: str) -> TicketChoice:
        return cls(
            code=choice.code,
            label=choice.label(locale),
            explanation=choice.explanation(locale),
            active=choice.active,
        )

    @classmethod
    def maybe(cls, choice: Choice | None, locale: str) -> TicketChoice | None:
        return None if choice is None else cls.of(choice, locale)


@strawberry.type(description="A product or service, with its sub-services.")
class TicketService:
    code: str
    label: str
    sub_services: list[TicketChoice]

    @classmethod
    def of(cls, choice: Choice, locale: str) -> TicketService:
        return cls(
            code=choice.code,
            label=choice.label(locale),
            sub_services=[TicketChoice.of(c, locale) for c in choice.children if c.active],
        )


@strawberry.type
class TicketStatus:
    code: str
    label: str
    category: TicketCategory

    @classmethod
    def of(cls, status: StatusConfig, locale: str) -> TicketStatus:
        return cls(
            code=status.code,
            label=status.label(locale),
            category=TicketCategory(status.category.value),
        )


@strawberry.type(description="A field of the tenant's new-ticket form.")
class TicketFormField:
    name: str = strawberry.field(description="The input field it fills (e.g. `ticketType`).")
    label: str
    help: str | None
    required: bool


@strawberry.type
class TicketTeam:
    code: str
    label: str


@strawberry.type
class TicketAttachmentRules:
    max_bytes: int
    max_files: int
    content_types: list[str]


@strawberry.type(
    description="The new-ticket form of your tenant in your language: what a client builds the "
    "page from without hard-coding anything."
)
class TicketForm:
    locale: str
    fields: list[TicketFormField]
    ticket_types: list[TicketChoice]
    default_ticket_type: str
    services: list[TicketService] = strawberry.field(
        description="The products the chosen customer has access to."
    )
    urgencies: list[TicketChoice]
    impacts: list[TicketChoice]
    topics: list[TicketChoice]
    statuses: list[TicketStatus]
    teams: list[TicketTeam]
    attachments: TicketAttachmentRules
    customer_ids: list[strawberry.ID] = strawberry.field(
        description="The customers you open tickets for (the chosen one when you chose one); "
        "empty for staff, who open them for any."
    )
    default_customer_id: strawberry.ID | None

    @classmethod
    def of(cls, form: Form) -> TicketForm:
        configuration, locale = form.configuration, form.locale
        fields = [
            TicketFormField(
                name=ticket_domain.INPUT_FIELD[f.name],
                label=f.label(locale),
                help=f.help_text(locale),
                required=f.required,
            )
            for f in configuration.fields.values()
        ]

        def active(choices: tuple[Choice, ...]) -> list[TicketChoice]:
            return [TicketChoice.of(c, locale) for c in choices if c.active]

        rules = configuration.attachments
        return cls(
            locale=locale,
            fields=fields,
            ticket_types=active(configuration.ticket_types),
            default_ticket_type=configuration.default_ticket_type,
            services=[TicketService.of(s, locale) for s in form.services],
            urgencies=active(configuration.urgencies),
            impacts=active(configuration.impacts),
            topics=active(configuration.topics),
            statuses=[TicketStatus.of(s, locale) for s in configuration.statuses],
            teams=[TicketTeam(code=t.code, label=t.label(locale)) for t in configuration.teams],
            attachments=TicketAttachmentRules(
                max_bytes=rules.max_bytes,
                max_files=rules.max_files,
                content_types=sorted(rules.content_types),
            ),
            customer_ids=[strawberry.ID(o) for o in form.organisations],
            default_customer_id=strawberry.ID(form.default_organisation)
            if form.default_organisation
            else None,
        )


@strawberry.type(description="A file of the ticket ('Relaterede'), stored in GridFS.")
class TicketFile:
    id: strawberry.ID
    entry_id: strawberry.ID
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    download_path: str = strawberry.field(
        description="GET it from the gateway with your session: /ticket-files/<id>."
    )

    @classmethod
    def of(cls, file: ticket_domain.TicketFile) -> TicketFile:
        return cls(
            id=strawberry.ID(file.id),
            entry_id=strawberry.ID(file.entry_id),
            filename=file.filename,
            content_type=file.content_type,
            size=file.size,
            uploaded_at=file.uploaded_at,
            download_path=f"{DOWNLOAD_PREFIX}{file.id}",
        )


def _status_label(configuration: TicketConfiguration, code: str | None, locale: str) -> str:
    if code is None:
        return ""
    return configuration.status(code).label(locale) if configuration.has_status(code) else code


def _owner_label(configuration: TicketConfiguration, team: str | None, locale: str) -> str | None:
    found = configuration.team(team) if team else None
    return found.label(locale) if found else None


def activity_summary(entry: ticket_domain.FeedEntry, desk: TicketDesk) -> str | None:
    """What an activity entry says, in the caller's language."""
    configuration, locale, details = desk.configuration, desk.locale, entry.details
    if entry.activity == "created":
        message = _("opened the ticket")
    elif entry.activity == "status_changed":
        message = _(
            "changed the status from {old} to {new}",
            old=_status_label(configuration, details.get("from"), locale),
            new=_status_label(configuration, details.get("to"), locale),
        )
    elif entry.activity == "owner_changed":
        owner = _owner_label(configuration, details.get("to_team"), locale) or ""
        if details.get("by_rule"):
            message = _("case owner (by assignment rule) changed to {owner}", owner=owner)
        else:
            message = _("changed the case owner to {owner}", owner=owner)
    elif entry.activity == "follower_added":
        message = _("added a follower")
    elif entry.activity == "follower_removed":
        message = _("removed a follower")
    elif entry.activity == "edited":
        names = (details.get("fields") or "").split(",")
        labels = [
            configuration.fields[n].label(locale) if n in configuration.fields else n
            for n in names
            if n
        ]
        message = _("changed {fields}", fields=", ".join(labels))
    else:
        return None
    return translate(message, locale)


@strawberry.type(description="An entry of a ticket's feed ('Indlæg'): a post, a note, activity.")
class TicketEntry:
    id: strawberry.ID
    kind: TicketEntryKind
    internal: bool = strawberry.field(description="An internal note: staff alone read it.")
    text: str
    created_at: datetime
    author_id: strawberry.ID | None
    author_side: TicketSide
    activity: str | None = strawberry.field(
        description="What happened: created, status_changed, owner_changed, follower_added, "
        "follower_removed, edited."
    )
    summary: str | None = strawberry.field(description="The activity in your language.")
    files: list[TicketFile]
    subject_user_id: strawberry.Private[str | None]
    from_user_id: strawberry.Private[str | None]

    @strawberry.field(description="Who wrote it (people); null when you may not read them.")
    def author(self) -> User | None:
        return _user(str(self.author_id) if self.author_id else None)

    @strawberry.field(description="The follower added or removed (people).")
    def subject_user(self) -> User | None:
        return _user(self.subject_user_id)

    @strawberry.field(description="Who owned the case before an owner change (people).")
    def previous_owner(self) -> User | None:
        return _user(self.from_user_id)

    @classmethod
    def of(
        cls, entry: ticket_domain.FeedEntry, ticket: ticket_domain.Ticket, desk: TicketDesk
    ) -> TicketEntry:
        return cls(
            id=strawberry.ID(entry.id),
            kind=TicketEntryKind(entry.kind.value),
            internal=entry.internal,
            text=entry.text,
            created_at=entry.at,
            author_id=strawberry.ID(entry.author_id) if entry.author_id else None,
            author_side=TicketSide(entry.side.value),
            activity=entry.activity,
            summary=activity_summary(entry, desk),
            files=[TicketFile.of(f) for f in ticket.files if f.entry_id == entry.id],
            subject_user_id=entry.details.get("user"),
            from_user_id=entry.details.get("from_user"),
        )


@strawberry.federation.type(keys=["id"], description="A support request (case, 'sag', 'ärende').")
class Ticket:
    id: strawberry.ID
    number: str = strawberry.field(description="In the tenant's format (e.g. 00002196).")
    ticket_type: str = strawberry.field(description="Code of the ticket type.")
    subject: str
    title: str
    heading: str = strawberry.field(description="The title, or the subject when it has none.")
    description: str
    organisation_id: strawberry.ID
    created_by: strawberry.ID = strawberry.field(description="Id of the user who opened it.")
    private: bool = strawberry.field(description="Private tickets are for their creator alone.")
    status: str = strawberry.field(description="Code of the status.")
    category: TicketCategory
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    owner_team_code: str | None
    owner_user_id: strawberry.ID | None
    follower_ids: list[strawberry.ID]
    version: int
    record: strawberry.Private[ticket_domain.Ticket]

    @strawberry.field(description="The ticket type, with its label.")
    def type(self, info: Info) -> TicketChoice:
        desk = info.context.tickets
        found = desk.configuration.choice("ticket_type", self.ticket_type)
        fallback = Choice(self.ticket_type, {})
        return TicketChoice.of(found or fallback, desk.locale)

    def _choice(self, info: Info, name: str) -> TicketChoice | None:
        desk = info.context.tickets
        values = self.record.values
        code = getattr(values, name)
        found = desk.configuration.choice(name, code, service=values.service)
        if code and found is None:
            found = Choice(code, {})
        return TicketChoice.maybe(found, desk.locale)

    @strawberry.field(description="The product or service ('Produkt', 'Tjänst').")
    def service(self, info: Info) -> TicketChoice | None:
        return self._choice(info, "service")

    @strawberry.field
    def sub_service(self, info: Info) -> TicketChoice | None:
        return self._choice(info, "sub_service")

    @strawberry.field(description="'Haster'.")
    def urgency(self, info: Info) -> TicketChoice | None:
        return self._choice(info, "urgency")

    @strawberry.field(description="'Indvirkning'.")
    def impact(self, info: Info) -> TicketChoice | None:
        return self._choice(info, "impact")

    @strawberry.field(description="'Emne'.")
    def topic(self, info: Info) -> TicketChoice | None:
        return self._choice(info, "topic")

    @strawberry.field(description="The status's label in your language.")
    def status_label(self, info: Info) -> str:
        desk = info.context.tickets
        return _status_label(desk.configuration, self.status, desk.locale)

    @strawberry.field(
        description="The statuses you may move it to now (the tenant's workflow, your role)."
    )
    def next_statuses(self, info: Info) -> list[TicketStatus]:
        desk = info.context.tickets
        configuration = desk.configuration
        return [
            TicketStatus.of(configuration.status(code), desk.locale)
            for code in self.record.next_statuses(configuration, desk.actor(self.record))
        ]

    @strawberry.field(description="The owner team ('Sagsejer'), with its label.")
    def owner_team(self, info: Info) -> TicketTeam | None:
        desk = info.context.tickets
        label = _owner_label(desk.configuration, self.owner_team_code, desk.locale)
        if self.owner_team_code is None:
            return None
        return TicketTeam(code=self.owner_team_code, label=label or self.owner_team_code)

    @strawberry.field(description="The person who owns it (people); null when unreadable.")
    def owner(self) -> User | None:
        return _user(str(self.owner_user_id) if self.owner_user_id else None)

    @strawberry.field(
        description="The ticket's customer (people); null when the caller may not read it."
    )
    def organisation(self) -> Organisation | None:
        return Organisation(id=self.organisation_id)

    @strawberry.field(
        description="Who opened it ('Kontakt navn'; people); null when the caller may not read "
        "the account."
    )
    def creator(self) -> User | None:
        return User(id=self.created_by)

    @strawberry.field(description="Who follows it (people); an unreadable one is null.")
    def followers(self) -> list[User | None]:
        return [User(id=i) for i in self.follower_ids]

    @strawberry.field(
        description="Its feed ('Indlæg'), newest first: posts, internal notes (staff only) and "
        "activity; with `search`, the entries whose text holds every word."
    )
    def feed(self, info: Info, search: str | None = None) -> list[TicketEntry]:
        desk = info.context.tickets
        return [
            TicketEntry.of(e, self.record, desk)
            for e in desk.feed(self.record, search=search or "")
        ]

    @strawberry.field(description="Its files ('Relaterede') you may see, newest first.")
    def files(self, info: Info) -> list[TicketFile]:
        return [TicketFile.of(f) for f in info.context.tickets.related_files(self.record)]

    @classmethod
    def of(cls, ticket: ticket_domain.Ticket) -> Ticket:
        values = ticket.values
        return cls(
            id=strawberry.ID(ticket.id),
            number=ticket.number,
            ticket_type=values.ticket_type,
            subject=values.subject,
            title=values.title,
            heading=ticket.heading,
            description=values.description,
            organisation_id=strawberry.ID(values.organisation_id),
            created_by=strawberry.ID(ticket.created_by),
            private=values.private,
            status=ticket.status,
            category=TicketCategory(ticket.category.value),
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            closed_at=ticket.closed_at,
            owner_team_code=ticket.owner_team,
            owner_user_id=strawberry.ID(ticket.owner_user) if ticket.owner_user else None,
            follower_ids=[strawberry.ID(f) for f in ticket.followers],
            version=ticket.version,
            record=ticket,
        )

    @classmethod
    def connection_of(
        cls, page: Page[ticket_domain.Ticket], *, after: str | None, sort: Sort
    ) -> Connection[Ticket]:
        """A page of tickets with their cursors, (sort value, id) positions."""
        return page_connection(page, cls.of, lambda t: (sort_value(t, sort), t.id), after=after)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Ticket | None:
        found = await info.context.tickets.ticket(str(id))
        return cls.of(found) if found else None


@strawberry.type
class TicketPayload:
    ticket: Ticket | None
    user_errors: list[UserError]

    @classmethod
    def of(cls, result: tuple[ticket_domain.Ticket | None, list[UserError]]) -> TicketPayload:
        found, errors = result
        return cls(ticket=Ticket.of(found) if found else None, user_errors=errors)
