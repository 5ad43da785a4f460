"""Forwarding a GraphQL request to a subgraph with the principal the gateway vouches for.

One shared aiohttp session with pooled keep-alive connections serves every upstream call: the
HTTP client decides the gateway's speed (see DESIGN.md, performance facts).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from portal_kit.principal import HEADER as PRINCIPAL_HEADER
from portal_kit.principal import Principal, PrincipalSigner
from yarl import URL

from portal_gateway.errors import SubgraphUnavailable

log = logging.getLogger("portal.gateway.forwarding")

TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
JSON = "application/json"
# Request headers a subgraph may see; everything else, X-Portal-Principal above all, stays here.
PASSED_THROUGH = ("accept", "accept-language", "tracestate")


def traceparent_for(incoming: str | None) -> str:
    """The caller's W3C trace context when it is valid, else a new sampled one."""
    if incoming is not None:
        value = incoming.strip().lower()
        match = TRACEPARENT.match(value)
        if (
            match is not None
            and not value.startswith("ff")
            and match.group(1) != "0" * 32
            and match.group(2) != "0" * 16
        ):
            return value
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    body: bytes
    content_type: str


class Subgraph:
    """One subgraph reached over the gateway's shared session."""

    def __init__(
        self,
        name: str,
        url: str,
        session: aiohttp.ClientSession,
        signer: PrincipalSigner,
        timeout_seconds: float,
    ) -> None:
        self.name = name
        self.url = URL(url)
        self.readyz_url = self.url.with_path("/readyz")
        self.session = session
        self.signer = signer
        self.timeout = aiohttp.ClientTimeout(
            total=timeout_seconds, connect=min(timeout_seconds, 3.0)
        )

    def headers(
        self,
        principal: Principal,
        incoming: Mapping[str, str],
        request_id: str,
        traceparent: str,
    ) -> dict[str, str]:
        headers = {
            "content-type": JSON,
            "accept": JSON,
            PRINCIPAL_HEADER: self.signer.sign(principal),
            "x-request-id": request_id,
            "traceparent": traceparent,
        }
        for name in PASSED_THROUGH:
            if (value := incoming.get(name)) is not None:
                headers[name] = value
        return headers

    async def post(self, body: bytes, headers: Mapping[str, str]) -> UpstreamResponse:
        return await self._call("POST", self.url, body, headers)

    async def get(self, query_string: str, headers: Mapping[str, str]) -> UpstreamResponse:
        url = URL(f"{self.url}?{query_string}", encoded=True) if query_string else self.url
        return await self._call("GET", url, None, headers)

    async def _call(
        self, method: str, url: URL, body: bytes | None, headers: Mapping[str, str]
    ) -> UpstreamResponse:
        try:
            async with self.session.request(
                method, url, data=body, headers=headers, timeout=self.timeout
            ) as response:
                payload = await response.read()
                status = response.status
                content_type = response.headers.get("content-type", JSON)
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning(
                "subgraph unavailable",
                extra={"subgraph": self.name, "error": type(error).__name__},
            )
            raise SubgraphUnavailable(f"{self.name} service unavailable") from None
        if status == 401:
            # The subgraph refused the principal the gateway signed: a key mismatch between
            # PORTAL_PRINCIPAL_PRIVATE_KEY_FILE here and the subgraph's public key.
            log.error("subgraph refused the gateway's principal", extra={"subgraph": self.name})
            raise SubgraphUnavailable(f"{self.name} service unavailable")
        if status >= 500:
            log.error("subgraph failed", extra={"subgraph": self.name, "status": status})
            raise SubgraphUnavailable(f"{self.name} service unavailable")
        return UpstreamResponse(status, payload, content_type)

    async def ready(self) -> bool:
        try:
            async with self.session.get(
                self.readyz_url, timeout=aiohttp.ClientTimeout(total=2.0)
            ) as response:
                await response.read()
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False
