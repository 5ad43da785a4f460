"""Every request answers: a whole-request deadline cuts off a subgraph that never answers (the
rest of the data arrives, the cut-off fields are null with GATEWAY_TIMEOUT), and SIGTERM ends
the gateway process within its shutdown bound while a request hangs in a subgraph."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from portal_gateway.testing.serving import free_port, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def test_a_request_stuck_in_a_subgraph_answers_by_its_deadline(fixture_gateway):
    async with fixture_gateway(upstream_timeout_seconds=60, request_timeout_seconds=3) as (
        client,
        subgraphs,
    ):
        subgraphs["inventory"].mode = "hang"
        started = time.monotonic()
        response = await client.post(
            "/graphql",
            json={"query": '{ product(upc: "p1") { name inStock } me { name } }'},
            headers={"X-Portal-Tenant": "jm"},
        )
        took = time.monotonic() - started
    assert 2.5 < took < 10  # cut off at the deadline, not at the 60 s upstream timeout
    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {
        "product": {"name": "Table", "inStock": None},
        "me": {"name": "Ada Lovelace"},
    }
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["product", "inStock"], "GATEWAY_TIMEOUT")
    ]


async def test_a_root_fetch_past_the_deadline_answers_null_with_the_code(fixture_gateway):
    async with fixture_gateway(upstream_timeout_seconds=60, request_timeout_seconds=3) as (
        client,
        subgraphs,
    ):
        subgraphs["products"].mode = "hang"
        response = await client.post(
            "/graphql",
            json={"query": '{ product(upc: "p1") { name } warehouseCount }'},
            headers={"X-Portal-Tenant": "jm"},
        )
    body = response.json()
    assert body["data"] == {"product": None, "warehouseCount": 3}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["product"], "GATEWAY_TIMEOUT")
    ]


def test_the_default_deadline_is_a_few_seconds_above_the_subgraph_timeout(principal_keys):
    from portal_gateway.settings import GatewaySettings

    settings = GatewaySettings(upstream_timeout_seconds=7)
    assert settings.request_deadline() == 12
    assert settings.request_deadline(upload=True) == settings.file_timeout_seconds + 5
    assert settings.shutdown_deadline() == 14
    assert GatewaySettings(request_timeout_seconds=2).shutdown_deadline() == 4


class Hanging:
    """A subgraph that takes requests and never answers (until the test ends)."""

    def __init__(self) -> None:
        self.arrived = asyncio.Event()
        self.released = asyncio.Event()

    def app(self) -> Starlette:
        async def graphql(_: Request) -> Response:
            self.arrived.set()
            await self.released.wait()
            return Response(b'{"data": {"ok": true}}', media_type="application/json")

        return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


@pytest.fixture
async def hanging() -> AsyncIterator[tuple[Hanging, str]]:
    subgraph = Hanging()
    async with serving(subgraph.app()) as url:
        try:
            yield subgraph, f"{url}/graphql"
        finally:
            subgraph.released.set()


async def test_sigterm_ends_the_gateway_within_its_bound_while_a_request_hangs(
    hanging, principal_keys, ok_supergraph
):
    subgraph, url = hanging
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env = {
        **clean,
        "PORTAL_HTTP_PORT": str(port),
        "PORTAL_PRINCIPAL_PRIVATE_KEY": principal_keys[0].decode(),
        "PORTAL_SUPERGRAPH_FILE": ok_supergraph,
        "PORTAL_PEOPLE_URL": url,
        "PORTAL_DEFAULT_TENANT": "jm",
        "PORTAL_UPSTREAM_TIMEOUT_SECONDS": "600",
        "PORTAL_REQUEST_TIMEOUT_SECONDS": "600",
        "PORTAL_SHUTDOWN_TIMEOUT_SECONDS": "1",
        "PORTAL_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal_gateway",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.returncode is None, "the gateway did not start"
                await asyncio.sleep(0.1)
            request = asyncio.create_task(client.post("/graphql", json={"query": "{ ok }"}))
            await asyncio.wait_for(subgraph.arrived.wait(), 20)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 10)
            took = time.monotonic() - started
            assert took < 1 + 5, took  # the bound, and the process exiting (a loaded machine)
            # The hanging request ended with the process: cut off, not left waiting.
            try:
                answer = await asyncio.wait_for(request, 5)
            except httpx.TransportError:
                pass
            else:
                assert answer.status_code >= 500, answer.text
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
