"""Shared root fields and shared value types without keys (issue 11 classes 10 and 11): a field
several subgraphs resolve is asked of the one whose schema covers the selection, and what no
single one covers is split between them (through the parent entity's key below the root), on
the `shared` scenario (portal_gateway.testing.conformance)."""

from __future__ import annotations

from typing import Any

import httpx


async def ask(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query}, headers={"X-Portal-Tenant": "jm"}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_shared_root_field_goes_to_the_subgraph_that_resolves_its_selection(
    scenario_gateway,
):
    async with scenario_gateway("shared") as (client, subgraphs):
        body = await ask(client, "{ config { name region } }")
        assert subgraphs["alpha"].bodies == []
        assert len(subgraphs["beta"].bodies) == 1
        first = await ask(client, "{ config { name owner } }")
    assert body == {"data": {"config": {"name": "portal", "region": "eu-north"}}}
    assert first == {"data": {"config": {"name": "portal", "owner": "alpha"}}}


async def test_a_shared_root_field_no_one_subgraph_covers_is_split(scenario_gateway):
    async with scenario_gateway("shared") as (client, _):
        body = await ask(client, "{ config { owner region name } }")
    assert body == {"data": {"config": {"owner": "alpha", "region": "eu-north", "name": "portal"}}}


async def test_a_value_type_field_without_a_key_is_reached_through_its_parent_entity(
    scenario_gateway,
):
    async with scenario_gateway("shared") as (client, subgraphs):
        body = await ask(client, "{ boxes { id dims { width depth } } }")
    assert body == {
        "data": {
            "boxes": [
                {"id": "x1", "dims": {"width": 10, "depth": 20}},
                {"id": "x2", "dims": {"width": 10, "depth": 30}},
            ]
        }
    }
    assert subgraphs["beta"].entity_calls == [
        [{"__typename": "Box", "id": "x1"}, {"__typename": "Box", "id": "x2"}]
    ]
