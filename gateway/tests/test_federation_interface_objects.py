"""`@interfaceObject` (issue 11 classes 8 and 13) on the `interfaces` scenario
(portal_gateway.testing.conformance): `@requires` on an interface object's field sends the
required fields; a key marked `resolvable: false` still starts a hop; the interface object's
subgraph answers alone what it can; its fields come from it, not from the concrete type's."""

from __future__ import annotations

from typing import Any

import httpx


async def ask(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query}, headers={"X-Portal-Tenant": "jm"}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_requires_on_an_interface_object_field_sends_the_required_fields(scenario_gateway):
    async with scenario_gateway("interfaces") as (client, subgraphs):
        body = await ask(client, "{ works { title blurb } }")
        assert subgraphs["opinions"].entity_calls == [
            [
                {"__typename": "Work", "id": "w1", "title": "Dune"},
                {"__typename": "Work", "id": "w2", "title": "Alien"},
            ]
        ]
        own = await ask(client, "{ topWorks { stars blurb } }")
    assert body == {
        "data": {
            "works": [
                {"title": "Dune", "blurb": "Dune: 5 stars"},
                {"title": "Alien", "blurb": "Alien: 4 stars"},
            ]
        }
    }
    assert own == {
        "data": {
            "topWorks": [
                {"stars": 5, "blurb": "Dune: 5 stars"},
                {"stars": 4, "blurb": "Alien: 4 stars"},
            ]
        }
    }


async def test_a_key_that_is_not_resolvable_still_starts_a_hop(scenario_gateway):
    async with scenario_gateway("interfaces") as (client, _):
        body = await ask(client, "{ trending { id title ... on Film { director } } }")
    assert body == {"data": {"trending": [{"id": "w2", "title": "Alien", "director": "Scott"}]}}


async def test_the_interface_objects_subgraph_alone_answers_its_own_fields(scenario_gateway):
    async with scenario_gateway("interfaces") as (client, subgraphs):
        body = await ask(client, "{ topWorks { id stars } }")
    assert body == {"data": {"topWorks": [{"id": "w1", "stars": 5}, {"id": "w2", "stars": 4}]}}
    assert subgraphs["content"].bodies == []
    assert len(subgraphs["opinions"].bodies) == 1


async def test_interface_object_fields_come_from_its_subgraph_beside_concrete_ones(
    scenario_gateway,
):
    async with scenario_gateway("interfaces") as (client, subgraphs):
        body = await ask(client, "{ topWorks { __typename stars ... on Novel { author } } }")
    assert body == {
        "data": {
            "topWorks": [
                {"__typename": "Novel", "stars": 5, "author": "Herbert"},
                {"__typename": "Film", "stars": 4},
            ]
        }
    }
    assert len(subgraphs["opinions"].bodies) == 1  # stars with the root field, not fetched back
    assert len(subgraphs["content"].bodies) == 1
