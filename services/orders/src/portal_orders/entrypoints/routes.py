"""HTTP routes besides /graphql: attachment downloads."""

from __future__ import annotations

from collections.abc import Callable

from portal_kit.principal import Principal
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from portal_orders.service_layer.orders import OrderDesk


def attachment_routes(desk_of: Callable[[Principal], OrderDesk]) -> list[BaseRoute]:
    """`GET /attachments/{id}` behind the principal header (like /graphql)."""

    async def download(request: Request) -> Response:
        """The file, for a principal who may see its order and entry; anyone else gets 404
        exactly as for a file that does not exist."""
        principal: Principal = request.state.principal  # verified by the kit's middleware
        found = await desk_of(principal).attachment(request.path_params["file_id"])
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        info, data = found
        safe_name = "".join(c for c in info.filename if c.isalnum() or c in "._- ")[:100]
        return Response(
            data,
            media_type=info.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{safe_name or "file"}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    return [Route("/attachments/{file_id}", download, methods=["GET"])]
