"""Tracing is configured by OpenTelemetry's own environment variables; without them nothing is
exported and the caller's trace context still passes through a service's requests."""

from __future__ import annotations

import httpx
import pytest
from portal_kit.http import RequestContextMiddleware
from portal_kit.logging import traceparent_var
from portal_kit.settings import SettingsError
from portal_kit.tracing import configure_tracing, traces_endpoint
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.mark.parametrize(
    ("environ", "endpoint"),
    [
        ({}, None),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
            "http://collector:4318/v1/traces",
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example/otlp/"},
            "https://c.example/otlp/v1/traces",
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:9999/custom",
            },
            "http://traces:9999/custom",
        ),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, None),
    ],
)
def test_the_endpoint_follows_the_opentelemetry_variables(
    environ: dict[str, str], endpoint: str | None
) -> None:
    assert traces_endpoint(environ) == endpoint


def test_an_endpoint_that_is_no_http_url_stops_start_up_naming_the_variable() -> None:
    with pytest.raises(SettingsError) as refused:
        traces_endpoint({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector:4317"})
    assert refused.value.setting == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"


def test_a_configured_service_exports_under_its_own_name() -> None:
    tracing = configure_tracing("orders", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"})
    assert tracing.exporting and tracing.provider is not None
    assert tracing.provider.resource.attributes["service.name"] == "orders"
    assert not configure_tracing("orders", {}).exporting


async def _seen_traceparent(headers: dict[str, str]) -> str:
    async def echo(_: Request) -> PlainTextResponse:
        return PlainTextResponse(traceparent_var.get() or "none")

    app = Starlette(routes=[Route("/echo", echo)])
    app.add_middleware(RequestContextMiddleware, service="kit", routes=app.routes)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
        return (await client.get("/echo", headers=headers)).text


async def test_untraced_a_valid_traceparent_passes_through_and_a_malformed_one_is_dropped() -> None:
    assert await _seen_traceparent({"traceparent": TRACEPARENT}) == TRACEPARENT
    assert await _seen_traceparent({"traceparent": "00-garbage"}) == "none"
    assert await _seen_traceparent({}) == "none"
