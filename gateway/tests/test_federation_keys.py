"""Multi-hop keys (issue 11 class 9): a key whose fields the current subgraph cannot give is
made of fields fetched from another subgraph first, on the `keys` scenario
(portal_gateway.testing.conformance)."""

from __future__ import annotations

from typing import Any

import httpx


async def ask(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query}, headers={"X-Portal-Tenant": "jm"}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_key_field_is_fetched_from_a_third_subgraph_first(scenario_gateway):
    async with scenario_gateway("keys") as (client, subgraphs):
        body = await ask(client, "{ orders { id total } }")
        both = await ask(client, "{ orders { ref total } }")
    assert body == {"data": {"orders": [{"id": "o1", "total": 100}, {"id": "o2", "total": 250}]}}
    assert both == {
        "data": {"orders": [{"ref": "REF-1", "total": 100}, {"ref": "REF-2", "total": 250}]}
    }
    assert subgraphs["ledger"].entity_calls[0] == [
        {"__typename": "Order", "id": "o1"},
        {"__typename": "Order", "id": "o2"},
    ]
    assert subgraphs["totals"].entity_calls[0] == [
        {"__typename": "Order", "ref": "REF-1"},
        {"__typename": "Order", "ref": "REF-2"},
    ]
