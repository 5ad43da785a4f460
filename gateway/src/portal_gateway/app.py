"""The gateway as an ASGI application: /graphql, /healthz and /readyz.

For now it forwards every GraphQL request to the people subgraph; planning across subgraphs
(federation) replaces `Gateway.forward` later without changing what callers see.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson
from cryptography.exceptions import UnsupportedAlgorithm
from portal_kit.http import RequestContextMiddleware
from portal_kit.logging import request_id_var, tenant_var
from portal_kit.principal import PrincipalSigner
from portal_kit.settings import SettingsError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from strawberry.http.ides import get_graphql_ide_html

from portal_gateway.authentication import Authenticator, build_authenticator
from portal_gateway.errors import (
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    BadRequest,
    GatewayError,
)
from portal_gateway.forwarding import JSON, Subgraph, traceparent_for
from portal_gateway.settings import GatewaySettings

log = logging.getLogger("portal.gateway")


def load_signer(settings: GatewaySettings) -> PrincipalSigner:
    pem = settings.private_key_pem()
    try:
        return PrincipalSigner(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SettingsError(
            "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE", "is not an Ed25519 private key in PEM"
        ) from None


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)


class Gateway:
    """What the running gateway holds: settings, signer, the shared session, its subgraphs."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.signer = load_signer(settings)
        self._session: aiohttp.ClientSession | None = None
        self._people: Subgraph | None = None
        self.authenticator: Authenticator = build_authenticator(settings, self.session)
        self._ide_html = get_graphql_ide_html("graphiql") if settings.dev_mode else ""

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the gateway has not started")
        return self._session

    @property
    def people(self) -> Subgraph:
        if self._people is None:
            raise RuntimeError("the gateway has not started")
        return self._people

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self.settings.upstream_connections,
            keepalive_timeout=30,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(connector=connector)
        self._people = Subgraph(
            "people",
            self.settings.people_url,
            self._session,
            self.signer,
            self.settings.upstream_timeout_seconds,
        )

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- /graphql --------------------------------------------------------------------------

    async def graphql(self, request: Request) -> Response:
        try:
            if request.method == "POST":
                body = await self._read_body(request)
                validate_operation(parse_json(body))
            elif self._wants_ide(request):
                return HTMLResponse(self._ide_html)
            else:
                body = b""
                validate_get(request)
            principal = await self.authenticator.principal(request.headers)
            tenant_var.set(principal.tenant)  # for the request's log line; one task per request
            headers = self.people.headers(
                principal,
                request.headers,
                request_id_var.get() or "",
                traceparent_for(request.headers.get("traceparent")),
            )
            if request.method == "POST":
                answer = await self.people.post(body, headers)
            else:
                answer = await self.people.get(request.url.query, headers)
        except GatewayError as error:
            return error.response()
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)

    def _wants_ide(self, request: Request) -> bool:
        """In dev mode a browser opening /graphql gets GraphiQL, which posts back here."""
        return (
            self.settings.dev_mode
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def _read_body(self, request: Request) -> bytes:
        content_type = request.headers.get("content-type")
        if content_type is not None and content_type.split(";")[0].strip().lower() not in (
            JSON,
            "application/graphql-response+json",
        ):
            raise GatewayError(
                "send the GraphQL request as application/json",
                status=415,
                code=UNSUPPORTED_MEDIA_TYPE,
            )
        limit = self.settings.max_request_bytes
        too_large = GatewayError(
            f"request body larger than {limit} bytes", status=413, code=PAYLOAD_TOO_LARGE
        )
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    # -- health ----------------------------------------------------------------------------

    async def healthz(self, _: Request) -> Response:
        return json_response({"status": "up", "service": self.settings.service_name})

    async def readyz(self, _: Request) -> Response:
        checks = {"people": await self.people.ready()}
        ready = all(checks.values())
        return json_response(
            {"status": "ready" if ready else "not ready", "checks": checks},
            200 if ready else 503,
        )


def parse_json(body: bytes) -> Any:
    if not body:
        raise BadRequest("empty request body: expected a GraphQL request as JSON")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("request body is not valid JSON") from None


def validate_operation(operation: Any) -> None:
    """The shape GraphQL-over-HTTP asks for; the subgraph validates the document itself."""
    if not isinstance(operation, dict):
        raise BadRequest("expected a JSON object with a `query`")
    query = operation.get("query")
    if not isinstance(query, str) or not query.strip():
        raise BadRequest("missing `query`: expected a GraphQL document as a string")
    for name, kind in (("variables", dict), ("operationName", str), ("extensions", dict)):
        value = operation.get(name)
        if value is not None and not isinstance(value, kind):
            expected = "an object" if kind is dict else "a string"
            raise BadRequest(f"`{name}` must be {expected}")


def validate_get(request: Request) -> None:
    params = request.query_params
    if not params.get("query", "").strip():
        raise BadRequest("missing `query` parameter")
    for name in ("variables", "extensions"):
        if (raw := params.get(name)) is not None and raw != "":
            value = parse_json(raw.encode())
            if value is not None and not isinstance(value, dict):
                raise BadRequest(f"`{name}` must be a JSON object")


def create_app(settings: GatewaySettings) -> Starlette:
    gateway = Gateway(settings)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    app = Starlette(
        routes=[
            Route("/healthz", gateway.healthz, methods=["GET"]),
            Route("/readyz", gateway.readyz, methods=["GET"]),
            Route("/graphql", gateway.graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(RequestContextMiddleware)
    app.state.gateway = gateway
    return app
