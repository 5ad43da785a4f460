"""HTTP routes besides /graphql: ticket file and knowledge-base picture downloads (the kit's
download route)."""

from __future__ import annotations

from collections.abc import Callable

from portal_kit.downloads import download_routes
from portal_kit.gridfs import StoredFile
from portal_kit.principal import Principal
from starlette.routing import BaseRoute

from portal_tickets.service_layer.knowledge import KnowledgeBase
from portal_tickets.service_layer.tickets import TicketDesk


def file_routes(
    desk_of: Callable[[Principal], TicketDesk],
    knowledge_of: Callable[[Principal], KnowledgeBase],
) -> list[BaseRoute]:
    """`GET /ticket-files/{id}`: the file for a principal who may see its ticket and entry, or
    the picture of an article they may read (the same 404 for anything else)."""

    async def find(principal: Principal, file_id: str) -> tuple[StoredFile, bytes] | None:
        found = await desk_of(principal).file(file_id)
        return found if found is not None else await knowledge_of(principal).image(file_id)

    return download_routes("/ticket-files", find)
