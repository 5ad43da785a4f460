"""What an attacker found at the public door (issue 10): deep variables, persisted queries
stored before they were parsed, fragment graphs that double per level. Each is refused with its
own code before any subgraph is called, and a concurrent /healthz is answered meanwhile."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

TENANT = {"X-Portal-Tenant": "jm"}
QUERY = "query($u: String!) { product(upc: $u) { name } }"


async def post(client: httpx.AsyncClient, body: Any, **headers: str) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={**TENANT, **headers})


def nested(levels: int) -> Any:
    value: Any = "x"
    for level in range(levels):
        value = {"a": value} if level % 2 else [value]
    return value


def code_of(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


# -- 3. deep and large variables ------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"u": "p1", "deep": nested(300)}, "VARIABLES_TOO_DEEP"),
        ({"u": "p1", "deep": nested(254)}, "VARIABLES_TOO_DEEP"),
        ({"u": "p1", "deep": nested(32)}, "VARIABLES_TOO_DEEP"),
        ({"u": "p1", "many": list(range(20_000))}, "VARIABLES_TOO_LARGE"),
    ],
    ids=["300-levels", "254-levels", "just-past-the-limit", "20000-values"],
)
async def test_deep_or_large_variables_get_a_coded_400_before_anything_else(
    fixture_gateway, variables, code
):
    async with fixture_gateway() as (client, subgraphs):
        anonymous = await post(client, {"query": QUERY, "variables": variables})
        # Refused before the token is even looked at.
        bad_token = await post(
            client, {"query": QUERY, "variables": variables}, authorization="Bearer nonsense"
        )
    for response in (anonymous, bad_token):
        assert response.status_code == 400, response.text
        assert code_of(response) == code
    assert all(not r.bodies for r in subgraphs.values())


async def test_variables_within_the_limits_pass(fixture_gateway):
    async with fixture_gateway() as (client, _):
        response = await post(
            client, {"query": QUERY, "variables": {"u": "p1", "extra": nested(30)}}
        )
    assert response.json() == {"data": {"product": {"name": "Table"}}}
