"""A field whose type differs between subgraphs (`@join__field(type:)`, issue 11 class 2): each
subgraph gets a document valid against its own schema (the plan check in every test validates
it), on the `types` scenario (portal_gateway.testing.conformance)."""

from __future__ import annotations

from typing import Any

import httpx


async def ask(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query}, headers={"X-Portal-Tenant": "jm"}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_fields_of_one_name_and_other_nullability_in_one_subgraph(scenario_gateway):
    # Book.title is String! in shelf and Movie.title String: shelf refuses them under one key.
    async with scenario_gateway("types") as (client, _):
        body = await ask(client, "{ media { ... on Book { title } ... on Movie { title } } }")
        named = await ask(
            client, "{ media { __typename ... on Book { t: title } ... on Movie { t: title } } }"
        )
    assert body == {"data": {"media": [{"title": "Dune"}, {"title": None}]}}
    assert named == {
        "data": {"media": [{"__typename": "Book", "t": "Dune"}, {"__typename": "Movie", "t": None}]}
    }


async def test_an_object_field_that_is_a_union_in_the_subgraph_asked(scenario_gateway):
    # Shelf.featured is a Book in the supergraph and in library, the Media union in shelf.
    async with scenario_gateway("types") as (client, subgraphs):
        body = await ask(client, "{ shelf { id featured { title } } }")
        other = await ask(client, "{ shelves { label featured { title } } }")
    assert body == {"data": {"shelf": {"id": "s1", "featured": {"title": "Dune"}}}}
    assert other == {
        "data": {"shelves": [{"label": "shelf s1", "featured": {"title": "Best of s1"}}]}
    }
    assert subgraphs["shelf"].bodies and subgraphs["library"].bodies


async def test_a_union_whose_members_differ_per_subgraph(scenario_gateway):
    # Media is Book | Movie in shelf, Book alone in library: library gets no Movie fragment.
    query = "{ shelves { items { __typename ... on Book { title } ... on Movie { title } } } }"
    async with scenario_gateway("types") as (client, subgraphs):
        body = await ask(client, query)
    assert body == {"data": {"shelves": [{"items": [{"__typename": "Book", "title": "Emma"}]}]}}
    assert "Movie" not in subgraphs["library"].bodies[0]["query"]
