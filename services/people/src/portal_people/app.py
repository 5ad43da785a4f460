"""The people service as an ASGI application, built from the composition root."""

from __future__ import annotations

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.http import build_service_app
from starlette.applications import Starlette

from portal_people.bootstrap import bootstrap
from portal_people.entrypoints.routes import routes
from portal_people.entrypoints.schema import schema
from portal_people.settings import PeopleSettings


def create_app(settings: PeopleSettings, *, clock: Clock = utc_now_to_the_millisecond) -> Starlette:
    service = bootstrap(settings, clock=clock)
    app = build_service_app(
        service.runtime, schema, service.context, extra_routes=routes(service.tokens)
    )
    app.state.runtime = service.runtime
    app.state.tokens = service.tokens
    # Tests move the clock and change limits through this.
    app.state.services = service
    return app
