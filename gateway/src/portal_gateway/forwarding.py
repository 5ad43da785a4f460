"""Forwarding a GraphQL request to a subgraph with the principal the gateway vouches for.

One shared aiohttp session with pooled keep-alive connections serves every upstream call: the
HTTP client decides the gateway's speed (see docs/architecture.md, the gateway).
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import jwt
import orjson
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from portal_kit.principal import HEADER as PRINCIPAL_HEADER
from portal_kit.principal import Principal, PrincipalSigner
from yarl import URL

from portal_gateway import metrics
from portal_gateway.circuit import Circuit
from portal_gateway.errors import SubgraphUnavailable, _
from portal_gateway.federation.executor import FetchFailed
from portal_gateway.media import JSON

log = logging.getLogger("portal.gateway.forwarding")
TRACER = trace.get_tracer("portal.gateway")  # the process's global provider

PROPAGATOR = TraceContextTextMapPropagator()
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
# Request headers a subgraph may see; everything else, X-Portal-Principal above all, stays here.
PASSED_THROUGH = ("accept", "accept-language", "tracestate")


def forwarded_for(incoming: str | None, peer: str | None) -> str | None:
    """`X-Forwarded-For` for the subgraphs: what came in, with the address of whoever connected
    to the gateway appended. People throttles logins by the last entry, which is therefore the
    one address a client cannot choose (what it sends itself only comes before it)."""
    chain = [part.strip() for part in (incoming or "").split(",") if part.strip()][-10:]
    if peer:
        chain.append(peer)
    return ", ".join(chain) or None


def traceparent_for(incoming: str | None) -> str:
    """The caller's W3C trace context when it is valid, else a new sampled one."""
    if incoming is not None:
        value = incoming.strip().lower()
        match = TRACEPARENT.match(value)
        if (
            match is not None
            and not value.startswith("ff")
            and match.group(1) != "0" * 32
            and match.group(2) != "0" * 16
        ):
            return value
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


class CachedSigner:
    """The signed principal of a principal, reused while more than half of its life remains.

    Signing (an EdDSA signature and a JWT encoding) per request is a large part of the
    gateway's own work; a principal's token is valid for its whole lifetime anyway. Bounded:
    the least recently used principals are forgotten first."""

    def __init__(self, signer: PrincipalSigner, size: int = 4096) -> None:
        self.signer = signer
        self.size = size
        # principal -> (token, re-sign after this wall-clock time)
        self._tokens: OrderedDict[Principal, tuple[str, float]] = OrderedDict()

    def sign(self, principal: Principal) -> str:
        now = time.time()
        cached = self._tokens.get(principal)
        if cached is not None and now < cached[1]:
            self._tokens.move_to_end(principal)
            return cached[0]
        token = self.signer.sign(principal)
        claims = jwt.decode(token, options={"verify_signature": False})
        issued, expires = float(claims["iat"]), float(claims["exp"])
        self._tokens[principal] = (token, issued + (expires - issued) / 2)
        self._tokens.move_to_end(principal)
        while len(self._tokens) > self.size:
            self._tokens.popitem(last=False)
        return token


class FilePart(Protocol):
    """A file of a multipart request, as the gateway holds it until it is forwarded."""

    @property
    def filename(self) -> str: ...

    @property
    def content_type(self) -> str: ...

    def chunks(self) -> AsyncIterator[bytes]: ...


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    body: bytes
    content_type: str


