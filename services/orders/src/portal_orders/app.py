"""The orders service as an ASGI application."""

from __future__ import annotations

from portal_kit.http import build_service_app
from portal_kit.runtime import ServiceRuntime
from starlette.applications import Starlette

from portal_orders.adapters.repositories import INDEXES, OUTBOX_COLLECTIONS
from portal_orders.entrypoints.context import make_context
from portal_orders.entrypoints.schema import schema
from portal_orders.settings import OrdersSettings


def create_app(settings: OrdersSettings) -> Starlette:
    runtime = ServiceRuntime(settings, outbox_collections=OUTBOX_COLLECTIONS, indexes=INDEXES)
    app = build_service_app(runtime, schema, make_context)
    app.state.runtime = runtime
    return app
