"""A service's file download route behind the principal header (orders' dialog attachments at
`/attachments/{id}`, tickets' files at `/ticket-files/{id}`): the file for a principal who may
see it, the same 404 for a missing one and one out of sight, headers that make a browser
download it safely. The gateway streams it through with the caller's session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from portal_kit.gridfs import StoredFile
from portal_kit.principal import Principal

# What finds a file for a principal: its description and bytes, or None (missing or hidden).
FileFinder = Callable[[Principal, str], Awaitable[tuple[StoredFile, bytes] | None]]


def content_disposition(filename: str) -> str:
    """`attachment` with the name in UTF-8 (RFC 6266's `filename*`: "skade på flis.png" stays
    so) and an ASCII fallback for old clients; HTTP headers themselves carry only Latin-1."""
    safe = "".join(c for c in filename if c.isalnum() or c in "._- ")[:100] or "file"
    fallback = "".join(c if c.isascii() else "_" for c in safe)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(safe, safe='')}"


def download_routes(prefix: str, find: FileFinder) -> list[BaseRoute]:
    """`GET <prefix>/{file_id}`."""

    async def download(request: Request) -> Response:
        principal: Principal = request.state.principal  # verified by the kit's middleware
        found = await find(principal, request.path_params["file_id"])
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

    return [Route(f"{prefix}/{{file_id}}", download, methods=["GET"])]
