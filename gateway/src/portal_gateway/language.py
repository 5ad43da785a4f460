"""The language of the gateway's own answers (errors.py): the caller's, as far as the gateway
knows it at the moment it answers — the principal's locale once the request has one (the token's
`locale` claim, or for an anonymous caller its Accept-Language), before that the request's
Accept-Language, else English. The gateway knows no tenant's default locale (people keeps the
tenants' configuration); the services answer in it themselves."""

from __future__ import annotations

from portal_kit.messages import locale_var
from starlette.types import ASGIApp, Receive, Scope, Send

from portal_gateway.authentication import preferred_locale


class CallerLanguageMiddleware:
    """Accept-Language into the kit's `locale_var` for the request, until a principal speaks."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next(
            (v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"accept-language"),
            None,
        )
        token = locale_var.set(preferred_locale(header))
        try:
            await self.app(scope, receive, send)
        finally:
            locale_var.reset(token)
