"""OpenTelemetry spans for planning, execution and each subgraph fetch."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

EXPORTER = InMemorySpanExporter()


def provider() -> None:
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        sdk = TracerProvider()
        sdk.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(sdk)


async def test_plan_execute_and_fetches_are_spans(fixture_gateway):
    provider()
    EXPORTER.clear()
    async with fixture_gateway() as (client, _):
        response = await client.post(
            "/graphql",
            json={"query": "{ topProducts { name inStock } }"},
            headers={"X-Portal-Tenant": "jm"},
        )
    assert response.status_code == 200
    spans = EXPORTER.get_finished_spans()
    names = [s.name for s in spans]
    assert names.count("gateway.plan") == 1
    assert names.count("gateway.execute") == 1
    fetched = sorted(
        str(s.attributes["portal.subgraph"]) for s in spans if s.name == "gateway.fetch"
    )
    assert fetched == ["inventory", "products"]
