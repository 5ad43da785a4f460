"""Run a service in-process against the real NATS and MongoDB (or stand-in) of the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

from portal_kit.principal import HEADER, Principal, PrincipalSigner
from portal_kit.runtime import ServiceRuntime


class RunningService:
    def __init__(self, app: Starlette, client: httpx.AsyncClient, signer: PrincipalSigner) -> None:
        self.app = app
        self.client = client
        self.signer = signer

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    async def post_graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        principal: Principal | None = None,
    ) -> httpx.Response:
        headers = {HEADER: self.signer.sign(principal)} if principal is not None else {}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, principal: Principal
    ) -> dict[str, Any]:
        """Data of a query that must succeed without GraphQL errors."""
        response = await self.post_graphql(query, variables, principal)
        body: dict[str, Any] = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@asynccontextmanager
async def running_service(
    create_app: Callable[..., Starlette], settings: Any, signer: PrincipalSigner
) -> AsyncIterator[RunningService]:
    app = create_app(settings)
    runtime: ServiceRuntime = app.state.runtime
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield RunningService(app, client, signer)
    finally:
        await runtime.stop()
