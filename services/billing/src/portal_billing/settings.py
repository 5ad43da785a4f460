"""Settings of the billing service."""

from __future__ import annotations

from portal_kit.settings import ServiceSettings
from pydantic import Field


class BillingSettings(ServiceSettings):
    service_name: str = "billing"
    http_port: int = Field(default=4004, ge=1, le=65535)
    # How often the periodic check announces invoices that fell overdue (InvoiceOverdue).
    overdue_check_seconds: float = Field(default=3600.0, gt=0)
