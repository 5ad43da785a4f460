"""What every resolver of the billing service gets: the caller and its use cases (built per
request by `bootstrap.BillingService.context`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from portal_kit.principal import Principal
from starlette.requests import Request

from portal_billing.service_layer.invoices import InvoiceDesk


@dataclass
class BillingContext:
    principal: Principal
    invoices: InvoiceDesk
    request: Request | None = None


Info = strawberry.Info[BillingContext, Any]
