"""Re-reading a record as one subscriber: a normal federated query through the engine, sent
to the subgraphs with that subscriber's signed principal, as `Gateway.execute` sends a
client's query (a subscriber with a first login pending never gets this far)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portal_kit.principal import Principal

from portal_gateway.engine import Engine
from portal_gateway.federation.executor import FetchFailed
from portal_gateway.federation.plan import Fetch
from portal_gateway.forwarding import Subgraph, traceparent_for


class Reader:
    def __init__(self, engine: Engine, subgraphs: Mapping[str, Subgraph]) -> None:
        self.engine = engine
        self.subgraphs = subgraphs

    async def read(
        self,
        principal: Principal,
        language: str | None,
        query: str,
        variables: dict[str, Any],
        traceparent: str | None,
    ) -> dict[str, Any]:
        """The engine's answer (`{"data", "errors"}`) to `query` as `principal`."""
        subgraphs = self.subgraphs
        incoming = {"accept-language": language} if language else {}
        people = subgraphs.get("people") or next(iter(subgraphs.values()))
        headers = people.headers(principal, incoming, "", traceparent_for(traceparent))
        share = (principal, language)

        async def transport(fetch: Fetch, body: dict[str, Any]) -> dict[str, Any]:
            subgraph = subgraphs.get(fetch.graph)
            if subgraph is None:
                raise FetchFailed(f"{fetch.graph} service unavailable")
            return await subgraph.query(body, headers, share)

        _, answer = await self.engine.run(
            query=query,
            operation_name=None,
            variables=variables,
            principal=principal,
            transport=transport,
        )
        return answer
