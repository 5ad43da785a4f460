"""CORS for the SPA origins in `PORTAL_CORS_ORIGINS`: Starlette's middleware, except that an
origin not listed gets no CORS header at all (Starlette adds allow-credentials and the exposed
headers to every answer carrying an Origin), so credentials are allowed for listed origins only."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

# What an SPA may send across origins: the token, the tenant, cookie mode's CSRF token, an
# idempotency key, the plan request and a correlation id.
REQUEST_HEADERS = (
    "authorization",
    "content-type",
    "idempotency-key",
    "x-portal-tenant",
    "x-portal-csrf",
    "x-portal-query-plan",
    "x-request-id",
)


class SpaCORSMiddleware(CORSMiddleware):
    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        super().__init__(
            app,
            allow_origins=list(origins),
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=list(REQUEST_HEADERS),
            expose_headers=["x-request-id"],
            max_age=600,
        )

    async def simple_response(
        self, scope: Scope, receive: Receive, send: Send, request_headers: Headers
    ) -> None:
        # Starlette (1.x) sends every request here, with an Origin or not: a probe, a partner's
        # server or curl sends none and is served without CORS headers.
        origin = request_headers.get("origin")
        if origin is None or not self.is_allowed_origin(origin):
            await self.app(scope, receive, send)
            return
        await super().simple_response(scope, receive, send, request_headers)

    def preflight_response(self, request_headers: Headers) -> Response:
        if not self.is_allowed_origin(request_headers["origin"]):
            return PlainTextResponse("Disallowed CORS origin", status_code=400)
        return super().preflight_response(request_headers)
