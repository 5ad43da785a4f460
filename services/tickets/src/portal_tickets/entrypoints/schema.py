"""The tickets subgraph: queries and mutations of support tickets, and of the knowledge base
(`knowledge_schema.py`, merged in)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum

import strawberry
from portal_kit.document_cache import DocumentCache
from portal_kit.graphql import (
    Connection,
    Execution,
    attempt,
    decode_keyset,
    masking_extension,
    page_size,
)

from portal_tickets.domain import ticket as ticket_domain
from portal_tickets.domain.configuration import Category
from portal_tickets.entrypoints.context import Info
from portal_tickets.entrypoints.inputs import (
    AddTicketPostInput,
    AssignTicketInput,
    ChangeTicketStatusInput,
    CreateTicketInput,
    TicketFollowerInput,
    TicketVersionInput,
    UpdateTicketInput,
    read_files,
)
from portal_tickets.entrypoints.knowledge_schema import KnowledgeMutation, KnowledgeQuery
from portal_tickets.entrypoints.subscriptions import Subscription
from portal_tickets.entrypoints.types import Organisation, Ticket, TicketForm, TicketPayload, User
from portal_tickets.service_layer.access import Sort, TicketView, View


@strawberry.enum(description="Which list: everything you see, yours, your customer's, followed.")
class TicketListView(Enum):
    VISIBLE = "visible"
    MINE = "mine"
    ORGANISATION = "organisation"
    FOLLOWED = "followed"


@strawberry.enum
class TicketStateFilter(Enum):
    ALL = "all"
    OPEN = "open"
    CLOSED = "closed"


@strawberry.enum
class TicketSort(Enum):
    NEWEST = "newest"
    OLDEST = "oldest"
    UPDATED = "updated"


@strawberry.type
class Query(KnowledgeQuery):
    @strawberry.field(description="A ticket the caller may see; null for any other id.")
    async def ticket(self, info: Info, id: strawberry.ID) -> Ticket | None:
        found = await info.context.tickets.ticket(str(id))
        return Ticket.of(found) if found else None

    @strawberry.field(
        description="Tickets the caller may see: a view ('Mine sager', the organisation's, "
        "followed), open / closed / all, searched by number and text, sorted."
    )
    async def tickets(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        view: TicketListView = TicketListView.VISIBLE,
        state: TicketStateFilter = TicketStateFilter.ALL,
        search: str | None = None,
        sort: TicketSort = TicketSort.NEWEST,
    ) -> Connection[Ticket] | None:
        chosen = TicketView(
            view=View(view.value),
            category=None if state is TicketStateFilter.ALL else Category(state.value),
            search=(search or "")[:200],
            sort=Sort(sort.value),
        )
        page = await info.context.tickets.page(
            size=page_size(first), after=decode_keyset(after, int), view=chosen
        )
        return Ticket.connection_of(page, after=after, sort=chosen.sort)

    @strawberry.field(description="The new-ticket form of your tenant, in your language.")
    async def ticket_form(self, info: Info) -> TicketForm | None:
        return TicketForm.of(await info.context.tickets.form())


def _form_values(input: CreateTicketInput | UpdateTicketInput) -> dict[str, str | bool | None]:
    """The fields the client sent (a field left out is not part of the change)."""
    given: dict[str, str | bool | None] = {}
    for name in ("service", "sub_service", "ticket_type", "urgency", "impact", "topic"):
        value = getattr(input, name)
        if value is not None:
            given[name] = value
    for name in ("subject", "title", "description"):
        value = getattr(input, name)
        if value is not None:
            given[name] = value
    return given


async def _run(action: Callable[[], Awaitable[ticket_domain.Ticket]]) -> TicketPayload:
    return TicketPayload.of(await attempt(action))


@strawberry.type
class Mutation(KnowledgeMutation):
    @strawberry.mutation(
        description="Open a ticket with the tenant's form fields and files (a member of the "
        "customer, or staff)."
    )
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketPayload:
        desk = info.context.tickets

        async def act() -> ticket_domain.Ticket:
            given = _form_values(input)
            organisation = input.organisation_id
            if organisation is None and len(desk.principal.acting_for) == 1:
                organisation = strawberry.ID(desk.principal.acting_for[0])
            given["organisation"] = str(organisation) if organisation is not None else ""
            if input.private:
                given["private"] = True
            uploads = await read_files(input.attachments, desk.configuration.attachments.max_bytes)
            return await desk.create_ticket(given, uploads)

        return await _run(act)

    @strawberry.mutation(description="Change the fields your role may edit.")
    async def update_ticket(self, info: Info, input: UpdateTicketInput) -> TicketPayload:
        desk = info.context.tickets
        return await _run(
            lambda: desk.edit_ticket(str(input.id), input.version, _form_values(input))
        )

    @strawberry.mutation(description="Move the ticket along the tenant's workflow.")
    async def change_ticket_status(
        self, info: Info, input: ChangeTicketStatusInput
    ) -> TicketPayload:
        desk = info.context.tickets
        return await _run(lambda: desk.change_status(str(input.id), input.version, input.status))

    @strawberry.mutation(description="Close the ticket (its creator, or staff).")
    async def close_ticket(self, info: Info, input: TicketVersionInput) -> TicketPayload:
        desk = info.context.tickets
        return await _run(lambda: desk.close(str(input.id), input.version))

    @strawberry.mutation(
        description="Reopen a closed ticket (its creator within the tenant's days)."
    )
    async def reopen_ticket(self, info: Info, input: TicketVersionInput) -> TicketPayload:
        desk = info.context.tickets
        return await _run(lambda: desk.reopen(str(input.id), input.version))

    @strawberry.mutation(description="Staff set the owner: a team, a person, or both.")
    async def assign_ticket(self, info: Info, input: AssignTicketInput) -> TicketPayload:
        desk = info.context.tickets
        return await _run(
            lambda: desk.assign(
                str(input.id),
                input.version,
                team=input.team_code.strip() if input.team_code is not None else None,
                user=str(input.user_id) if input.user_id is not None else None,
            )
        )

    @strawberry.mutation(
        description="A post ('Del en opdatering') or, for staff, an internal note."
    )
    async def add_ticket_post(self, info: Info, input: AddTicketPostInput) -> TicketPayload:
        desk = info.context.tickets

        async def act() -> ticket_domain.Ticket:
            uploads = await read_files(input.attachments, desk.configuration.attachments.max_bytes)
            return await desk.add_post(
                str(input.id), input.version, input.text, internal=input.internal, uploads=uploads
            )

        return await _run(act)

    @strawberry.mutation(
        description="Add a follower ('følger'): a person with a profile with access to the "
        "ticket's product; a private ticket takes none."
    )
    async def add_ticket_follower(self, info: Info, input: TicketFollowerInput) -> TicketPayload:
        desk = info.context.tickets
        return await _run(
            lambda: desk.add_follower(str(input.id), input.version, str(input.user_id))
        )

    @strawberry.mutation(description="Remove a follower.")
    async def remove_ticket_follower(self, info: Info, input: TicketFollowerInput) -> TicketPayload:
        desk = info.context.tickets
        return await _run(
            lambda: desk.remove_follower(str(input.id), input.version, str(input.user_id))
        )


schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Organisation, User],
    extensions=[masking_extension, DocumentCache],
    execution_context_class=Execution,
)
