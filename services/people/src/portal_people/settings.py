"""Settings of the people service."""

from __future__ import annotations

from portal_kit.settings import ServiceSettings
from pydantic import Field


class PeopleSettings(ServiceSettings):
    service_name: str = "people"
    http_port: int = Field(default=4001, ge=1, le=65535)
