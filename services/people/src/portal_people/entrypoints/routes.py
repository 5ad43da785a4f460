"""HTTP routes of the people service besides GraphQL: the keys that verify its access tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from portal_people.adapters.tokens import TokenIssuer


def routes(tokens: TokenIssuer) -> list[BaseRoute]:
    async def jwks(_: Request) -> JSONResponse:
        return JSONResponse(tokens.jwks(), headers={"Cache-Control": "public, max-age=300"})

    return [Route("/.well-known/jwks.json", jwks)]
