"""What every resolver of the tickets service gets: the caller and its use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from portal_kit.principal import Principal
from portal_kit.runtime import ServiceRuntime
from starlette.requests import Request

from portal_tickets.service_layer.tickets import TicketDesk


@dataclass
class TicketsContext:
    principal: Principal
    tickets: TicketDesk
    request: Request | None = None


def make_context(runtime: ServiceRuntime, principal: Principal, request: Request) -> TicketsContext:
    return TicketsContext(
        principal=principal,
        tickets=TicketDesk(runtime.database, principal, runtime.wake_relay),
        request=request,
    )


Info = strawberry.Info[TicketsContext, Any]
