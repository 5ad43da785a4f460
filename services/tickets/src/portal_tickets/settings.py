"""Settings of the tickets service."""

from __future__ import annotations

from portal_kit.settings import ServiceSettings
from pydantic import Field


class TicketsSettings(ServiceSettings):
    service_name: str = "tickets"
    http_port: int = Field(default=4003, ge=1, le=65535)
