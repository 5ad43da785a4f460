"""The gateway as an ASGI application: /graphql, /healthz and /readyz.

Every GraphQL request is planned over the supergraph's subgraphs and executed by the federation
engine (`portal_gateway.engine`); /metrics serves Prometheus metrics.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson
from cryptography.exceptions import UnsupportedAlgorithm
from portal_kit.http import RequestContextMiddleware
from portal_kit.idempotency import IDEMPOTENCY_HEADER
from portal_kit.logging import request_id_var, tenant_var, traceparent_var
from portal_kit.messages import translate
from portal_kit.principal import Principal, PrincipalSigner, read_scope
from portal_kit.settings import SettingsError
from portal_kit.tracing import configure_tracing
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.http.ides import get_graphql_ide_html

from portal_gateway import attachments, cookies, metrics, oauth, uploads
from portal_gateway.authentication import Authenticator, build_authenticator
from portal_gateway.circuit import Circuit
from portal_gateway.cors import SpaCORSMiddleware
from portal_gateway.engine import Engine, RequestError
from portal_gateway.errors import (
    BAD_REQUEST,
    AuthenticationFailed,
    GatewayError,
    SubgraphUnavailable,
    _,
    without_internals,
)
from portal_gateway.federation.executor import FetchFailed
from portal_gateway.federation.plan import Fetch
from portal_gateway.federation.supergraph import UnsupportedSupergraph, read_supergraph
from portal_gateway.forwarding import CachedSigner, Subgraph, forwarded_for, traceparent_for
from portal_gateway.http_request import (
    check_variables,
    operation_from_body,
    operation_from_query,
)
from portal_gateway.language import CallerLanguageMiddleware
from portal_gateway.limits import LimitExceeded, Limits, check_document
from portal_gateway.media import JSON, negotiate, status_for
from portal_gateway.persisted import PersistedQueries
from portal_gateway.revocations import RevocationFeed, Revocations
from portal_gateway.settings import GatewaySettings
from portal_gateway.subscriptions import Subscriptions

log = logging.getLogger("portal.gateway")

FIRST_LOGIN_REQUIRED = "FIRST_LOGIN_REQUIRED"


def first_login_refusal(fetch: Fetch, body: Mapping[str, Any]) -> dict[str, Any]:
    """What a subgraph other than people answers a user who still has to complete a first login
    (confirm contact details, change password; people puts only the kit's FIRST_LOGIN_SCOPE in
    their token): every field the fetch was to bring is null with the error at its path, so
    what people answers (`me`) still arrives beside it."""
    return refusal(fetch, body, _("complete the first login first"), FIRST_LOGIN_REQUIRED)


def partner_refusal(
    fetch: Fetch, body: Mapping[str, Any], principal: Principal
) -> dict[str, Any] | None:
    """A partner client reads, and only the services whose read scope it holds: a mutation, or
    a fetch from another service, is answered as that subgraph's refusal at its paths."""
    if fetch.operation_kind == "mutation":
        return refusal(fetch, body, _("a partner client changes nothing"), "PARTNER_READ_ONLY")
    scope = read_scope(fetch.graph)
    if not principal.has_scope(scope):
        return refusal(fetch, body, _("needs the scope {scope}", scope=scope), "SCOPE_REQUIRED")
    return None


def refusal(fetch: Fetch, body: Mapping[str, Any], message: str, code: str) -> dict[str, Any]:
    """The fetch answered with `code` at every path it was to fill."""
    if fetch.path is None:
        paths: list[list[str | int]] = [[key] for key in fetch.root_keys]
    else:
        variables = body.get("variables") or {}
        count = len(variables.get("representations") or ())
        paths = [["_entities", index, key] for index in range(count) for key in fetch.entity_keys]
    error = {"message": translate(message), "extensions": {"code": code}}
    return {"data": None, "errors": [{**error, "path": path} for path in paths] or [error]}


