"""What every resolver of the billing service gets: the caller and its use cases (built per
request by `bootstrap.BillingService.context`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from portal_kit.http import CallerContext

from portal_billing.service_layer.incoming import IncomingDesk
from portal_billing.service_layer.invoices import InvoiceDesk


@dataclass(kw_only=True)
class BillingContext(CallerContext):
    invoices: InvoiceDesk
    incoming: IncomingDesk


Info = strawberry.Info[BillingContext, Any]
