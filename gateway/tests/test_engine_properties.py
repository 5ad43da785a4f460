"""Property-based: queries generated from the public schema (valid and invalid ones) never get
a 5xx and always get a well-formed GraphQL answer."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from graphql import GraphQLSchema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, queries
from portal_gateway.federation.supergraph import read_supergraph


def well_formed(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body: dict[str, Any] = response.json()
    assert set(body) <= {"data", "errors", "extensions"}
    assert "data" in body or body.get("errors")
    for error in body.get("errors") or ():
        assert isinstance(error["message"], str) and error["message"]
        assert set(error) <= {"message", "path", "extensions", "locations"}
        if "path" in error:
            assert all(isinstance(p, (str, int)) for p in error["path"])
    if response.status_code != 200:
        assert body.get("data") is None and body["errors"]


def check(url: str, schema: GraphQLSchema) -> None:
    documents = st.one_of(queries(schema, mode=Mode.POSITIVE), queries(schema, mode=Mode.NEGATIVE))

    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(document=documents)
    def answers(document: object) -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            response = client.post(
                "/graphql", json={"query": document}, headers={"X-Portal-Tenant": "jm"}
            )
        well_formed(response)

    answers()


async def test_generated_queries_never_get_a_5xx(fixture_gateway, fixture_supergraph):
    schema = read_supergraph(fixture_supergraph).schema
    async with fixture_gateway() as (client, _):
        await asyncio.to_thread(check, str(client.base_url), schema)
