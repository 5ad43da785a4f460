"""HTTP routes besides /graphql: attachment downloads (the kit's download route)."""

from __future__ import annotations

from collections.abc import Callable

from portal_kit.downloads import download_routes
from portal_kit.gridfs import StoredFile
from portal_kit.principal import Principal
from starlette.routing import BaseRoute

from portal_orders.service_layer.orders import OrderDesk


def attachment_routes(desk_of: Callable[[Principal], OrderDesk]) -> list[BaseRoute]:
    """`GET /attachments/{id}`: the file for a principal who may see its order and entry;
    anyone else gets 404 exactly as for a file that does not exist."""

    async def find(principal: Principal, file_id: str) -> tuple[StoredFile, bytes] | None:
        return await desk_of(principal).attachment(file_id)

    return download_routes("/attachments", find)
