"""The people service as an ASGI application."""

from __future__ import annotations

import logging

from portal_kit.http import build_service_app
from portal_kit.principal import Principal, generate_key_pair
from portal_kit.runtime import ServiceRuntime
from portal_kit.settings import SettingsError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from portal_people.adapters.notifications import Notifications
from portal_people.adapters.repositories import INDEXES, OUTBOX_COLLECTIONS
from portal_people.adapters.tokens import TokenIssuer
from portal_people.entrypoints.context import PeopleContext
from portal_people.entrypoints.schema import schema
from portal_people.service_layer.directory import Directory
from portal_people.settings import PeopleSettings
from portal_people.wiring import PeopleServices, cipher_for, mailer_for

log = logging.getLogger(__name__)


def token_issuer(settings: PeopleSettings) -> TokenIssuer:
    def read(setting: str, path: object) -> bytes:
        try:
            with open(str(path), "rb") as file:
                return file.read()
        except OSError as error:
            raise SettingsError(setting, f"cannot be read: {error.strerror}") from error

    if settings.token_signing_key_file is None:
        log.warning("no PORTAL_TOKEN_SIGNING_KEY_FILE: signing tokens with a throw-away key")
        signing_key, _ = generate_key_pair()
    else:
        signing_key = read("PORTAL_TOKEN_SIGNING_KEY_FILE", settings.token_signing_key_file)
    retired = [
        read("PORTAL_TOKEN_RETIRED_PUBLIC_KEY_FILES", path)
        for path in settings.token_retired_public_key_files
    ]
    try:
        return TokenIssuer(signing_key, retired, lifetime_seconds=settings.access_token_seconds)
    except ValueError as error:
        raise SettingsError("PORTAL_TOKEN_SIGNING_KEY_FILE", str(error)) from error


def create_app(settings: PeopleSettings) -> Starlette:
    runtime = ServiceRuntime(settings, outbox_collections=OUTBOX_COLLECTIONS, indexes=INDEXES)
    issuer = token_issuer(settings)
    try:
        cipher = cipher_for(settings)
    except ValueError as error:
        raise SettingsError("PORTAL_NATIONAL_ID_KEY", str(error)) from error
    services = PeopleServices(
        settings=settings,
        tokens=issuer,
        notifications=Notifications(mailer_for(settings), settings.public_url),
        cipher=cipher,
    )

    def make_context(
        runtime: ServiceRuntime, principal: Principal, request: Request
    ) -> PeopleContext:
        return PeopleContext(
            principal=principal,
            directory=Directory(runtime.database, principal, runtime.wake_relay),
            services=services,
            request=request,
        )

    async def jwks(_: Request) -> JSONResponse:
        return JSONResponse(issuer.jwks(), headers={"Cache-Control": "public, max-age=300"})

    app = build_service_app(
        runtime, schema, make_context, extra_routes=[Route("/.well-known/jwks.json", jwks)]
    )
    app.state.runtime = runtime
    app.state.tokens = issuer
    app.state.services = services
    return app
