"""HTTP routes besides /graphql: an issued invoice's documents, behind the principal header
(like /graphql): `GET /invoices/{id}/pdf` and `GET /invoices/{id}/ubl`."""

from __future__ import annotations

from collections.abc import Callable

from portal_kit.principal import Principal
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from portal_billing.service_layer.invoices import InvoiceDesk


def document_routes(desk_of: Callable[[Principal], InvoiceDesk]) -> list[BaseRoute]:
    async def download(request: Request) -> Response:
        """The document, for a principal who may see the issued invoice; anyone else gets 404
        exactly as for an invoice that does not exist."""
        principal: Principal = request.state.principal  # verified by the kit's middleware
        found = await desk_of(principal).document(
            request.path_params["invoice_id"], request.path_params["kind"]
        )
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        filename, media_type, content = found
        return Response(
            content,
            media_type=media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    return [Route("/invoices/{invoice_id}/{kind}", download, methods=["GET"])]
