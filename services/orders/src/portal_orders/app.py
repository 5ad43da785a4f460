"""The orders service as an ASGI application, built from the composition root."""

from __future__ import annotations

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.http import build_service_app
from starlette.applications import Starlette

from portal_orders.bootstrap import bootstrap
from portal_orders.entrypoints.routes import attachment_routes
from portal_orders.entrypoints.schema import schema
from portal_orders.settings import OrdersSettings


def create_app(settings: OrdersSettings, *, clock: Clock = utc_now_to_the_millisecond) -> Starlette:
    service = bootstrap(settings, clock=clock)
    app = build_service_app(
        service.runtime,
        schema,
        service.context,
        extra_routes=attachment_routes(service.desk),
        multipart_uploads=True,  # dialog attachments (OrderAttachmentInput.file)
    )
    app.state.runtime = service.runtime
    app.state.service = service
    return app
