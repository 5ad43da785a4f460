"""What every resolver of the billing service gets: the caller and its use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from portal_kit.principal import Principal
from portal_kit.runtime import ServiceRuntime
from starlette.requests import Request

from portal_billing.service_layer.invoices import InvoiceDesk


@dataclass
class BillingContext:
    principal: Principal
    invoices: InvoiceDesk
    request: Request | None = None


def make_context(runtime: ServiceRuntime, principal: Principal, request: Request) -> BillingContext:
    return BillingContext(
        principal=principal,
        invoices=InvoiceDesk(runtime.database, principal, runtime.wake_relay),
        request=request,
    )


Info = strawberry.Info[BillingContext, Any]
