"""A real OTLP/HTTP trace receiver for tests: an ASGI app taking `POST /v1/traces`
(`ExportTraceServiceRequest` in protobuf, as OpenTelemetry's exporter sends it) and keeping the
spans with the `service.name` of the resource that sent them."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str | None
    attributes: dict[str, str | int | float | bool]


@dataclass
class TraceReceiver:
    spans: list[ReceivedSpan] = field(default_factory=list)

    def app(self) -> Starlette:
        async def traces(request: Request) -> Response:
            body = await request.body()
            if request.headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            exported = ExportTraceServiceRequest.FromString(body)
            for resource_spans in exported.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append(_received(resource.get("service.name", ""), span))
            return Response(ExportTraceServiceResponse().SerializeToString(), media_type=PROTOBUF)

        return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])

    async def wait_for(
        self, found: Callable[[list[ReceivedSpan]], bool], seconds: float = 20.0
    ) -> list[ReceivedSpan]:
        """The spans received once `found` holds for them (TimeoutError after `seconds`)."""
        async with asyncio.timeout(seconds):
            while not found(self.spans):  # noqa: ASYNC110 - polling what the exporters send
                await asyncio.sleep(0.05)
        return list(self.spans)


def _received(service: str, span: Span) -> ReceivedSpan:
    attributes: dict[str, str | int | float | bool] = {}
    for attribute in span.attributes:
        value = attribute.value
        kind = value.WhichOneof("value")
        if kind in ("string_value", "int_value", "double_value", "bool_value"):
            attributes[attribute.key] = getattr(value, kind)
    return ReceivedSpan(
        service=service,
        name=span.name,
        kind=span.kind,
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex() or None,
        attributes=attributes,
    )
