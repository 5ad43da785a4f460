"""The tickets service as an ASGI application, built from its composition root."""

from __future__ import annotations

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.http import build_service_app
from starlette.applications import Starlette

from portal_tickets.bootstrap import bootstrap
from portal_tickets.entrypoints.routes import file_routes
from portal_tickets.entrypoints.schema import schema
from portal_tickets.settings import TicketsSettings


def create_app(
    settings: TicketsSettings, *, clock: Clock = utc_now_to_the_millisecond
) -> Starlette:
    service = bootstrap(settings, clock=clock)
    app = build_service_app(
        service.runtime,
        schema,
        service.context,
        extra_routes=file_routes(service.desk, service.knowledge),
        multipart_uploads=True,  # ticket and post files (TicketFileInput.file)
    )
    app.state.runtime = service.runtime
    app.state.service = service
    return app
