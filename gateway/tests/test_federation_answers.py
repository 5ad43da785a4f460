"""Property-based, end to end: every valid query generated from a conformance scenario's API
schema is answered through the gateway with data and without an error (the scenarios' subgraphs
raise none, but for the root fields `ERRING_ROOT_FIELDS` names), so each subgraph accepted every
document it got."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import Mode, queries
from portal_gateway.federation.supergraph import read_supergraph
from portal_gateway.testing.conformance import ERRING_ROOT_FIELDS, SCENARIOS, supergraph_of


def answers_without_errors(url: str, sdl: str, erring: frozenset[str]) -> None:
    schema = read_supergraph(sdl).schema
    assert schema.query_type is not None
    fields = [name for name in schema.query_type.fields if name not in erring]

    @settings(
        max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(document=queries(schema, fields=fields, mode=Mode.POSITIVE))
    def answered(document: str) -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            response = client.post(
                "/graphql", json={"query": document}, headers={"X-Portal-Tenant": "jm"}
            )
        body: dict[str, Any] = response.json()
        assert response.status_code == 200, (document, body)
        assert "errors" not in body, (document, body)

    answered()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_every_query_of_a_scenario_is_answered(scenario_gateway, scenario):
    async with scenario_gateway(scenario) as (client, _):
        await asyncio.to_thread(
            answers_without_errors,
            str(client.base_url),
            supergraph_of(scenario),
            ERRING_ROOT_FIELDS.get(scenario, frozenset()),
        )
