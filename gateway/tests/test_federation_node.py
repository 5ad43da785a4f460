"""`Query.node(id:)` (issue 11 class 14): an id that names no type the gateway can route by is
asked of a subgraph that resolves `node`, like any other interface field, and the subgraph
answers; on the `nodes` scenario (portal_gateway.testing.conformance) and the fixture
subgraphs."""

from __future__ import annotations

from typing import Any

import httpx
from portal_gateway.testing.fixture_subgraphs import global_id


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"X-Portal-Tenant": "jm"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


QUERY = "query($id: ID!) { node(id: $id) { id ... on Thing { label } } }"


async def test_a_plain_id_is_answered_by_the_subgraph(scenario_gateway):
    async with scenario_gateway("nodes") as (client, subgraphs):
        found = await ask(client, QUERY, id="thing-1")
        missing = await ask(client, QUERY, id="thing-9")
    assert found == {"data": {"node": {"id": "thing-1", "label": "Lamp"}}}
    assert missing == {"data": {"node": None}}
    assert [b["variables"] for b in subgraphs["registry"].bodies] == [
        {"id": "thing-1"},
        {"id": "thing-9"},
    ]


async def test_an_id_that_names_no_routed_type_asks_a_subgraph(fixture_gateway):
    query = "query($id: ID!) { node(id: $id) { id ... on Team { name } } }"
    async with fixture_gateway() as (client, subgraphs):
        plain = await ask(client, query, id="t1")
        routed = await ask(client, query, id=global_id("Team", "t1"))
    assert plain == {"data": {"node": None}}  # the teams subgraph knows no such id
    assert routed == {"data": {"node": {"id": global_id("Team", "t1"), "name": "Platform"}}}
    asked = [b for n in ("teams", "projects") for b in subgraphs[n].bodies if "node(" in b["query"]]
    assert [b["variables"] for b in asked] == [{"id": "t1"}]
