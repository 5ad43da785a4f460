"""What every resolver of the tickets service gets: the caller and its use cases (built per
request by `bootstrap.TicketsService.context`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from portal_kit.principal import Principal
from starlette.requests import Request

from portal_tickets.service_layer.tickets import TicketDesk


@dataclass
class TicketsContext:
    principal: Principal
    tickets: TicketDesk
    request: Request | None = None


Info = strawberry.Info[TicketsContext, Any]
