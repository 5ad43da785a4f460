"""`GET /attachments/{file_id}`: a dialog attachment through the public door (and
`GET /ticket-files/{file_id}`: a ticket's file, the same way from the tickets subgraph;
`GET /invoices/{invoice_id}/pdf|ubl|credit-<n>`: an issued invoice's documents from billing).

The caller's session (bearer token, or the access cookie in cookie mode) becomes the signed
principal, and the orders subgraph's `GET /attachments/{file_id}` decides, as for its GraphQL
answers, whether the caller may see the order and the log entry the file belongs to. Its answer is
streamed through in pieces, never held whole here, with the headers that make a browser download
it safely; anything the caller may not see is the same 404 as a file that does not exist.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping

import aiohttp
from starlette.responses import Response, StreamingResponse

from portal_gateway.errors import GatewayError, _
from portal_gateway.forwarding import Subgraph

log = logging.getLogger("portal.gateway.attachments")

FILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Billing's documents of an invoice: its PDF, its UBL, or its n-th credit note's UBL.
INVOICE_DOCUMENT = re.compile(r"^(pdf|ubl|credit-[1-9][0-9]{0,2})$")
# What orders says about the file that the browser needs; nothing else of its answer comes out.
KEPT = (
    b"content-type",
    b"content-length",
    b"content-disposition",
    b"x-content-type-options",
    b"cache-control",
)
NO_STORE = b"private, no-store"
CHUNK = 64 * 1024


class FileNotFound(GatewayError):
    status = 404
    code = "NOT_FOUND"


def not_found() -> FileNotFound:
    return FileNotFound(_("no such file"))


async def download(
    orders: Subgraph,
    file_id: str,
    headers: Mapping[str, str],
    timeout_seconds: float,
    *,
    route: str = "/attachments",
) -> Response:
    """The file from the subgraph's `route` (orders' /attachments, tickets' /ticket-files)."""
    if not FILE_ID.match(file_id):
        raise not_found()
    upstream = await orders.open_file(f"{route}/{file_id}", headers, timeout_seconds)
    if upstream.status != 200:
        # Out of sight and missing answer alike in orders (404); whatever else it says about a
        # file the caller does not get is told the same way.
        upstream.release()
        raise not_found()
    # As bytes: a header is Latin-1 on the wire, and passed on as it came.
    kept = [(name.lower(), value) for name, value in upstream.raw_headers if name.lower() in KEPT]
    for name, value in ((b"x-content-type-options", b"nosniff"), (b"cache-control", NO_STORE)):
        if all(kept_name != name for kept_name, _ in kept):
            kept.append((name, value))

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.content.iter_chunked(CHUNK):
                yield chunk
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            # Headers are out: the connection is cut, so the client sees an incomplete file.
            log.warning(
                "attachment download broke off",
                extra={"subgraph": orders.name, "error": type(error).__name__},
            )
            raise
        finally:
            upstream.release()

    response = StreamingResponse(body(), status_code=200)
    response.raw_headers = kept
    return response
