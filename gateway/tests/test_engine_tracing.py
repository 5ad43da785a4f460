"""OpenTelemetry spans for planning, execution and each subgraph fetch, as the gateway exports
them over OTLP/HTTP when configured (to a real receiver here; no process-wide provider is
installed, so other tests see the gateway untraced)."""

from __future__ import annotations

from portal_gateway.testing.serving import serving
from portal_kit.testing.otlp import TraceReceiver


async def test_plan_execute_and_fetches_are_spans(fixture_gateway, monkeypatch):
    receiver = TraceReceiver()
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
    async with serving(receiver.app()) as otlp:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{otlp}/v1/traces")
        async with fixture_gateway() as (client, _):
            response = await client.post(
                "/graphql",
                json={"query": "{ topProducts { name inStock } }"},
                headers={"X-Portal-Tenant": "jm"},
            )
            assert response.status_code == 200
            spans = await receiver.wait_for(
                lambda spans: any(s.name == "POST /graphql" for s in spans)
            )
    assert {s.service for s in spans} == {"gateway"}
    assert len({s.trace_id for s in spans}) == 1
    names = [s.name for s in spans]
    assert names.count("gateway.plan") == 1
    assert names.count("gateway.execute") == 1
    fetched = sorted(
        str(s.attributes["portal.subgraph"]) for s in spans if s.name == "gateway.fetch"
    )
    assert fetched == ["inventory", "products"]
