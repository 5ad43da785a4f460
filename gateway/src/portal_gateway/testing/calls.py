"""GraphQL calls through a running gateway for tests: a query's data, a mutation's payload."""

from __future__ import annotations

from typing import Any

import httpx


async def query(
    gw: httpx.AsyncClient, token: str, document: str, **variables: Any
) -> dict[str, Any]:
    """The `data` of a query made with the bearer `token`; GraphQL errors fail the test."""
    response = await gw.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def mutate(gw: httpx.AsyncClient, token: str, document: str, **input: Any) -> dict[str, Any]:
    """The payload of a mutation whose single argument is `input`."""
    payload: dict[str, Any] = next(iter((await query(gw, token, document, input=input)).values()))
    return payload
