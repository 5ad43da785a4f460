"""What every resolver of the tickets service gets: the caller and its use cases (built per
request by `bootstrap.TicketsService.context`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from portal_kit.http import CallerContext

from portal_tickets.service_layer.knowledge import KnowledgeBase
from portal_tickets.service_layer.tickets import TicketDesk


@dataclass(kw_only=True)
class TicketsContext(CallerContext):
    tickets: TicketDesk
    knowledge: KnowledgeBase


Info = strawberry.Info[TicketsContext, Any]
