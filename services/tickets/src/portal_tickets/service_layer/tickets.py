"""Use cases of tickets: the form, reading what the caller may see, opening a ticket, and every
change of one (load, act, save), with optimistic concurrency on each change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from portal_kit.clock import Clock
from portal_kit.counters import Sequences
from portal_kit.domain import DomainError, NotFound, StaleVersion, new_id
from portal_kit.gridfs import FileStore, StoredFile
from portal_kit.messages import Messages
from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page
from portal_kit.text import fold
from portal_kit.values import Problems, check_reference

from portal_tickets.domain.configuration import Actor, Choice, TicketConfiguration
from portal_tickets.domain.ticket import (
    FeedEntry,
    Side,
    Ticket,
    TicketFile,
    TicketValues,
    check_post_text,
    check_values,
)
from portal_tickets.service_layer import access
from portal_tickets.service_layer.access import TicketSight, TicketView
from portal_tickets.service_layer.files import CheckedFile, Upload, check_files
from portal_tickets.service_layer.ports import OrganisationTree, ProductAccess, Tickets

_ = Messages("portal_tickets")

TICKET_SEQUENCE = "ticket"
USER = "user"
ORGANISATION = "organisation"


@dataclass(frozen=True)
class Form:
    """The "new ticket" page of the caller's tenant, in the caller's language."""

    configuration: TicketConfiguration
    locale: str
    services: tuple[Choice, ...]
    organisations: tuple[str, ...]
    default_organisation: str | None


class TicketDesk:
    """The tickets service's use cases for one caller."""

    def __init__(
        self,
        principal: Principal,
        configuration: TicketConfiguration,
        tickets: Tickets,
        sequences: Sequences,
        *,
        files: FileStore,
        product_access: ProductAccess,
        organisations: OrganisationTree,
        clock: Clock,
    ) -> None:
        self.principal = principal
        self.configuration = configuration
        self.tickets = tickets
        self.sequences = sequences
        self.files = files
        self.product_access = product_access
        self.clock = clock
        self.organisations = organisations
        # What the caller sees before departments are added (enough for entries and files).
        self.sight = TicketSight.of(principal)
        self._seen: TicketSight | None = None
        self.locale = configuration.locale_for(principal.locale)

    async def seen(self) -> TicketSight:
        """The caller's sight with the departments of its organisations (a parent sees its
        departments' tickets), from the read model of people's organisations."""
        if self._seen is None:
            sight = self.sight
            if sight.organisations and not sight.everything:
                expanded = await self.organisations.with_descendants(list(sight.organisations))
                sight = replace(sight, organisations=tuple(expanded))
            self._seen = sight
        return self._seen

    # -- the form ---------------------------------------------------------------------------

    async def form(self) -> Form:
        """The tenant's form; the customers the caller opens tickets for (the active one when
        chosen) and the products that customer has access to."""
        organisations = () if self.principal.is_staff else self.principal.acting_for
        default = organisations[0] if len(organisations) == 1 else None
        services = await self._services_for(default)
        return Form(self.configuration, self.locale, services, organisations, default)

    async def _services_for(self, organisation: str | None) -> tuple[Choice, ...]:
        active = tuple(s for s in self.configuration.services if s.active)
        if organisation is None:
            return active
        products = await self.product_access.products_of(ORGANISATION, organisation)
        if products is None:  # people says nothing of the customer: every product is offered
            return active
        return tuple(s for s in active if s.code in products)

    # -- reading ----------------------------------------------------------------------------

    async def ticket(self, ticket_id: str) -> Ticket | None:
        """The ticket if the caller may see it; None for missing, invisible or another
        tenant's."""
        return await self.tickets.visible(await self.seen(), ticket_id)

    async def page(
        self, *, size: int, after: Keyset | None, view: TicketView | None = None
    ) -> Page[Ticket]:
        """Visible tickets that `view` takes, in its order, `size` of them after `after`."""
        return await self.tickets.listed(await self.seen(), view or TicketView(), after, size)

    def feed(self, ticket: Ticket, *, search: str = "") -> list[FeedEntry]:
        """The entries of the ticket the caller sees, newest first; with `search`, those whose
        text holds every word of it."""
        terms = fold(search).split()[:8]
        entries = [e for e in ticket.feed if self.sight.sees_entry(e)]
        if terms:
            entries = [e for e in entries if all(t in fold(e.text) for t in terms)]
        return entries[::-1]  # the feed is stored in the order it happened

    def related_files(self, ticket: Ticket) -> list[TicketFile]:
        """'Relaterede': every file of the ticket the caller sees, newest first."""
        seen = [f for f in ticket.files if self.sight.sees_file(ticket, f)]
        return seen[::-1]

    async def file(self, file_id: str) -> tuple[StoredFile, bytes] | None:
        """A file for a caller who may see its ticket and its entry; None otherwise."""
        ticket = await self.tickets.with_file(await self.seen(), file_id)
        if ticket is None:
            return None
        found = ticket.file(file_id)
        if found is None or not self.sight.sees_file(ticket, found):
            return None
        info = await self.files.info(file_id)
        data = await self.files.read(file_id) if info is not None else None
        return None if info is None or data is None else (info, data)

    # -- opening ----------------------------------------------------------------------------

    async def create_ticket(
        self, given: Mapping[str, str | bool | None], uploads: Sequence[Upload] = ()
    ) -> Ticket:
        access.require_signed_in(self.principal)
        problems = Problems()
        values = problems.check(lambda: check_values(self.configuration, given), None)
        organisation = given.get("organisation")
        if isinstance(organisation, str) and not problems.about("organisationId"):
            sight = await self.seen()
            problems.check(
                lambda: access.require_may_open_for(
                    self.principal, organisation.strip(), sight.organisations
                ),
                None,
            )
        if values is not None and values.service is not None:
            offered = {s.code for s in await self._services_for(values.organisation_id)}
            if values.service not in offered:
                problems.add(
                    DomainError(
                        _("the customer has no access to this product"),
                        field="service",
                        code="NO_PRODUCT_ACCESS",
                    )
                )
        if uploads and not self.configuration.has("attachments"):
            problems.add(
                DomainError(
                    _("this tenant's tickets have no such field"),
                    field="attachments",
                    code="NOT_ON_FORM",
                )
            )
        else:
            nothing: list[CheckedFile] = []
            rules = self.configuration.attachments
            problems.check(lambda: check_files(list(uploads), rules), nothing)
        problems.raise_if_any()
        assert values is not None
        checked = check_files(list(uploads), self.configuration.attachments)
        entry_id = new_id()
        stored = await self._store(checked, entry_id)
        # Only a request that passed every check takes a number.
        sequence = await self.sequences.next(TICKET_SEQUENCE)
        ticket = Ticket.create(
            self.principal.tenant,
            sequence,
            values,
            self.configuration,
            created_by=self.principal.user,
            side=Side.STAFF if self.principal.is_staff else Side.CUSTOMER,
            created_at=self.clock(),
            files=stored,
            entry_id=entry_id,
        )
        await self._saving(ticket, stored, self.tickets.add)
        return ticket

    async def _store(self, checked: Sequence[CheckedFile], entry_id: str) -> list[TicketFile]:
        stored: list[TicketFile] = []
        for item in checked:
            put = await self.files.put(
                item.data,
                filename=item.filename,
                content_type=item.content_type,
                metadata={"entry": entry_id},
            )
            stored.append(
                TicketFile(
                    put.id, entry_id, put.filename, put.content_type, put.length, self.clock()
                )
            )
        return stored

    async def _saving(
        self, ticket: Ticket, stored: list[TicketFile], save: Callable[[Ticket], Awaitable[None]]
    ) -> None:
        """Saves; files stored for a change that is not saved go again."""
        try:
            await save(ticket)
        except BaseException:
            if stored:
                await self.files.delete([f.id for f in stored])
            raise

    # -- changing ---------------------------------------------------------------------------

    async def _load(self, ticket_id: str, version: int) -> Ticket:
        access.require_signed_in(self.principal)
        ticket = await self.tickets.visible(await self.seen(), ticket_id)
        if ticket is None:
            raise NotFound(_("no such ticket"), field="id")
        if ticket.version != version:
            raise StaleVersion(
                _("the ticket was changed by someone else since you loaded it; reload it"),
                field="version",
            )
        return ticket

    def actor(self, ticket: Ticket) -> Actor:
        """How the workflow sees the caller on `ticket`."""
        return access.actor_of(self.principal, ticket)

    async def edit_ticket(
        self, ticket_id: str, version: int, given: Mapping[str, str | bool | None]
    ) -> Ticket:
        ticket = await self._load(ticket_id, version)
        ticket.edit(
            self.configuration,
            given,
            actor=self.actor(ticket),
            by=self.principal.user,
            at=self.clock(),
        )
        await self.tickets.save(ticket)
        return ticket

    async def change_status(self, ticket_id: str, version: int, status: str) -> Ticket:
        ticket = await self._load(ticket_id, version)
        ticket.change_status(
            self.configuration,
            status.strip(),
            actor=self.actor(ticket),
            by=self.principal.user,
            at=self.clock(),
        )
        await self.tickets.save(ticket)
        return ticket

    async def close(self, ticket_id: str, version: int) -> Ticket:
        return await self.change_status(ticket_id, version, self.configuration.close_status)

    async def reopen(self, ticket_id: str, version: int) -> Ticket:
        return await self.change_status(ticket_id, version, self.configuration.reopen_status)

    async def assign(
        self, ticket_id: str, version: int, *, team: str | None, user: str | None
    ) -> Ticket:
        access.require_staff(self.principal)
        ticket = await self._load(ticket_id, version)
        ticket.assign(
            self.configuration, team=team, user=user, by=self.principal.user, at=self.clock()
        )
        await self.tickets.save(ticket)
        return ticket

    async def add_post(
        self,
        ticket_id: str,
        version: int,
        text: str,
        *,
        internal: bool = False,
        uploads: Sequence[Upload] = (),
    ) -> Ticket:
        ticket = await self._load(ticket_id, version)
        problems = Problems()
        problems.check(lambda: check_post_text(text), "")
        nothing: list[CheckedFile] = []
        rules = self.configuration.attachments
        problems.check(lambda: check_files(list(uploads), rules), nothing)
        problems.raise_if_any()
        actor = self.actor(ticket)
        entry_id = new_id()
        # The workflow's refusals come before anything is stored.
        ticket.require_may_post(self.configuration, internal=internal, actor=actor)
        stored = await self._store(
            check_files(list(uploads), self.configuration.attachments), entry_id
        )
        ticket.add_post(
            self.configuration,
            text,
            internal=internal,
            actor=actor,
            by=self.principal.user,
            at=self.clock(),
            files=stored,
            entry_id=entry_id,
        )
        await self._saving(ticket, stored, self.tickets.save)
        return ticket

    async def add_follower(self, ticket_id: str, version: int, user_id: str) -> Ticket:
        ticket = await self._load(ticket_id, version)
        follower = check_reference(user_id, field="userId", what=_("user"))
        products = await self.product_access.products_of(USER, follower)
        product = ticket.values.service
        if products is None or (product is not None and product not in products):
            raise DomainError(
                _("the person has no profile with access to the ticket's product"),
                field="userId",
                code="NO_PRODUCT_ACCESS",
            )
        ticket.add_follower(
            follower, actor=self.actor(ticket), by=self.principal.user, at=self.clock()
        )
        await self.tickets.save(ticket)
        return ticket

    async def remove_follower(self, ticket_id: str, version: int, user_id: str) -> Ticket:
        ticket = await self._load(ticket_id, version)
        ticket.remove_follower(
            user_id.strip(), actor=self.actor(ticket), by=self.principal.user, at=self.clock()
        )
        await self.tickets.save(ticket)
        return ticket


class OrganisationRegister:
    """What people's organisation events change in the tickets service's read model of them
    (which organisation is a department of which)."""

    def __init__(self, organisations: OrganisationTree) -> None:
        self.organisations = organisations

    async def created(self, organisation_id: str, *, parent_id: str | None, version: str) -> None:
        await self.organisations.record(organisation_id, parent_id=parent_id, version=version)


class ProductAccessRegister:
    """What people's product-access events change in the tickets service's read model."""

    def __init__(self, book: ProductAccess) -> None:
        self.book = book

    async def changed(
        self, holder_kind: str, holder_id: str, products: frozenset[str], *, version: str
    ) -> bool:
        if holder_kind not in (USER, ORGANISATION):
            raise ValueError(f"unknown product access holder {holder_kind!r}")
        return await self.book.record(holder_kind, holder_id, products, version=version)


__all__ = ["Form", "OrganisationRegister", "ProductAccessRegister", "TicketDesk", "TicketValues"]
