"""Settings of the orders service."""

from __future__ import annotations

from portal_kit.settings import ServiceSettings
from pydantic import Field


class OrdersSettings(ServiceSettings):
    service_name: str = "orders"
    http_port: int = Field(default=4002, ge=1, le=65535)
    # How often expected contact and delivery dates are checked for breaches.
    sla_check_seconds: float = Field(default=300.0, gt=0)
