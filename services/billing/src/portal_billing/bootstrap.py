"""The composition root of the billing service: what the app and each request are built from.

`bootstrap()` checks the shipped configurations (a bad one stops the service here), builds the
kit's `ServiceRuntime` (database, NATS, outbox relay) with the consumers of people's
organisation events and orders' order events, and the periodic overdue check; `BillingService`
builds the use cases of one caller on the repositories of its tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.following import FollowedEvents, follow_events
from portal_kit.principal import Principal
from portal_kit.runtime import ServiceRuntime
from starlette.requests import Request

from portal_billing.adapters.configuration import shipped_configurations
from portal_billing.adapters.documents import InvoiceDocuments
from portal_billing.adapters.repositories import (
    INDEXES,
    OUTBOX_COLLECTIONS,
    BillableOrderDirectory,
    IncomingInvoiceRepository,
    InvoiceRepository,
    OrganisationDirectory,
)
from portal_billing.domain.configuration import BillingConfiguration
from portal_billing.entrypoints.consumers import (
    ORDERS_DURABLE,
    ORGANISATIONS_DURABLE,
    order_handler,
    organisation_handler,
)
from portal_billing.entrypoints.context import BillingContext
from portal_billing.service_layer.incoming import IncomingDesk
from portal_billing.service_layer.invoices import InvoiceDesk
from portal_billing.service_layer.overdue import OverdueWatch
from portal_billing.service_layer.registers import OrderRegister, OrganisationRegister
from portal_billing.settings import BillingSettings


@dataclass(frozen=True)
class BillingService:
    """The running service's parts, and the use cases of one caller built from them."""

    runtime: ServiceRuntime
    clock: Clock
    configurations: Mapping[str, BillingConfiguration]

    def invoices(self, tenant: str) -> InvoiceRepository:
        return InvoiceRepository(self.runtime.database, tenant, on_commit=self.runtime.wake_relay)

    def desk(self, principal: Principal) -> InvoiceDesk:
        """The invoice use cases of `principal`, on its tenant's invoices and numbers."""
        tenant = principal.tenant
        return InvoiceDesk(
            principal,
            self.configurations.get(tenant),
            self.invoices(tenant),
            OrganisationDirectory(self.runtime.database, tenant),
            BillableOrderDirectory(self.runtime.database, tenant),
            self.runtime.counters(tenant),
            clock=self.clock,
            documents=InvoiceDocuments(),
        )

    def incoming_desk(self, principal: Principal) -> IncomingDesk:
        tenant = principal.tenant
        return IncomingDesk(
            principal,
            self.configurations.get(tenant),
            IncomingInvoiceRepository(
                self.runtime.database, tenant, on_commit=self.runtime.wake_relay
            ),
            BillableOrderDirectory(self.runtime.database, tenant),
            FollowedEvents(self.runtime, ORDERS_DURABLE),
            clock=self.clock,
        )

    def context(
        self, runtime: ServiceRuntime, principal: Principal, request: Request
    ) -> BillingContext:
        """What the resolvers of one request get (the kit's `ContextFactory`)."""
        return BillingContext(
            principal=principal,
            invoices=self.desk(principal),
            incoming=self.incoming_desk(principal),
            request=request,
        )

    def organisation_register(self, tenant: str) -> OrganisationRegister:
        return OrganisationRegister(OrganisationDirectory(self.runtime.database, tenant))

    def order_register(self, tenant: str) -> OrderRegister:
        return OrderRegister(BillableOrderDirectory(self.runtime.database, tenant))

    def overdue_watch(self) -> OverdueWatch:
        return OverdueWatch(self.configurations, self.invoices, clock=self.clock)


def bootstrap(
    settings: BillingSettings, *, clock: Clock = utc_now_to_the_millisecond
) -> BillingService:
    configurations = shipped_configurations()  # a bad configuration document stops the service

    def organisations_of(tenant: str) -> OrganisationRegister:
        return service.organisation_register(tenant)

    def orders_of(tenant: str) -> OrderRegister:
        return service.order_register(tenant)

    runtime = ServiceRuntime(
        settings,
        outbox_collections=OUTBOX_COLLECTIONS,
        indexes=INDEXES,
        on_start=[
            follow_events(
                ORGANISATIONS_DURABLE,
                "people",
                "organisation",
                organisation_handler(organisations_of),
            ),
            follow_events(ORDERS_DURABLE, "orders", "order", order_handler(orders_of)),
        ],
    )
    service = BillingService(runtime=runtime, clock=clock, configurations=configurations)

    async def overdue_round() -> None:
        await service.overdue_watch().check()

    runtime.every(settings.overdue_check_seconds, "overdue-check", overdue_round)
    return service
