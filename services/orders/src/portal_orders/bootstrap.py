"""The composition root of the orders service: settings in, the running parts out.

`bootstrap()` checks the shipped configurations (a bad one stops the service here), builds the
kit's `ServiceRuntime` (database, NATS, outbox relay) with the organisation and employee
consumers and the SLA job, and returns an `OrdersService`, which builds the use-case objects on
the repositories of one tenant. `app.py` turns it into the Starlette app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.counters import Counters
from portal_kit.gridfs import GridFSStore
from portal_kit.mongo import Database
from portal_kit.principal import Principal
from portal_kit.runtime import ServiceRuntime
from starlette.requests import Request

from portal_orders.adapters.configuration import shipped_configurations
from portal_orders.adapters.repositories import (
    INDEXES,
    OUTBOX_COLLECTIONS,
    EmployeeDirectory,
    OrderRepository,
    OrganisationDirectory,
)
from portal_orders.domain.workflow import TenantConfiguration
from portal_orders.entrypoints.consumers import (
    employee_consumer,
    invoiced_consumer,
    organisation_consumer,
)
from portal_orders.entrypoints.context import OrdersContext
from portal_orders.service_layer.employees import EmployeeRegister
from portal_orders.service_layer.orders import OrderDesk
from portal_orders.service_layer.organisations import OrganisationRegister
from portal_orders.service_layer.sla import SlaWatch
from portal_orders.service_layer.system import SystemDesk
from portal_orders.settings import OrdersSettings


def order_desk(
    database: Database,
    principal: Principal,
    *,
    configurations: Mapping[str, TenantConfiguration],
    clock: Clock,
    on_commit: Callable[[], None] = lambda: None,
) -> OrderDesk:
    """The use cases of one caller, on the repositories of the caller's tenant (also what the
    benchmark runs, without a runtime)."""
    tenant = principal.tenant
    return OrderDesk(
        principal,
        configurations.get(tenant),
        orders=OrderRepository(database, tenant, on_commit=on_commit),
        organisations=OrganisationDirectory(database, tenant),
        employees=EmployeeDirectory(database, tenant),
        counters=Counters(database, tenant),
        files=GridFSStore(database, tenant),
        clock=clock,
    )


@dataclass
class OrdersService:
    runtime: ServiceRuntime
    clock: Clock
    configurations: Mapping[str, TenantConfiguration]

    def orders(self, tenant: str) -> OrderRepository:
        return OrderRepository(self.runtime.database, tenant, on_commit=self.runtime.wake_relay)

    def desk(self, principal: Principal) -> OrderDesk:
        return order_desk(
            self.runtime.database,
            principal,
            configurations=self.configurations,
            clock=self.clock,
            on_commit=self.runtime.wake_relay,
        )

    def context(
        self, runtime: ServiceRuntime, principal: Principal, request: Request
    ) -> OrdersContext:
        return OrdersContext(principal=principal, orders=self.desk(principal), request=request)

    def organisation_register(self, tenant: str) -> OrganisationRegister:
        return OrganisationRegister(OrganisationDirectory(self.runtime.database, tenant))

    def employee_register(self, tenant: str) -> EmployeeRegister:
        return EmployeeRegister(EmployeeDirectory(self.runtime.database, tenant))

    def system(self, tenant: str) -> SystemDesk:
        """The platform's own changes, for event consumers (billing's "order invoiced")."""
        return SystemDesk(self.configurations.get(tenant), self.orders(tenant), clock=self.clock)

    def sla_watch(self) -> SlaWatch:
        return SlaWatch(self.configurations, self.orders, clock=self.clock)


def bootstrap(
    settings: OrdersSettings, *, clock: Clock = utc_now_to_the_millisecond
) -> OrdersService:
    configurations = shipped_configurations()  # a bad configuration document stops the service

    def register_of(tenant: str) -> OrganisationRegister:
        return service.organisation_register(tenant)

    def employees_of(tenant: str) -> EmployeeRegister:
        return service.employee_register(tenant)

    runtime = ServiceRuntime(
        settings,
        outbox_collections=OUTBOX_COLLECTIONS,
        indexes=INDEXES,
        on_start=[
            organisation_consumer(register_of),
            employee_consumer(employees_of),
            invoiced_consumer(lambda tenant: service.system(tenant)),
        ],
    )
    service = OrdersService(runtime, clock, configurations)

    async def sla_round() -> None:
        await service.sla_watch().check()

    runtime.every(settings.sla_check_seconds, "sla-check", sla_round)
    return service
