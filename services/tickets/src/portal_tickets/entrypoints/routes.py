"""HTTP routes besides /graphql: ticket file downloads."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from portal_kit.principal import Principal
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from portal_tickets.service_layer.tickets import TicketDesk


def content_disposition(filename: str) -> str:
    """`attachment` with the name in UTF-8 (RFC 6266's `filename*`) and an ASCII fallback."""
    safe = "".join(c for c in filename if c.isalnum() or c in "._- ")[:100] or "file"
    fallback = "".join(c if c.isascii() else "_" for c in safe)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(safe, safe='')}"


def file_routes(desk_of: Callable[[Principal], TicketDesk]) -> list[BaseRoute]:
    """`GET /ticket-files/{id}` behind the principal header (like /graphql)."""

    async def download(request: Request) -> Response:
        """The file, for a principal who may see its ticket and entry; anyone else gets 404
        exactly as for a file that does not exist."""
        principal: Principal = request.state.principal  # verified by the kit's middleware
        found = await desk_of(principal).file(request.path_params["file_id"])
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        info, data = found
        return Response(
            data,
            media_type=info.content_type,
            headers={
                "Content-Disposition": content_disposition(info.filename),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    return [Route("/ticket-files/{file_id}", download, methods=["GET"])]
