"""`@provides` (issue 11 class 12): a shared root field goes to the subgraph whose `@provides`
covers the selection, and a nested `@provides` covers the fields below its top level, on the
`provides` scenario (portal_gateway.testing.conformance)."""

from __future__ import annotations

from typing import Any

import httpx


async def ask(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query}, headers={"X-Portal-Tenant": "jm"}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_shared_root_field_goes_where_its_provides_covers_the_selection(scenario_gateway):
    async with scenario_gateway("provides") as (client, subgraphs):
        body = await ask(client, "{ topAuthor { id name } }")
    assert body == {"data": {"topAuthor": {"id": "a1", "name": "Ada"}}}
    assert [len(subgraphs[n].bodies) for n in ("feed", "posts", "users")] == [0, 1, 0]


async def test_a_nested_provides_covers_fields_below_its_top_level(scenario_gateway):
    async with scenario_gateway("provides") as (client, subgraphs):
        body = await ask(client, "{ posts { author { name team { title } } } }")
        assert subgraphs["users"].bodies == []
        joined = await ask(client, "{ posts { author { name email team { id title } } } }")
    teams = [("Ada", "t1", "Engines"), ("Alan", "t2", "Codes")]
    assert body == {
        "data": {"posts": [{"author": {"name": n, "team": {"title": t}}} for n, _, t in teams]}
    }
    assert joined == {
        "data": {
            "posts": [
                {"author": {"name": n, "email": f"a{i}@example.com", "team": {"id": d, "title": t}}}
                for i, (n, d, t) in enumerate(teams, 1)
            ]
        }
    }
    # Only email is asked of users: the team's title came with the post.
    assert [c[0].get("__typename") for c in subgraphs["users"].entity_calls] == ["User"]
