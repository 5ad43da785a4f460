"""The billing service as an ASGI application, built from its composition root."""

from __future__ import annotations

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.http import build_service_app
from starlette.applications import Starlette

from portal_billing.bootstrap import bootstrap
from portal_billing.entrypoints.routes import document_routes
from portal_billing.entrypoints.schema import schema
from portal_billing.settings import BillingSettings


def create_app(
    settings: BillingSettings, *, clock: Clock = utc_now_to_the_millisecond
) -> Starlette:
    service = bootstrap(settings, clock=clock)
    app = build_service_app(
        service.runtime, schema, service.context, extra_routes=document_routes(service.desk)
    )
    app.state.runtime = service.runtime
    app.state.service = service
    return app
