"""`@skip`/`@include` decided by a variable's default when the client sends no value (issue 11,
class 1), on the fixture subgraphs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


async def ask(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"X-Portal-Tenant": "jm"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, {"me": {"id": "u1", "name": "Ada Lovelace"}}),
        ({"with": True}, {"me": {"id": "u1", "name": "Ada Lovelace"}}),
        ({"with": False}, {"me": {"id": "u1"}}),
        ({"with": None}, {"me": {"id": "u1"}}),
    ],
    ids=["default", "true", "false", "null"],
)
async def test_include_follows_the_variables_default(fixture_gateway, variables, expected):
    query = "query ($with: Boolean = true) { me { id name @include(if: $with) } }"
    async with fixture_gateway() as (client, _):
        assert await ask(client, query, variables) == {"data": expected}


async def test_skip_by_default_then_by_value_plans_are_not_mixed_up(fixture_gateway):
    query = "query ($hide: Boolean! = true) { me { id nickname @skip(if: $hide) } }"
    async with fixture_gateway() as (client, subgraphs):
        hidden = await ask(client, query, {})
        shown = await ask(client, query, {"hide": False})
        hidden_again = await ask(client, query, {})
    assert hidden == hidden_again == {"data": {"me": {"id": "u1"}}}
    assert shown == {"data": {"me": {"id": "u1", "nickname": "nick-u1"}}}
    assert len(subgraphs["reviews"].bodies) == 1
