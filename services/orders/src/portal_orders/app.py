"""The orders service as an ASGI application."""

from __future__ import annotations

import logging

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.http import build_service_app
from portal_kit.principal import Principal
from portal_kit.runtime import ServiceRuntime
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal_orders.adapters.configuration import shipped_configurations
from portal_orders.adapters.repositories import INDEXES, OUTBOX_COLLECTIONS
from portal_orders.entrypoints.context import OrdersContext
from portal_orders.entrypoints.events import start_organisation_consumer
from portal_orders.entrypoints.schema import schema
from portal_orders.service_layer.orders import OrderDesk
from portal_orders.service_layer.sla import check_sla
from portal_orders.settings import OrdersSettings

log = logging.getLogger(__name__)


def create_app(settings: OrdersSettings, *, clock: Clock = utc_now_to_the_millisecond) -> Starlette:
    shipped_configurations()  # a bad configuration document stops the service here
    runtime = ServiceRuntime(
        settings,
        outbox_collections=OUTBOX_COLLECTIONS,
        indexes=INDEXES,
        on_start=[start_organisation_consumer],
    )

    def make_context(
        runtime: ServiceRuntime, principal: Principal, request: Request
    ) -> OrdersContext:
        return OrdersContext(
            principal=principal,
            orders=OrderDesk(runtime.database, principal, runtime.wake_relay, clock=clock),
            request=request,
        )

    async def download(request: Request) -> Response:
        """GET /attachments/{id}: the file, for a principal who may see its order and entry;
        anyone else gets 404 exactly as for a file that does not exist."""
        principal: Principal = request.state.principal  # verified by the kit's middleware
        desk = OrderDesk(runtime.database, principal, runtime.wake_relay, clock=clock)
        found = await desk.attachment(request.path_params["file_id"])
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

    app = build_service_app(
        runtime,
        schema,
        make_context,
        extra_routes=[Route("/attachments/{file_id}", download, methods=["GET"])],
    )
    app.state.runtime = runtime

    async def sla_round() -> None:
        await check_sla(runtime.database, clock(), runtime.wake_relay)

    runtime.every(settings.sla_check_seconds, "sla-check", sla_round)
    return app
