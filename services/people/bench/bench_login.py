"""Login and token-verification figures of the people service.

    uv run python services/people/bench/bench_login.py [--logins 200] [--seconds 3]

The service runs in-process (ASGI, no network hop) with its real middleware, GraphQL schema,
argon2id hashing and token signing; NATS is `PORTAL_NATS_URL` or a nats-server it starts;
MongoDB is `PORTAL_MONGO_URL` or the in-memory stand-in (it says which: figures on the stand-in
say nothing about MongoDB). It prints login latency p50/p99 and logins/s at 1 and 8 concurrent
clients, and access-token verifications/s against the published JWKS (as the gateway does).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from typing import Any

import httpx
import jwt
from portal_kit.principal import HEADER, Principal, PrincipalSigner, generate_key_pair
from portal_kit.testing.nats_server import NatsServer, find_nats_server
from portal_people.app import create_app
from portal_people.settings import PeopleSettings

PASSWORD = "Portal-demo-2026!"
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  accessToken userErrors { code } } }"""


async def call(
    client: httpx.AsyncClient,
    signer: PrincipalSigner,
    principal: Principal,
    query: str,
    variables: dict[str, Any],
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={HEADER: signer.sign(principal)},
    )
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    data: dict[str, Any] = body["data"]
    for payload in data.values():
        if isinstance(payload, dict) and payload.get("userErrors") and "logIn" not in data:
            raise RuntimeError(payload["userErrors"])
    return data


async def seed(client: httpx.AsyncClient, signer: PrincipalSigner, users: int) -> None:
    admin = Principal(user="bench", tenant="bench", scopes=("platform:admin",))
    await call(
        client,
        signer,
        admin,
        "mutation($i: CreateTenantInput!) { createTenant(input: $i) { userErrors { code } } }",
        {
            "i": {
                "id": "bench",
                "name": "Bench",
                "configuration": {"country": "NO", "locales": ["nb"], "default_locale": "nb"},
            }
        },
    )
    org = await call(
        client,
        signer,
        admin,
        """mutation($i: CreateOrganisationInput!) { createOrganisation(input: $i) {
             organisation { id } } }""",
        {"i": {"name": "Bench AS", "kind": "CONTRACTOR"}},
    )
    org_id = org["createOrganisation"]["organisation"]["id"]
    for n in range(users):
        await call(
            client,
            signer,
            admin,
            "mutation($i: CreateUserInput!) { createUser(input: $i) { userErrors { code } } }",
            {
                "i": {
                    "username": f"user{n}",
                    "email": f"user{n}@bench.example",
                    "name": f"U {n}",
                    "password": PASSWORD,
                    "memberships": [{"organisationId": org_id}],
                }
            },
        )


async def logins(
    client: httpx.AsyncClient, signer: PrincipalSigner, clients: int, total: int
) -> tuple[list[float], float, list[str]]:
    anonymous = Principal.anonymous("bench")
    latencies: list[float] = []
    tokens: list[str] = []
    per_client = max(1, total // clients)

    async def one_client(n: int) -> None:
        for _ in range(per_client):
            started = time.perf_counter()
            data = await call(
                client,
                signer,
                anonymous,
                LOG_IN,
                {"input": {"login": f"user{n}", "password": PASSWORD}},
            )
            latencies.append(time.perf_counter() - started)
            assert data["logIn"]["accessToken"], data
            tokens.append(data["logIn"]["accessToken"])

    started = time.perf_counter()
    await asyncio.gather(*(one_client(n) for n in range(clients)))
    return latencies, time.perf_counter() - started, tokens


def verifications_per_second(jwks: dict[str, Any], tokens: list[str], seconds: float) -> float:
    keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"]}
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for token in tokens:
            kid = jwt.get_unverified_header(token)["kid"]
            jwt.decode(
                token, keys[kid], algorithms=["EdDSA"], audience="portal", issuer="portal-people"
            )
            done += 1
    return done / (time.perf_counter() - started)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main(total: int, seconds: float) -> None:
    nats_url = os.environ.get("PORTAL_NATS_URL")
    server: NatsServer | None = None
    if not nats_url:
        binary = find_nats_server()
        if binary is None:
            raise SystemExit("nats-server is not installed and PORTAL_NATS_URL is not set")
        server = NatsServer(binary)
        server.start()
        nats_url = server.url
    private_key, public_key = generate_key_pair()
    signer = PrincipalSigner(private_key)
    token = uuid.uuid4().hex[:8]
    settings = PeopleSettings(
        mongo_url=os.environ.get("PORTAL_MONGO_URL"),
        mongo_database=f"bench_{token}_people",
        nats_url=nats_url,
        event_prefix=f"bench{token}",
        principal_public_key=public_key.decode(),
        log_level="WARNING",
    )
    mongo = (
        "MongoDB at PORTAL_MONGO_URL"
        if settings.mongo_url
        else ("the in-memory stand-in (mongomock-motor): NOT representative of MongoDB")
    )
    app = create_app(settings)
    runtime = app.state.runtime
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://people") as client:
            await seed(client, signer, users=8)
            print(
                f"people login benchmark; MongoDB: {mongo}; in-process ASGI; "
                f"argon2id m=19MiB t=2 p=1; {os.cpu_count()} CPUs"
            )
            await logins(client, signer, 1, 5)  # warm-up
            tokens: list[str] = []
            for clients in (1, 8):
                latencies, elapsed, issued = await logins(client, signer, clients, total)
                tokens += issued
                print(
                    f"  {clients} client(s): {len(latencies)} logins, "
                    f"p50 {percentile(latencies, 0.50) * 1000:.1f} ms, "
                    f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
                    f"{len(latencies) / elapsed:.1f} logins/s"
                )
            jwks = (await client.get("/.well-known/jwks.json")).json()
        rate = verifications_per_second(jwks, tokens[:100], seconds)
        print(f"  access-token verification (EdDSA, PyJWT, one core): {rate:,.0f} tokens/s")
    finally:
        await runtime.stop()
        if server is not None:
            server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=200, help="logins per concurrency level")
    parser.add_argument("--seconds", type=float, default=3.0, help="time for verifications")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.logins, arguments.seconds))
