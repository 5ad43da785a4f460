"""OpenTelemetry traces of a process (a service or the gateway), exported over OTLP/HTTP.

Configured by the OpenTelemetry specification's environment variables: traces are exported when
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as it is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (a base,
`/v1/traces` appended) is set, unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
The exporter reads the rest itself (`OTEL_EXPORTER_OTLP_HEADERS`, `_TIMEOUT`, `_COMPRESSION`),
the SDK the sampler (`OTEL_TRACES_SAMPLER`, parent-based always-on by default) and the batch
processor's delays (`OTEL_BSP_*`). Without an endpoint nothing is recorded (the request
middleware and relay open no spans; consumers use the global no-op provider) and the caller's
W3C trace context still passes through to the events.

Each `Tracing` has its own provider with its own `service.name`, so several services in one
process (the tests) report as themselves. The trace context travels as W3C `traceparent`
(read and written by OpenTelemetry's propagator, never parsed by hand): from HTTP headers into a
server span, into `portal_kit.logging.traceparent_var`, into every event the request causes;
the relay's producer span under it goes in the NATS header, and the consumer (`consumer.py`)
makes it the parent of its own span.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from portal_kit.settings import SettingsError

log = logging.getLogger(__name__)

PROPAGATOR = TraceContextTextMapPropagator()
TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"


def traces_endpoint(environ: Mapping[str, str]) -> str | None:
    """Where spans go by the OTel environment variables, or None when exporting is off; a
    value that is not an http(s) URL stops the process naming the variable."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return None
    for name, suffix in ((TRACES_ENDPOINT, ""), (ENDPOINT, "/v1/traces")):
        value = environ.get(name, "").strip()
        if not value:
            continue
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(name, "is not an http(s) URL (OTLP/HTTP is the exporter)")
        return value.rstrip("/") + suffix if suffix else value
    return None


@dataclass(frozen=True)
class Tracing:
    """A process's tracer; `provider` is its own when it exports (to flush on stop)."""

    service: str
    tracer: trace.Tracer
    provider: TracerProvider | None = None

    @property
    def exporting(self) -> bool:
        return self.provider is not None

    def flush(self, timeout_seconds: float = 5.0) -> None:
        """Export what is still batched, within `timeout_seconds` (a stopping process; the
        provider itself shuts down at exit, so a service stopped and started again traces on)."""
        if self.provider is not None:
            self.provider.force_flush(int(timeout_seconds * 1000))


def configure_tracing(service: str, environ: Mapping[str, str] | None = None) -> Tracing:
    """The tracing of `service` as the environment configures it (module docstring)."""
    endpoint = traces_endpoint(os.environ if environ is None else environ)
    if endpoint is None:
        return Tracing(service, trace.get_tracer(f"portal.{service}"))
    # Imported only when exporting: the exporter pulls in protobuf and requests.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    resource = Resource.create({"service.name": service, "service.namespace": "portal"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    log.info("exporting traces over OTLP/HTTP", extra={"endpoint": endpoint})
    return Tracing(service, provider.get_tracer(f"portal.{service}"), provider)


def extract(carrier: Mapping[str, str]) -> Context:
    """The trace context a W3C `traceparent` (and `tracestate`) in `carrier` names; an empty
    context when there is none or it is malformed."""
    return PROPAGATOR.extract(carrier)


def traceparent_of(span: trace.Span) -> str | None:
    """The W3C `traceparent` naming `span` (None for an invalid one)."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get("traceparent")


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span (a recording one, or the caller's context
    passed through when nothing records), or None outside any trace."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")
