"""Fixtures for gateway tests: real HTTP servers on free ports (uvicorn in the test's loop).

- `issuer`: a stand-in for the people service's token side: Ed25519 keys, a JWKS endpoint
  that counts its fetches, and a way to mint access tokens with the claims people issues.
- `people`: the real people subgraph (its own NATS prefix and database).
- `recorder`: a tiny upstream that records what the gateway sends it.
- `start_gateway`: the gateway app under uvicorn, and an httpx client talking to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from portal_gateway.app import create_app
from portal_gateway.composition import compose
from portal_gateway.settings import GatewaySettings
from portal_gateway.testing.conformance import scenario_subgraphs
from portal_gateway.testing.fixture_subgraphs import SUBGRAPHS, Recorded, fixture_subgraphs, sdl
from portal_gateway.testing.serving import serving
from portal_kit.principal import PrincipalSigner
from portal_kit.testing.harness import RunningService
from portal_kit.testing.nats_server import free_port
from portal_people.app import create_app as create_people_app
from portal_people.settings import PeopleSettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ISSUER = "portal-people"
AUDIENCE = "portal"


@dataclass
class Issuer:
    """Signs access tokens like the people service and serves the public keys as a JWKS."""

    url: str = ""
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    current: str = ""
    fetches: int = 0

    def rotate(self) -> str:
        kid = uuid.uuid4().hex[:16]
        self.keys[kid] = Ed25519PrivateKey.generate()
        self.current = kid
        return kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = orjson.loads(OKPAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "alg": "EdDSA", "use": "sig"})
        return {"keys": keys}

    def token(
        self,
        *,
        user: str = "user-1",
        tenant: str = "jm",
        memberships: list[dict[str, Any]] | None = None,
        staff: bool = False,
        scopes: list[str] | None = None,
        locale: str = "en",
        expires_in: int = 300,
        kid: str | None = None,
        key: Ed25519PrivateKey | None = None,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user,
            "iat": now,
            "exp": now + expires_in,
            "tenant": tenant,
            "memberships": memberships or [],
            "staff": staff,
            "scopes": scopes or [],
            "locale": locale,
            **extra,
        }
        kid = kid or self.current
        signing_key = key or self.keys[kid]
        return jwt.encode(claims, signing_key, algorithm="EdDSA", headers={"kid": kid})

    def app(self) -> Starlette:
        async def jwks(_: Request) -> Response:
            self.fetches += 1
            return JSONResponse(self.jwks())

        return Starlette(routes=[Route("/.well-known/jwks.json", jwks)])


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    issuer = Issuer()
    issuer.rotate()
    async with serving(issuer.app()) as url:
        issuer.url = f"{url}/.well-known/jwks.json"
        yield issuer


@pytest.fixture
async def people(settings_for: Callable[..., Any]) -> AsyncIterator[str]:
    """The people subgraph's GraphQL URL."""
    async with serving(create_people_app(settings_for(PeopleSettings))) as url:
        yield f"{url}/graphql"


@pytest.fixture
async def people_service(
    settings_for: Callable[..., Any], signer: PrincipalSigner
) -> AsyncIterator[tuple[RunningService, str]]:
    """The people subgraph on a real port: a client for seeding it, and its base URL (whose
    JWKS a gateway can trust, so people's own tokens pass)."""
    app = create_people_app(settings_for(PeopleSettings))
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield RunningService(app, client, signer), url


@dataclass
class Recorder:
    """An upstream that records the requests the gateway sends and answers `{"data": ...}`."""

    requests: list[tuple[str, dict[str, str], bytes, str]] = field(default_factory=list)
    delay: float = 0.0
    status: int = 200
    ready: bool = True

    def app(self) -> Starlette:
        async def graphql(request: Request) -> Response:
            body = await request.body()
            self.requests.append((request.method, dict(request.headers), body, request.url.query))
            if self.delay:
                await asyncio.sleep(self.delay)
            return Response(
                orjson.dumps({"data": {"ok": True}}),
                status_code=self.status,
                media_type="application/json",
            )

        async def readyz(_: Request) -> Response:
            return JSONResponse({"ready": self.ready}, status_code=200 if self.ready else 503)

        return Starlette(
            routes=[
                Route("/graphql", graphql, methods=["GET", "POST"]),
                Route("/readyz", readyz),
            ]
        )

    @property
    def last_headers(self) -> dict[str, str]:
        return self.requests[-1][1]