class Subgraph:
    """One subgraph reached over the gateway's shared session."""

    def __init__(
        self,
        name: str,
        url: str,
        session: aiohttp.ClientSession,
        signer: PrincipalSigner | CachedSigner,
        timeout_seconds: float,
        circuit: Circuit | None = None,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self.tracer = tracer or TRACER
        self.circuit = circuit or Circuit()
        self._inflight: dict[Hashable, asyncio.Future[tuple[bytes, dict[str, Any]]]] = {}
        self.name = name
        self.url = URL(url)
        self.readyz_url = self.url.with_path("/readyz")
        self._seconds = metrics.SUBGRAPH_SECONDS.labels(name)
        self.session = session
        self.signer = signer if isinstance(signer, CachedSigner) else CachedSigner(signer)
        self.timeout = aiohttp.ClientTimeout(
            total=timeout_seconds, connect=min(timeout_seconds, 3.0)
        )

    def headers(
        self,
        principal: Principal,
        incoming: Mapping[str, str],
        request_id: str,
        traceparent: str,
    ) -> dict[str, str]:
        headers = {
            "content-type": JSON,
            "accept": JSON,
            PRINCIPAL_HEADER: self.signer.sign(principal),
            "x-request-id": request_id,
            "traceparent": traceparent,
        }
        for name in PASSED_THROUGH:
            if (value := incoming.get(name)) is not None:
                headers[name] = value
        return headers

    async def query(
        self, body: dict[str, Any], headers: Mapping[str, str], share: Hashable | None = None
    ) -> dict[str, Any]:
        """One fetch of a query plan: the subgraph's JSON answer, or `FetchFailed` (down, slow,
        refused, garbage, or its circuit open) with a message that tells nothing internal.

        Fetches with the same `share` key (the principal, for queries) and the same body that
        are in flight together go to the subgraph once; each caller gets its own copy."""
        data = orjson.dumps(body)
        if share is None:
            return (await self._exchange(data, headers))[1]
        key = (share, data)
        shared = self._inflight.get(key)
        if shared is not None:
            metrics.SUBGRAPH_SHARED.labels(self.name).inc()
            payload, _ = await asyncio.shield(shared)
            answer: dict[str, Any] = orjson.loads(payload)
            return answer
        future = asyncio.ensure_future(self._exchange(data, headers))
        self._inflight[key] = future
        future.add_done_callback(lambda _: self._inflight.pop(key, None))
        return (await asyncio.shield(future))[1]

    async def _exchange(
        self,
        data: bytes | aiohttp.MultipartWriter,
        headers: Mapping[str, str],
        limit: aiohttp.ClientTimeout | None = None,
    ) -> tuple[bytes, dict[str, Any]]:
        unavailable = f"{self.name} service unavailable"
        if not self.circuit.allows():
            metrics.SUBGRAPH_ERRORS.labels(self.name, "circuit_open").inc()
            raise FetchFailed(unavailable)
        started = time.perf_counter()
        with self.tracer.start_as_current_span(
            "gateway.fetch", kind=trace.SpanKind.CLIENT, attributes={"portal.subgraph": self.name}
        ) as span:
            sent = headers
            if span.is_recording():
                # The subgraph's server span becomes this fetch's child.
                traced = dict(headers)
                PROPAGATOR.inject(traced)
                sent = traced
            try:
                async with self.session.post(
                    self.url, data=data, headers=sent, timeout=limit or self.timeout
                ) as response:
                    payload = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                self._failed(type(error).__name__)
                raise FetchFailed(unavailable) from None
            finally:
                self._seconds.observe(time.perf_counter() - started)
        if status == 401 or status >= 500:
            if status == 401:
                log.error("subgraph refused the gateway's principal", extra={"subgraph": self.name})
            self._failed(f"http_{status}")
            raise FetchFailed(unavailable)
        try:
            answer = orjson.loads(payload)
        except orjson.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict) or not ("data" in answer or "errors" in answer):
            self._failed("garbage")
            raise FetchFailed(unavailable)
        self.circuit.succeeded()
        return payload, answer

    def _failed(self, reason: str) -> None:
        log.warning("subgraph fetch failed", extra={"subgraph": self.name, "error": reason})
        metrics.SUBGRAPH_ERRORS.labels(self.name, reason).inc()
        self.circuit.failed()

    async def post(self, body: bytes, headers: Mapping[str, str]) -> UpstreamResponse:
        return await self._call("POST", self.url, body, headers)

    async def get(self, query_string: str, headers: Mapping[str, str]) -> UpstreamResponse:
        url = URL(f"{self.url}?{query_string}", encoded=True) if query_string else self.url
        return await self._call("GET", url, None, headers)

    async def _call(
        self, method: str, url: URL, body: bytes | None, headers: Mapping[str, str]
    ) -> UpstreamResponse:
        try:
            async with self.session.request(
                method, url, data=body, headers=headers, timeout=self.timeout
            ) as response:
                payload = await response.read()
                status = response.status
                content_type = response.headers.get("content-type", JSON)
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning(
                "subgraph unavailable",
                extra={"subgraph": self.name, "error": type(error).__name__},
            )
            raise SubgraphUnavailable(
                _("{service} service unavailable", service=self.name)
            ) from None
        if status == 401:
            # The subgraph refused the principal the gateway signed: a key mismatch between
            # PORTAL_PRINCIPAL_PRIVATE_KEY_FILE here and the subgraph's public key.
            log.error("subgraph refused the gateway's principal", extra={"subgraph": self.name})
            raise SubgraphUnavailable(_("{service} service unavailable", service=self.name))
        if status >= 500:
            log.error("subgraph failed", extra={"subgraph": self.name, "status": status})
            raise SubgraphUnavailable(_("{service} service unavailable", service=self.name))
        return UpstreamResponse(status, payload, content_type)

    async def open_file(
        self, path: str, headers: Mapping[str, str], timeout_seconds: float
    ) -> aiohttp.ClientResponse:
        """`GET path` on the subgraph (a file download), its response open for streaming: the
        caller reads the body and releases it. The whole exchange, body included, ends after
        `timeout_seconds` (aiohttp's total timeout covers reading)."""
        if not self.circuit.allows():
            metrics.SUBGRAPH_ERRORS.labels(self.name, "circuit_open").inc()
            raise SubgraphUnavailable(_("{service} service unavailable", service=self.name))
        timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=min(timeout_seconds, 3.0))
        file_headers = {k: v for k, v in headers.items() if k != "content-type"}
        file_headers["accept"] = "*/*"
        try:
            response = await self.session.get(
                self.url.with_path(path), headers=file_headers, timeout=timeout
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self._failed(type(error).__name__)
            raise SubgraphUnavailable(
                _("{service} service unavailable", service=self.name)
            ) from None
        if response.status == 401 or response.status >= 500:
            response.release()
            if response.status == 401:
                log.error("subgraph refused the gateway's principal", extra={"subgraph": self.name})
            self._failed(f"http_{response.status}")
            raise SubgraphUnavailable(_("{service} service unavailable", service=self.name))
        self.circuit.succeeded()
        return response

    async def upload(
        self,
        operation: dict[str, Any],
        files: Mapping[str, tuple[list[str], FilePart]],
        headers: Mapping[str, str],
        timeout_seconds: float,
    ) -> dict[str, Any]:
        """One root mutation fetch as a GraphQL multipart request: `operation` (files as null),
        then each file streamed from where the gateway spooled it, under its map key with the
        variable paths it fills. The answer as `query` gives it, or `FetchFailed`."""
        writer = aiohttp.MultipartWriter("form-data")
        writer.append(orjson.dumps(operation), {"content-type": JSON}).set_content_disposition(
            "form-data", name="operations"
        )
        paths = {key: targets for key, (targets, _) in files.items()}
        writer.append(orjson.dumps(paths), {"content-type": JSON}).set_content_disposition(
            "form-data", name="map"
        )
        for key, (_field, part) in files.items():
            payload = aiohttp.payload.AsyncIterablePayload(
                part.chunks(), content_type=part.content_type
            )
            writer.append_payload(payload).set_content_disposition(
                "form-data", name=key, filename=part.filename
            )
        upload_headers = {k: v for k, v in headers.items() if k != "content-type"}
        timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=min(timeout_seconds, 3.0))
        return (await self._exchange(writer, upload_headers, timeout))[1]

    async def ready(self) -> bool:
        try:
            async with self.session.get(
                self.readyz_url, timeout=aiohttp.ClientTimeout(total=2.0)
            ) as response:
                await response.read()
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False
