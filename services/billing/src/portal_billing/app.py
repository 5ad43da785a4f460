"""The billing service as an ASGI application, built from its composition root."""

from __future__ import annotations

from portal_kit.http import build_service_app
from starlette.applications import Starlette

from portal_billing.bootstrap import bootstrap
from portal_billing.entrypoints.schema import schema
from portal_billing.settings import BillingSettings


def create_app(settings: BillingSettings) -> Starlette:
    service = bootstrap(settings)
    app = build_service_app(service.runtime, schema, service.context)
    app.state.runtime = service.runtime
    return app
