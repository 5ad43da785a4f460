"""HTTP routes besides /graphql: ticket file downloads (the kit's download route)."""

from __future__ import annotations

from collections.abc import Callable

from portal_kit.downloads import download_routes
from portal_kit.gridfs import StoredFile
from portal_kit.principal import Principal
from starlette.routing import BaseRoute

from portal_tickets.service_layer.tickets import TicketDesk


def file_routes(desk_of: Callable[[Principal], TicketDesk]) -> list[BaseRoute]:
    """`GET /ticket-files/{id}`: the file for a principal who may see its ticket and entry."""

    async def find(principal: Principal, file_id: str) -> tuple[StoredFile, bytes] | None:
        return await desk_of(principal).file(file_id)

    return download_routes("/ticket-files", find)
