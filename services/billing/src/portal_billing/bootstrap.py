"""The composition root of the billing service: what the app and each request are built from."""

from __future__ import annotations

from dataclasses import dataclass

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.principal import Principal
from portal_kit.runtime import ServiceRuntime
from starlette.requests import Request

from portal_billing.adapters.repositories import INDEXES, OUTBOX_COLLECTIONS, InvoiceRepository
from portal_billing.entrypoints.context import BillingContext
from portal_billing.service_layer.invoices import InvoiceDesk
from portal_billing.settings import BillingSettings


@dataclass(frozen=True)
class BillingService:
    """The running service's parts, and the use cases of one caller built from them."""

    runtime: ServiceRuntime
    clock: Clock

    def desk(self, principal: Principal) -> InvoiceDesk:
        """The invoice use cases of `principal`, on its tenant's invoices and numbers."""
        tenant = principal.tenant
        return InvoiceDesk(
            principal,
            self.runtime.repository(InvoiceRepository, tenant),
            self.runtime.counters(tenant),
            clock=self.clock,
        )

    def context(
        self, runtime: ServiceRuntime, principal: Principal, request: Request
    ) -> BillingContext:
        """What the resolvers of one request get (the kit's `ContextFactory`)."""
        return BillingContext(principal=principal, invoices=self.desk(principal), request=request)


def bootstrap(
    settings: BillingSettings, *, clock: Clock = utc_now_to_the_millisecond
) -> BillingService:
    runtime = ServiceRuntime(settings, outbox_collections=OUTBOX_COLLECTIONS, indexes=INDEXES)
    return BillingService(runtime=runtime, clock=clock)