# Recorders stand in for the people subgraph with a one-field schema, `type Query { ok: Boolean }`:
# a gateway started with a recorder's URL as people_url serves that schema's supergraph.
RECORDER_URLS: set[str] = set()
OK_SUBGRAPH = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { ok: Boolean }
"""


@pytest.fixture(scope="session")
def ok_supergraph(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("supergraph") / "ok.graphql"
    path.write_text(
        compose([{"name": "people", "url": "http://people/graphql", "sdl": OK_SUBGRAPH}])
    )
    return str(path)


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[Recorder, str]]:
    recorder = Recorder()
    async with serving(recorder.app()) as url:
        RECORDER_URLS.add(f"{url}/graphql")
        try:
            yield recorder, f"{url}/graphql"
        finally:
            # Its port may serve another test's people next: that gateway must not take the
            # recorder's supergraph.
            RECORDER_URLS.discard(f"{url}/graphql")


GatewayStarter = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


OTHERS = ("orders", "tickets", "billing")


@pytest.fixture
def start_gateway(principal_keys: tuple[bytes, bytes], ok_supergraph: str) -> GatewayStarter:
    """`async with start_gateway(people_url=..., jwks_url=...) as client:` a running gateway."""

    @contextlib.asynccontextmanager
    async def start(port: int | None = None, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        # `port`: where to listen, for a service that must know the gateway's address first.
        values: dict[str, Any] = {
            "principal_private_key": principal_keys[0].decode(),
            "jwks_min_refetch_seconds": 0.0,
            "upstream_timeout_seconds": 5.0,
            "check_plans": True,  # every plan of every test checked (federation/validation.py)
            # Nothing listens there: a test never reaches a platform running on this machine.
            **{f"{name}_url": f"http://127.0.0.1:{free_port()}/graphql" for name in OTHERS},
            "nats_url": "",  # no revocation feed unless a test gives its NATS
        }
        if overrides.get("people_url") in RECORDER_URLS:
            values["supergraph_file"] = ok_supergraph
        values.update(overrides)
        app = create_app(GatewaySettings(**values))
        async with (
            serving(app, port=port) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            yield client

    return start


def _graphql_error(response: httpx.Response) -> tuple[str, str]:
    body = response.json()
    assert response.headers["content-type"].startswith("application/json")
    assert list(body) == ["errors"], body
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


@pytest.fixture
def graphql_error() -> Callable[[httpx.Response], tuple[str, str]]:
    """(code, message) of a gateway's own GraphQL error answer."""
    return _graphql_error


@pytest.fixture(scope="session")
def fixture_supergraph() -> str:
    """The fixture subgraphs' supergraph, composed once with placeholder URLs."""
    return compose(
        [{"name": n, "url": f"http://fixture-{n}/graphql", "sdl": sdl(n)} for n in SUBGRAPHS]
    )


FixtureGateway = Callable[
    ..., contextlib.AbstractAsyncContextManager[tuple[httpx.AsyncClient, dict[str, Recorded]]]
]


@pytest.fixture
def fixture_gateway(
    start_gateway: GatewayStarter, issuer: Issuer, tmp_path: Any, fixture_supergraph: str
) -> FixtureGateway:
    """`async with fixture_gateway(**settings) as (client, subgraphs):` the gateway over the
    fixture subgraphs (portal_gateway.testing.fixture_subgraphs); `client.issuer` mints tokens."""

    @contextlib.asynccontextmanager
    async def start(
        **settings: Any,
    ) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Recorded]]]:
        async with fixture_subgraphs(serving) as served:
            supergraph = fixture_supergraph
            for name, (url, _) in served.items():
                supergraph = supergraph.replace(f"http://fixture-{name}/graphql", url)
            path = tmp_path / "supergraph.graphql"
            path.write_text(supergraph)
            async with start_gateway(
                supergraph_file=str(path), jwks_url=issuer.url, **settings
            ) as client:
                client.issuer = issuer  # type: ignore[attr-defined]
                yield client, {n: r for n, (_, r) in served.items()}

    return start


ScenarioGateway = Callable[
    ..., contextlib.AbstractAsyncContextManager[tuple[httpx.AsyncClient, dict[str, Recorded]]]
]


@pytest.fixture
def scenario_gateway(
    start_gateway: GatewayStarter, issuer: Issuer, tmp_path: Any
) -> ScenarioGateway:
    """`async with scenario_gateway("requires", **settings) as (client, subgraphs):` the gateway
    over one of the conformance scenarios (portal_gateway.testing.conformance), in dev mode with
    a short request deadline unless the settings say otherwise."""

    @contextlib.asynccontextmanager
    async def start(
        scenario: str, **settings: Any
    ) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Recorded]]]:
        async with scenario_subgraphs(scenario, serving) as (supergraph, recorded):
            path = tmp_path / f"{scenario}.graphql"
            path.write_text(supergraph)
            values = {"dev_mode": True, "request_timeout_seconds": 5.0, **settings}
            async with start_gateway(
                supergraph_file=str(path), jwks_url=issuer.url, **values
            ) as client:
                client.issuer = issuer  # type: ignore[attr-defined]
                yield client, recorded

    return start
