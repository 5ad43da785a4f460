"""The composition root of the tickets service: what the app and each request are built from.

`bootstrap()` checks the shipped configuration documents (a bad one stops the service here,
naming the problem), builds the kit's `ServiceRuntime` with the consumers of people's
product-access and organisation events, and returns a `TicketsService`, which builds the use
cases of one caller on the repositories of its tenant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.counters import Counters
from portal_kit.gridfs import GridFSStore
from portal_kit.mongo import Database
from portal_kit.principal import Principal
from portal_kit.runtime import ServiceRuntime
from starlette.requests import Request

from portal_tickets.adapters.configuration import Configurations, shipped_configurations
from portal_tickets.adapters.repositories import (
    INDEXES,
    OUTBOX_COLLECTIONS,
    ArticleCountBook,
    ArticleRepository,
    OrganisationBook,
    ProductAccessBook,
    TicketRepository,
)
from portal_tickets.entrypoints.consumers import organisation_consumer, product_access_consumer
from portal_tickets.entrypoints.context import TicketsContext
from portal_tickets.service_layer.knowledge import KnowledgeBase
from portal_tickets.service_layer.tickets import (
    OrganisationRegister,
    ProductAccessRegister,
    TicketDesk,
)
from portal_tickets.settings import TicketsSettings


def ticket_desk(
    database: Database,
    principal: Principal,
    *,
    configurations: Configurations,
    clock: Clock,
    on_commit: Callable[[], None] = lambda: None,
) -> TicketDesk:
    """The use cases of one caller on its tenant's repositories (also what the benchmark and
    the demo loader run, without a runtime)."""
    tenant = principal.tenant
    return TicketDesk(
        principal,
        configurations.of(tenant),
        TicketRepository(database, tenant, on_commit=on_commit),
        Counters(database, tenant),
        files=GridFSStore(database, tenant),
        product_access=ProductAccessBook(database, tenant),
        organisations=OrganisationBook(database, tenant),
        clock=clock,
    )


def knowledge_base(
    database: Database,
    principal: Principal,
    *,
    configurations: Configurations,
    clock: Clock,
    on_commit: Callable[[], None] = lambda: None,
) -> KnowledgeBase:
    """The knowledge-base use cases of one caller (also what the benchmark runs)."""
    tenant = principal.tenant
    return KnowledgeBase(
        principal,
        configurations.of(tenant),
        ArticleRepository(database, tenant, on_commit=on_commit),
        ArticleCountBook(database, tenant),
        product_access=ProductAccessBook(database, tenant),
        files=GridFSStore(database, tenant),
        clock=clock,
    )


@dataclass(frozen=True)
class TicketsService:
    """The running service's parts, and the use cases of one caller built from them."""

    runtime: ServiceRuntime
    clock: Clock
    configurations: Configurations

    def desk(self, principal: Principal) -> TicketDesk:
        """The ticket use cases of `principal`, on its tenant's tickets and numbers."""
        return ticket_desk(
            self.runtime.database,
            principal,
            configurations=self.configurations,
            clock=self.clock,
            on_commit=self.runtime.wake_relay,
        )

    def knowledge(self, principal: Principal) -> KnowledgeBase:
        """The knowledge-base use cases of `principal`."""
        return knowledge_base(
            self.runtime.database,
            principal,
            configurations=self.configurations,
            clock=self.clock,
            on_commit=self.runtime.wake_relay,
        )

    def product_access(self, tenant: str) -> ProductAccessRegister:
        return ProductAccessRegister(ProductAccessBook(self.runtime.database, tenant))

    def organisations(self, tenant: str) -> OrganisationRegister:
        return OrganisationRegister(OrganisationBook(self.runtime.database, tenant))

    def context(
        self, runtime: ServiceRuntime, principal: Principal, request: Request
    ) -> TicketsContext:
        """What the resolvers of one request get (the kit's `ContextFactory`)."""
        return TicketsContext(
            principal=principal,
            tickets=self.desk(principal),
            knowledge=self.knowledge(principal),
            request=request,
        )


def bootstrap(
    settings: TicketsSettings, *, clock: Clock = utc_now_to_the_millisecond
) -> TicketsService:
    configurations = shipped_configurations()  # a bad configuration document stops the service

    def register_of(tenant: str) -> ProductAccessRegister:
        return service.product_access(tenant)

    def tree_of(tenant: str) -> OrganisationRegister:
        return service.organisations(tenant)

    runtime = ServiceRuntime(
        settings,
        outbox_collections=OUTBOX_COLLECTIONS,
        indexes=INDEXES,
        on_start=[product_access_consumer(register_of), organisation_consumer(tree_of)],
    )
    service = TicketsService(runtime=runtime, clock=clock, configurations=configurations)
    return service