# Documents longer than this are parsed and validated in a worker thread (shorter ones take
# well under a millisecond on the loop).
OFF_LOOP_CHARACTERS = 2_000
MAX_IDEMPOTENCY_KEY = 150


def _limit_body(error: LimitExceeded) -> dict[str, Any]:
    return {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}


def warn_about_proxies(settings: GatewaySettings) -> None:
    """'*' believes X-Forwarded-For from anyone: every client then picks the address people's
    login throttling counts it under (and can dodge or aim a lock). Allowed, said loudly."""
    proxies = [part.strip() for part in settings.trusted_proxies.split(",")]
    if "*" in proxies:
        log.warning(
            "PORTAL_TRUSTED_PROXIES='*' believes X-Forwarded-For from every client: each client "
            "chooses the address its logins are throttled by. Name the addresses of the proxies "
            "in front of the gateway instead (see gateway/README.md, 'Behind a proxy')."
        )


def load_signer(settings: GatewaySettings) -> PrincipalSigner:
    pem = settings.private_key_pem()
    try:
        return PrincipalSigner(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SettingsError(
            "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE", "is not an Ed25519 private key in PEM"
        ) from None


def json_response(body: Any, status: int = 200, media: str = JSON) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media)


class Gateway:
    """What the running gateway holds: settings, signer, the engine, the shared session and one
    client per subgraph of the supergraph."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.signer = load_signer(settings)
        # Spans of requests, plans, executions and fetches, exported when OTLP is configured.
        self.tracing = configure_tracing(settings.service_name)
        self.signed = CachedSigner(self.signer)  # one cache for every subgraph
        try:
            self.supergraph = read_supergraph(settings.supergraph_sdl())
        except UnsupportedSupergraph as error:
            raise SettingsError(
                "PORTAL_SUPERGRAPH_FILE", f"unsupported supergraph: {error}"
            ) from None
        self.engine = Engine(
            self.supergraph,
            limits=Limits(
                max_depth=settings.max_depth,
                max_aliases=settings.max_aliases,
                max_root_fields=settings.max_root_fields,
                max_cost=settings.max_cost,
                max_fields=settings.max_fields,
            ),
            dev_mode=settings.dev_mode,
            max_tokens=settings.max_query_tokens,
            deadline_seconds=settings.request_deadline(),
            check_plans=settings.dev_mode or settings.check_plans,
            tracer=self.tracing.tracer,
        )
        self.queries = PersistedQueries(
            settings.persisted_query_bytes,
            anonymous_registration=settings.persisted_queries_anonymous,
        )
        self._session: aiohttp.ClientSession | None = None
        self.subgraphs: dict[str, Subgraph] = {}
        # Revocations reach us as people's events; tokens are refused from then on.
        self.revocations = Revocations(
            horizon_seconds=settings.max_token_seconds + settings.token_leeway_seconds + 60
        )
        self.revocation_feed = (
            RevocationFeed(
                self.revocations,
                nats_url=settings.nats_url,
                prefix=settings.event_prefix,
                nkey_seed_file=settings.nats_nkey_seed_file,
            )
            if settings.nats_url
            else None
        )
        self.authenticator: Authenticator = build_authenticator(
            settings, self.session, self.revocations
        )
        # Set by create_app: /readyz reports the subscriptions' event feed.
        self.subscriptions: Subscriptions | None = None
        self._ide_html = get_graphql_ide_html("graphiql") if settings.dev_mode else ""
        warn_about_proxies(settings)

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the gateway has not started")
        return self._session

    @property
    def people(self) -> Subgraph:
        if "people" not in self.subgraphs:
            raise RuntimeError("the gateway has not started")
        return self.subgraphs["people"]

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self.settings.upstream_connections,
            keepalive_timeout=30,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(connector=connector)
        if self.revocation_feed is not None:
            self.revocation_feed.start()
        urls = {**self.supergraph.graphs, **self.settings.subgraph_urls()}
        for name, url in urls.items():
            self.subgraphs[name] = Subgraph(
                name,
                url,
                self._session,
                self.signed,
                self.settings.upstream_timeout_seconds,
                Circuit(self.settings.circuit_failures, self.settings.circuit_reset_seconds),
                tracer=self.tracing.tracer,
            )

    async def stop(self) -> None:
        if self.revocation_feed is not None:
            await self.revocation_feed.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.tracing.exporting:
            await asyncio.to_thread(self.tracing.flush)

    # -- /graphql --------------------------------------------------------------------------

    async def graphql(self, request: Request) -> Response:
        cookie_mode = self.settings.cookie_mode
        media = negotiate(request.headers.get("accept"))
        try:
            if request.method == "POST" and uploads.is_multipart(request):
                status, answer = await self._multipart(request)
            else:
                if request.method == "POST":
                    operation = await operation_from_body(request, self.settings.max_request_bytes)
                elif self._wants_ide(request):
                    return HTMLResponse(self._ide_html)
                else:
                    operation = operation_from_query(request)
                credentials = (
                    cookies.authenticated_headers(request) if cookie_mode else request.headers
                )
                status, answer = await self.execute(request, operation, credentials)
        except GatewayError as error:
            metrics.REQUESTS.labels(str(error.status)).inc()
            return error.response(media)
        status = status_for(media, status, answer)
        metrics.REQUESTS.labels(str(status)).inc()
        sessions = cookies.take_sessions(answer.get("data")) if cookie_mode else []
        if not self.settings.dev_mode:
            answer = without_internals(answer)
        response = json_response(answer, status, media)
        for session in sessions:
            cookies.set_session(response, session, self.settings.cookie_secure)
        return response

    async def _multipart(self, request: Request) -> tuple[int, dict[str, Any]]:
        """A GraphQL multipart request (file uploads, `uploads.py`): only with a session, read
        within the upload limit, its files sent on to the one subgraph whose root mutation
        fields take them."""
        credentials = self._credentials(request, csrf=True)
        principal = await self._session_principal(credentials)
        limit = self.settings.max_upload_bytes + self.settings.max_request_bytes
        async with uploads.read_multipart(
            request, limit, self.settings.max_request_bytes
        ) as multipart:
            operation = multipart.operation
            try:
                text = await self._document_text(operation, principal)
                document = self.engine.document(text)
                node = self.engine.operation(document, operation.get("operationName"))
            except RequestError as error:
                return error.status, error.body()
            except LimitExceeded as error:
                return 400, _limit_body(error)
            operation = {**operation, "query": text, "extensions": None}
            uploads.check_targets(self.supergraph, node, document.fragments, multipart)
            return await self.execute(request, operation, credentials, principal, multipart)

    def _credentials(self, request: Request, *, csrf: bool) -> Mapping[str, str]:
        """The request's headers with the session cookie as bearer token in cookie mode (after
        the CSRF check when `csrf`)."""
        if not self.settings.cookie_mode:
            return request.headers
        if csrf:
            return cookies.authenticated_headers(request)
        return cookies.session_headers(request)

    async def _session_principal(self, credentials: Mapping[str, str]) -> Principal:
        """The caller's principal; files are for callers with a session only (401 before
        anything is read or asked of a subgraph)."""
        if "authorization" not in credentials:
            raise AuthenticationFailed(_("log in first: files need a session"))
        principal = await self.authenticator.principal(credentials)
        if principal.first_login_pending:
            raise GatewayError(
                _("complete the first login first"), status=403, code=FIRST_LOGIN_REQUIRED
            )
        return principal

    def _subgraph_headers(self, request: Request, principal: Principal) -> dict[str, str]:
        headers = self.people.headers(
            principal,
            request.headers,
            request_id_var.get() or "",
            # The gateway's server span (RequestContextMiddleware), else a new trace context.
            traceparent_for(traceparent_var.get()),
        )
        client_chain = forwarded_for(
            request.headers.get("x-forwarded-for"), request.client.host if request.client else None
        )
        if client_chain:
            headers["x-forwarded-for"] = client_chain
        return headers

    async def execute(
        self,
        request: Request,
        operation: Mapping[str, Any],
        credentials: Mapping[str, str],
        principal: Principal | None = None,
        multipart: uploads.MultipartOperation | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Authenticate (unless done), then run one GraphQL operation through the engine; the
        fetches that carry `multipart`'s files go as multipart requests."""
        check_variables(
            operation.get("variables"),
            max_depth=self.settings.max_variable_depth,
            max_values=self.settings.max_variable_values,
        )
        if principal is None:
            principal = await self.authenticator.principal(credentials)
        tenant_var.set(principal.tenant)  # for the request's log line; one task per request
        if multipart is None:
            try:
                text = await self._document_text(operation, principal)
            except RequestError as error:
                metrics.REQUEST_ERRORS.labels(error.code).inc()
                return error.status, error.body()
            except LimitExceeded as error:
                metrics.REQUEST_ERRORS.labels(error.code).inc()
                return 400, _limit_body(error)
            # The persisted query is resolved here; the engine gets the document itself.
            operation = {**operation, "query": text, "extensions": None}
        headers = self._subgraph_headers(request, principal)
        file_timeout = self.settings.file_timeout_seconds
        subgraphs = self.subgraphs
        # Identical query fetches of one principal in flight together are sent once.
        share = (principal, request.headers.get("accept-language"))

        first_login_pending = principal.first_login_pending
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key is not None and (
            not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY or not idempotency_key.isprintable()
        ):
            raise GatewayError(
                _(
                    "an Idempotency-Key is 1 to {limit} printable characters",
                    limit=MAX_IDEMPOTENCY_KEY,
                ),
                code="BAD_REQUEST",
            )
        retry_safe = idempotency_key is not None and principal.authenticated

        async def transport(fetch: Fetch, body: dict[str, Any]) -> dict[str, Any]:
            if first_login_pending and fetch.graph != "people":
                # Until the first login is completed (in people), no other service serves the
                # user; answered as that subgraph's refusal, so it lands at the right paths.
                return first_login_refusal(fetch, body)
            if principal.partner_client and (refused := partner_refusal(fetch, body, principal)):
                return refused
            subgraph = subgraphs.get(fetch.graph)
            if subgraph is None:
                raise FetchFailed(f"{fetch.graph} service unavailable")
            if multipart is not None:
                sent, paths = multipart.files_of(body)
                if paths:
                    if fetch.path is not None or fetch.operation_kind != "mutation":
                        raise FetchFailed("files go to root mutation fields only")
                    files = {key: (targets, multipart.files[key]) for key, targets in paths.items()}
                    return await subgraph.upload(sent, files, headers, file_timeout)
            shared = share if fetch.operation_kind == "query" else None
            fetch_headers: Mapping[str, str] = headers
            if retry_safe and fetch.operation_kind == "mutation":
                # One key per fetch (a mutation may reach several services, or one twice): the
                # same request again makes the same fetches, so each finds its first outcome.
                document = hashlib.sha256(str(body.get("query")).encode()).hexdigest()[:16]
                fetch_headers = {**headers, IDEMPOTENCY_HEADER: f"{idempotency_key}:{document}"}
            return await subgraph.query(body, fetch_headers, shared)

        return await self.engine.run(
            query=operation.get("query"),
            operation_name=operation.get("operationName"),
            variables=operation.get("variables"),
            principal=principal,
            transport=transport,
            method=request.method,
            show_plan=request.headers.get("x-portal-query-plan") == "1",
            deadline_seconds=None
            if multipart is None
            else self.settings.request_deadline(upload=True),
        )

    async def _document_text(self, operation: Mapping[str, Any], principal: Principal) -> str:
        """The document of the operation (an automatic persisted query resolved or registered),
        parsed and validated off the event loop when it is large, so that no request holds the
        loop (and every other client) while graphql-core works through it."""
        text = await self.queries.resolve(
            operation.get("query"),
            operation.get("extensions"),
            anonymous=not principal.authenticated,
            check=self._check_document,
        )
        if not isinstance(text, str) or not text.strip():
            raise RequestError("missing `query`: expected a GraphQL document", BAD_REQUEST)
        if len(text) > OFF_LOOP_CHARACTERS:
            await asyncio.to_thread(self.engine.document, text)  # cached for the engine's run
        return text

    async def _check_document(self, text: str) -> None:
        """Parse, validate and check the limits of every operation of a document (in a worker
        thread): what a persisted query must pass before it is stored."""

        def check() -> None:
            document = self.engine.document(text)
            for node in document.operations.values():
                check_document(node, document.fragments, self.engine.limits)

        await asyncio.to_thread(check)

    # -- /attachments/{file_id} -------------------------------------------------------------

    async def attachment(self, request: Request) -> Response:
        """A dialog attachment, streamed from orders, for a caller with a session. A download
        link is a plain GET: in cookie mode the access cookie (SameSite=Strict, so never sent
        by another site's page) serves without the CSRF header a link cannot send."""
        return await self._file(request, "orders", "/attachments")

    async def ticket_file(self, request: Request) -> Response:
        """A ticket's file, streamed from tickets, like a dialog attachment from orders; also a
        knowledge-base picture, which an anonymous visitor (tenant header) may read when its
        article is public — tickets decides, and answers 404 for anything else."""
        return await self._file(request, "tickets", "/ticket-files", anonymous=True)

    async def invoice_document(self, request: Request) -> Response:
        """An issued invoice's PDF or UBL document (or a credit note's), streamed from billing,
        which decides whether the caller may see the invoice; 404 alike for anything else."""
        invoice_id = request.path_params["invoice_id"]
        if not attachments.FILE_ID.match(invoice_id) or not attachments.INVOICE_DOCUMENT.match(
            request.path_params["kind"]
        ):
            return attachments.not_found().response()
        return await self._file(request, "billing", f"/invoices/{invoice_id}", name="kind")

    async def _file(
        self,
        request: Request,
        service: str,
        route: str,
        *,
        name: str = "file_id",
        anonymous: bool = False,
    ) -> Response:
        try:
            credentials = self._credentials(request, csrf=False)
            if anonymous and "authorization" not in credentials:
                principal = await self.authenticator.principal(credentials)
            else:
                principal = await self._session_principal(credentials)
            tenant_var.set(principal.tenant)
            subgraph = self.subgraphs.get(service)
            if subgraph is None:
                raise SubgraphUnavailable(_("{service} service unavailable", service=service))
            return await attachments.download(
                subgraph,
                request.path_params[name],
                self._subgraph_headers(request, principal),
                self.settings.file_timeout_seconds,
                route=route,
            )
        except GatewayError as error:
            return error.response()

    # -- cookie mode: /auth/refresh and /auth/logout ---------------------------------------

    async def refresh(self, request: Request) -> Response:
        return await self._session_call(request, cookies.REFRESH_SESSION, "refreshSession")

    async def oauth_token(self, request: Request) -> Response:
        """Partner clients' tokens (oauth.py), asked of people like a login."""
        return await oauth.token(request, self.execute)

    async def logout(self, request: Request) -> Response:
        return await self._session_call(request, cookies.LOG_OUT, "logOut")

    async def _session_call(self, request: Request, query: str, field: str) -> Response:
        secure = self.settings.cookie_secure
        try:
            if not self.settings.cookie_mode:
                raise GatewayError(_("cookie mode is off"), status=404, code="NOT_FOUND")
            cookies.check_csrf(request)
            refresh_token = request.cookies.get(cookies.REFRESH)
            if not refresh_token:
                raise AuthenticationFailed(_("no session"))
            credentials = {k: v for k, v in request.headers.items() if k != "authorization"}
            if field == "logOut" and cookies.ACCESS in request.cookies:
                credentials["authorization"] = f"Bearer {request.cookies[cookies.ACCESS]}"
            operation = {"query": query, "variables": {"input": {"refreshToken": refresh_token}}}
            status, answer = await self.execute(request, operation, credentials)
        except GatewayError as error:
            response = error.response()
            if field == "logOut" or error.status == 401:
                cookies.clear_session(response, secure)
            return response
        sessions = cookies.take_sessions(answer.get("data"))
        response = json_response(without_internals(answer), status)
        if field == "logOut":
            cookies.clear_session(response, secure)
        for session in sessions:
            cookies.set_session(response, session, secure)
        return response

    async def metrics(self, _: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    def _wants_ide(self, request: Request) -> bool:
        """In dev mode a browser opening /graphql gets GraphiQL, which posts back here."""
        return (
            self.settings.dev_mode
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    # -- health ----------------------------------------------------------------------------

    async def healthz(self, _: Request) -> Response:
        return json_response({"status": "up", "service": self.settings.service_name})

    async def readyz(self, _: Request) -> Response:
        names = sorted(self.subgraphs)
        answers = await asyncio.gather(*(self.subgraphs[name].ready() for name in names))
        checks = dict(zip(names, answers, strict=True))
        ready = all(checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
        if self.revocation_feed is not None and not self.revocation_feed.live:
            # Serving goes on; revoked tokens then live until they expire (revocations.py).
            body["degraded"] = {"revocations": "people's events unreachable"}
            if ready:
                body["status"] = "degraded"
        feed = self.subscriptions.feed_status() if self.subscriptions is not None else None
        if feed is not None:
            # Reported, never unready: queries and mutations go on without the feed (only
            # subscribers miss events), and every replica reads the same NATS, so taking this
            # one out of service would help nobody; like the revocation feed above.
            body["subscriptions"] = {"feed": feed}
            waiting = [subject for subject, live in feed.items() if not live]
            if waiting:
                body.setdefault("degraded", {})["subscriptions"] = waiting
                if ready:
                    body["status"] = "degraded"
        return json_response(body, 200 if ready else 503)


def create_app(settings: GatewaySettings) -> Starlette:
    gateway = Gateway(settings)
    subscriptions = Subscriptions(
        settings,
        gateway.engine,
        gateway.subgraphs,
        gateway.authenticator,
        gateway.revocations if gateway.revocation_feed is not None else None,
    )
    gateway.subscriptions = subscriptions

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        await subscriptions.start()
        try:
            yield
        finally:
            await subscriptions.stop()
            await gateway.stop()

    app = Starlette(
        routes=[
            Route("/healthz", gateway.healthz, methods=["GET"]),
            Route("/readyz", gateway.readyz, methods=["GET"]),
            Route("/graphql", gateway.graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", subscriptions.endpoint),
            Route("/attachments/{file_id}", gateway.attachment, methods=["GET"]),
            Route("/ticket-files/{file_id}", gateway.ticket_file, methods=["GET"]),
            Route("/invoices/{invoice_id}/{kind}", gateway.invoice_document, methods=["GET"]),
            Route("/metrics", gateway.metrics, methods=["GET"]),
            Route("/auth/refresh", gateway.refresh, methods=["POST"]),
            Route("/oauth/token", gateway.oauth_token, methods=["POST"]),
            Route("/auth/logout", gateway.logout, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(CallerLanguageMiddleware)
    app.add_middleware(
        RequestContextMiddleware,
        service=settings.service_name,
        tracer=gateway.tracing.tracer if gateway.tracing.exporting else None,
        routes=app.routes,
    )
    if settings.cors_origins:
        # Outermost, so a preflight is answered before anything else looks at it. Only the
        # listed origins get CORS headers (and credentials: cookie mode's session cookies).
        app.add_middleware(SpaCORSMiddleware, origins=settings.cors_origins)
    app.state.gateway = gateway
    app.state.subscriptions = subscriptions
    return app
