"""The people service as an ASGI application."""

from __future__ import annotations

from portal_kit.http import build_service_app
from portal_kit.runtime import ServiceRuntime
from starlette.applications import Starlette

from portal_people.adapters.repositories import INDEXES, OUTBOX_COLLECTIONS
from portal_people.entrypoints.context import make_context
from portal_people.entrypoints.schema import schema
from portal_people.settings import PeopleSettings


def create_app(settings: PeopleSettings) -> Starlette:
    runtime = ServiceRuntime(settings, outbox_collections=OUTBOX_COLLECTIONS, indexes=INDEXES)
    app = build_service_app(runtime, schema, make_context)
    app.state.runtime = runtime
    return app
