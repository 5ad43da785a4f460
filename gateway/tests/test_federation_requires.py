"""`@requires` conformance on the `requires` scenario (portal_gateway.testing.conformance):
arguments and inline fragments inside the field set, an `@inaccessible` required field, a
required field an existing fetch supplies, and a chain of requirements that comes back to the
first subgraph (issue 11, classes 3-7)."""

from __future__ import annotations

from typing import Any

import httpx


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"X-Portal-Tenant": "jm", "X-Portal-Query-Plan": "1"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def answer(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_arguments_inside_requires_are_sent(scenario_gateway):
    async with scenario_gateway("requires") as (client, subgraphs):
        body = await ask(client, "{ items { id usd } }")
        assert answer(body) == {
            "items": [{"id": "i1", "usd": "15.00 USD"}, {"id": "i2", "usd": "6.00 USD"}]
        }
        assert subgraphs["pricing"].entity_calls == [
            [
                {"__typename": "Item", "id": "i1", "price": 15.0},
                {"__typename": "Item", "id": "i2", "price": 6.0},
            ]
        ]
        # The client's own `price` (in euros) beside the one @requires asks for in dollars.
        body = await ask(client, "{ items { price usd } }")
    assert answer(body) == {
        "items": [{"price": 10.0, "usd": "15.00 USD"}, {"price": 4.0, "usd": "6.00 USD"}]
    }


async def test_requires_with_inline_fragments(scenario_gateway):
    async with scenario_gateway("requires") as (client, subgraphs):
        body = await ask(client, "{ items { name area } }")
    assert answer(body) == {
        "items": [{"name": "Wheel", "area": 12.57}, {"name": "Tile", "area": 9.0}]
    }
    assert subgraphs["pricing"].entity_calls == [
        [
            {"__typename": "Item", "id": "i1", "shape": {"__typename": "Circle", "radius": 2.0}},
            {"__typename": "Item", "id": "i2", "shape": {"__typename": "Square", "side": 3.0}},
        ]
    ]


async def test_requires_of_an_inaccessible_field(scenario_gateway):
    async with scenario_gateway("requires") as (client, _):
        body = await ask(client, "{ items { code } }")
        refused = await client.post(
            "/graphql",
            json={"query": "{ items { secretCode } }"},
            headers={"X-Portal-Tenant": "jm"},
        )
    assert answer(body) == {"items": [{"code": "code S-1"}, {"code": "code S-2"}]}
    assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_requires_waits_for_an_existing_fetch_that_supplies_the_field(scenario_gateway):
    async with scenario_gateway("requires") as (client, subgraphs):
        body = await ask(client, "{ items { level heavy } }")
    assert answer(body) == {"items": [{"level": 7, "heavy": False}, {"level": 7, "heavy": True}]}
    assert subgraphs["pricing"].entity_calls == [
        [
            {"__typename": "Item", "id": "i1", "weight": 3},
            {"__typename": "Item", "id": "i2", "weight": 12},
        ]
    ]


def _acyclic(plan: dict[str, Any]) -> None:
    for stage in plan["stages"]:
        depends = {f["id"]: set(f["dependsOn"]) for f in stage}
        seen: set[int] = set()
        while depends:
            ready = [i for i, d in depends.items() if d <= seen]
            assert ready, f"a cycle in {depends}"
            for i in ready:
                seen.add(i)
                del depends[i]


async def test_a_chain_of_requirements_back_to_the_first_subgraph(scenario_gateway):
    # pricing.label needs stock.grade, which needs pricing.discount: three steps, no cycle.
    async with scenario_gateway("requires") as (client, _):
        chained = await ask(client, "{ items { label } }")
        beside = await ask(client, "{ items { discount label level } }")
    assert answer(chained) == {"items": [{"label": "label B"}, {"label": "label A"}]}
    assert answer(beside) == {
        "items": [
            {"discount": 0, "label": "label B", "level": 7},
            {"discount": 5, "label": "label A", "level": 7},
        ]
    }
    _acyclic(chained["extensions"]["queryPlan"])
    _acyclic(beside["extensions"]["queryPlan"])
