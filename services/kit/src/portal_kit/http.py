"""The Starlette application every service serves: /graphql behind the principal, health."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.federation import Schema
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from portal_kit import metrics, tracing
from portal_kit.graphql import error_code
from portal_kit.idempotency import IdempotentGraphQL
from portal_kit.logging import request_id_var, tenant_var, traceparent_var
from portal_kit.messages import locale_var
from portal_kit.principal import HEADER, InvalidPrincipal, Principal
from portal_kit.runtime import ServiceRuntime

log = logging.getLogger("portal.http")

ContextFactory = Callable[[ServiceRuntime, Principal, Request], Any]


@dataclass(kw_only=True)
class CallerContext:
    """What every resolver gets: the verified caller and its request. A service's context adds
    the caller's use cases, built by its composition root."""

    principal: Principal
    request: Request | None = None


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.lower().encode()
    for key, value in scope.get("headers", []):
        if key == wanted:
            return str(value.decode("latin-1"))
    return None


def _valid_context(carrier: Mapping[str, str]) -> bool:
    return trace.get_current_span(tracing.extract(carrier)).get_span_context().is_valid


class RequestContextMiddleware:
    """Request id and trace context into the log context; one log line per request; request
    metrics by route template. With a `tracer` (the process exports traces) a server span
    continuing the caller's `traceparent` or starting a trace; without, the caller's valid
    `traceparent` passes through as it came. The gateway uses it too."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str = "unknown",
        tracer: trace.Tracer | None = None,
        routes: Sequence[BaseRoute] = (),
    ) -> None:
        self.app = app
        self.service = service
        self.tracer = tracer
        # The app's own list: routes added later are matched too.
        self.routes = routes
        # Per request these are hot (the gateway's every call): templates of paths without
        # parameters and the metric series, both bounded by the routes.
        self._exact: dict[tuple[str, str], str] = {}
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def route_of(self, scope: Scope) -> str:
        """The template of the route the request goes to: a bounded label, never the path."""
        key = (scope["path"], scope.get("method", "GET"))
        if (known := self._exact.get(key)) is not None:
            return known
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                template = str(getattr(route, "path", "other"))
                if template == scope["path"]:
                    self._exact[key] = template
                return template
        return "other"

    def _observe(self, route: str, method: str, status: int, seconds: float) -> None:
        series = self._series.get((route, method, status))
        if series is None:
            series = (
                metrics.HTTP_REQUESTS.labels(self.service, route, method, str(status)),
                metrics.HTTP_SECONDS.labels(self.service, route, method),
            )
            self._series[(route, method, status)] = series
        series[0].inc()
        series[1].observe(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = (_header(scope, "x-request-id") or uuid.uuid4().hex)[:64]
        route = self.route_of(scope)
        carrier = {
            name: value
            for name in ("traceparent", "tracestate")
            if (value := _header(scope, name)) is not None
        }
        if self.tracer is None:
            # Untraced: a valid caller's context goes on unchanged, a malformed one is dropped.
            # Most requests carry none: the propagator (the costly part) runs only for one.
            traceparent = carrier.get("traceparent")
            if traceparent is not None and not _valid_context(carrier):
                traceparent = None
            await self._serve(scope, receive, send, request_id, route, traceparent)
            return
        method = scope.get("method", "GET")
        with self.tracer.start_as_current_span(
            f"{method} {route}",
            context=tracing.extract(carrier),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": method, "http.route": route},
        ) as span:
            await self._serve(
                scope, receive, send, request_id, route, tracing.current_traceparent(), span
            )

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request_id: str,
        route: str,
        traceparent: str | None,
        span: trace.Span | None = None,
    ) -> None:
        tokens = (
            request_id_var.set(request_id),
            # The server span's context (or the caller's, untraced): every event this request
            # causes carries it.
            traceparent_var.set(traceparent),
            metrics.service_var.set(self.service),
        )
        method = scope.get("method", "GET")
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            self._observe(route, method, status, seconds)
            if span is not None:
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(trace.StatusCode.ERROR)
            if scope["path"] not in ("/healthz", "/readyz", "/metrics"):
                log.info(
                    "request",
                    extra={"path": scope["path"], "status": status, "ms": round(seconds * 1000, 2)},
                )
            request_id_var.reset(tokens[0])
            traceparent_var.reset(tokens[1])
            metrics.service_var.reset(tokens[2])


# Probes, metrics and published keys; every other route (GraphQL, files...) needs a principal.
PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics", "/.well-known/")


class PrincipalMiddleware:
    """Refuses every call without a valid principal signed by the gateway (401), except to the
    public paths; a route reads the verified principal from `request.state.principal`."""

    def __init__(self, app: ASGIApp, runtime: ServiceRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PUBLIC_PATHS):
            await self.app(scope, receive, send)
            return
        try:
            principal = self.runtime.verifier.verify(_header(scope, HEADER))
        except InvalidPrincipal as error:
            body = {"errors": [{"message": str(error), "extensions": {"code": "UNAUTHENTICATED"}}]}
            response = Response(orjson.dumps(body), status_code=401, media_type="application/json")
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        token = tenant_var.set(principal.tenant)
        language = locale_var.set(principal.locale)
        try:
            await self.app(scope, receive, send)
        finally:
            locale_var.reset(language)
            tenant_var.reset(token)


class ServiceGraphQL(GraphQL[Any, None]):
    def __init__(
        self,
        schema: Schema,
        runtime: ServiceRuntime,
        context_factory: ContextFactory,
        *,
        multipart_uploads: bool = False,
    ) -> None:
        # Multipart requests (file uploads) come only from the gateway, with a signed principal;
        # the browser-facing CSRF checks for them are the gateway's.
        super().__init__(
            schema,
            graphql_ide="graphiql" if runtime.settings.dev_mode else None,
            multipart_uploads_enabled=multipart_uploads,
        )
        self.runtime = runtime
        self.context_factory = context_factory

    async def get_context(self, request: Any, response: Any) -> Any:
        principal: Principal = request.state.principal
        return self.context_factory(self.runtime, principal, request)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        service = self.runtime.settings.service_name
        for error in result.errors or ():
            metrics.GRAPHQL_ERRORS.labels(service, error_code(error)).inc()
        return await super().process_result(request, result)


def build_service_app(
    runtime: ServiceRuntime,
    schema: Schema,
    context_factory: ContextFactory,
    extra_routes: Sequence[BaseRoute] = (),
    *,
    multipart_uploads: bool = False,
) -> Starlette:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "up", "service": runtime.settings.service_name})

    async def readyz(_: Request) -> Response:
        # 200 while the API can be served; NATS trouble is "degraded", named in `degraded`.
        readiness = await runtime.readiness()
        body: dict[str, Any] = {"status": readiness.status, "checks": readiness.checks}
        if readiness.degraded:
            body["degraded"] = readiness.degraded
        return JSONResponse(body, status_code=200 if readiness.ready else 503)

    async def metrics_route(_: Request) -> Response:
        await runtime.readiness()  # brings the dependency gauges up to date
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    graphql = ServiceGraphQL(schema, runtime, context_factory, multipart_uploads=multipart_uploads)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_route),
            Route(
                "/graphql",
                IdempotentGraphQL(graphql, lambda: runtime.database),
                methods=["GET", "POST"],
            ),
            *extra_routes,
        ],
        lifespan=lifespan,
    )
    app.add_middleware(PrincipalMiddleware, runtime=runtime)
    app.add_middleware(
        RequestContextMiddleware,
        service=runtime.settings.service_name,
        tracer=runtime.tracing.tracer if runtime.tracing.exporting else None,
        routes=app.routes,
    )
    return app
