"""Benchmark: subscriptions through the gateway under a steady flow of order changes.

    uv run python gateway/bench/bench_subscriptions.py [--subscriptions 1000] [--rate 500]
        [--seconds 20] [--orders 100] [--users 2]

Starts a nats-server, the orders subgraph (in this process, on the in-memory MongoDB stand-in
unless PORTAL_MONGO_URL is set: it says which) with `--orders` orders in each of three tenants
(JM, Familjebostäder, Avonova; loaded like `make bench-orders`), and the gateway as its own
process (`python -m portal_gateway`). Then it opens `--subscriptions` subscriptions over
graphql-transport-ws, four to a socket, across the three tenants, as `--users` users per tenant
(staff and contractors, each seeing with its own principal): most follow one order
(`orderChanged(id)`), one socket in 25 also every order (`ordersChanged`).

For `--seconds` it commits `--rate` order changes a second (a description and version update of
an order's document, then its `edited` event published to orders' stream as the outbox relay
publishes it) and notes when each `next` message reaches its WebSocket client. It prints
p50/p99/max from the commit (the update's return) to the client's receipt, messages received,
events the gateway dropped, and the gateway's resident memory per socket and per subscription
(its RSS after opening them, less before).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from portal_gateway.testing.serving import free_port, serving
from portal_gateway.testing.transport_ws import Socket, socket
from portal_kit.benchmark import served_by
from portal_kit.jetstream import connect_nats
from portal_kit.principal import generate_key_pair
from portal_kit.testing.nats_server import NatsServer, find_nats_server
from portal_orders.adapters.repositories import ORDERS
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[2]
TENANTS = ("jm", "familjebostader", "avonova")
PREFIX = "bench"
KID = "bench"
SELECTION = "change order { id version description }"
ONE = f"subscription($id: ID!) {{ orderChanged(id: $id) {{ {SELECTION} }} }}"
EVERY = f"subscription {{ ordersChanged {{ {SELECTION} }} }}"


def _orders_bench() -> Any:
    """services/orders/bench/bench_orders.py, for its loader (the same orders as there)."""
    path = ROOT / "services" / "orders" / "bench" / "bench_orders.py"
    spec = importlib.util.spec_from_file_location("bench_orders", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Issuer:
    """Access tokens as people signs them, and their JWKS."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()

    def app(self) -> Starlette:
        jwk = orjson.loads(OKPAlgorithm.to_jwk(self.key.public_key()))

        async def jwks(_: Request) -> JSONResponse:
            return JSONResponse({"keys": [{**jwk, "kid": KID, "alg": "EdDSA", "use": "sig"}]})

        return Starlette(routes=[Route("/.well-known/jwks.json", jwks)])

    def token(self, tenant: str, user: str, staff: bool, firms: list[str]) -> str:
        now = int(time.time())
        claims = {
            "iss": "portal-people",
            "aud": "portal",
            "sub": user,
            "iat": now,
            "exp": now + 850,
            "tenant": tenant,
            "memberships": [{"organisation": f, "roles": ["user"]} for f in firms],
            "staff": staff,
            "scopes": [],
            "locale": "en",
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": KID})


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def wait_until_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit("the gateway did not start")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise SystemExit("the gateway did not answer")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--users", type=int, default=2)
    args = parser.parse_args()
    mongo_url = os.environ.get("PORTAL_MONGO_URL")
    print(f"MongoDB: {served_by(mongo_url)}")

    binary = find_nats_server()
    if binary is None:
        raise SystemExit("nats-server is not installed")
    nats = NatsServer(binary)
    nats.start()
    private_pem, public_pem = generate_key_pair()
    issuer = Issuer()
    database_name = f"bench_subscriptions_{uuid.uuid4().hex[:8]}"
    settings = OrdersSettings(
        mongo_url=mongo_url,
        mongo_stand_in=mongo_url is None,
        mongo_database=database_name,
        nats_url=nats.url,
        event_prefix=PREFIX,
        stream_max_bytes=0,
        principal_public_key=public_pem.decode(),
    )
    orders_app = create_orders_app(settings)
    gateway: subprocess.Popen[bytes] | None = None
    try:
        async with serving(orders_app) as orders_url, serving(issuer.app()) as issuer_url:
            database = orders_app.state.runtime.database
            loader = _orders_bench()
            for number, tenant in enumerate(TENANTS):
                await loader.load(database, tenant, args.orders, number + 1)
            orders: dict[str, list[dict[str, Any]]] = {}
            for tenant in TENANTS:
                orders[tenant] = await database.for_tenant(ORDERS, tenant).find({})
            with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as key_file:
                key_file.write(private_pem)
            port = free_port()
            unreachable = f"http://127.0.0.1:{free_port()}/graphql"
            environment = {
                **os.environ,
                "PORTAL_HTTP_HOST": "127.0.0.1",
                "PORTAL_HTTP_PORT": str(port),
                "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE": key_file.name,
                "PORTAL_JWKS_URL": f"{issuer_url}/.well-known/jwks.json",
                "PORTAL_ORDERS_URL": f"{orders_url}/graphql",
                "PORTAL_PEOPLE_URL": unreachable,
                "PORTAL_TICKETS_URL": unreachable,
                "PORTAL_BILLING_URL": unreachable,
                "PORTAL_NATS_URL": nats.url,
                "PORTAL_EVENT_PREFIX": PREFIX,
                "PORTAL_LOG_LEVEL": "WARNING",
            }
            gateway = subprocess.Popen(  # noqa: ASYNC220 (started once, before measuring)
                [sys.executable, "-m", "portal_gateway"], env=environment, cwd=ROOT
            )
            url = f"http://127.0.0.1:{port}"
            await wait_until_ready(url, gateway)
            await asyncio.sleep(2.0)  # the event feed finds orders' stream
            await run(args, url, gateway.pid, issuer, orders, database, nats.url)
    finally:
        if gateway is not None:
            gateway.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                gateway.wait(10)
        nats.close()


async def run(
    args: argparse.Namespace,
    url: str,
    pid: int,
    issuer: Issuer,
    orders: dict[str, list[dict[str, Any]]],
    database: Any,
    nats_url: str,
) -> None:
    rng = random.Random(7)
    firms = sorted(
        {str(d.get("assignee_organisation_id") or "") for docs in orders.values() for d in docs}
        - {""}
    )
    users = []
    for tenant in TENANTS:
        for n in range(args.users):
            staff = n % 2 == 0
            token = issuer.token(tenant, f"{tenant}-user-{n}", staff, [] if staff else firms)
            users.append((tenant, token))
    before = rss_kib(pid)
    sockets_wanted = max(1, args.subscriptions // 4)
    committed: dict[str, float] = {}
    latencies: list[float] = []
    sockets: list[Socket] = []
    stack = contextlib.AsyncExitStack()
    subscriptions = 0
    async with stack:
        for number in range(sockets_wanted):
            tenant, token = users[number % len(users)]
            ws = await stack.enter_async_context(socket(url))
            assert (await ws.init(token))["type"] == "connection_ack"
            for ident in range(4):
                if subscriptions >= args.subscriptions:
                    break
                if ident == 0 and number % 25 == 0:
                    await ws.subscribe(str(ident), EVERY)
                else:
                    order = rng.choice(orders[tenant])
                    await ws.subscribe(str(ident), ONE, id=order["_id"])
                subscriptions += 1
            await ws.send({"type": "ping"})
            assert (await ws.receive(60))["type"] == "pong"
            sockets.append(ws)
        after = rss_kib(pid)
        print(
            f"{subscriptions} subscriptions on {len(sockets)} sockets; gateway RSS "
            f"{before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after: "
            f"{(after - before) / len(sockets):.1f} KiB per socket, "
            f"{(after - before) / subscriptions:.1f} KiB per subscription"
        )

        async def receive(ws: Socket) -> None:
            while True:
                text = await ws.connection.recv()
                at = time.perf_counter()
                message = orjson.loads(text)
                if message.get("type") != "next":
                    continue
                body = next(iter(message["payload"]["data"].values()))
                started = committed.get(body["order"]["description"])
                if started is not None:
                    latencies.append((at - started) * 1000)

        receivers = [asyncio.create_task(receive(ws)) for ws in sockets]
        client = await connect_nats(nats_url, name="bench-publisher")
        js = client.jetstream()
        collections = {t: database.for_tenant(ORDERS, t) for t in TENANTS}
        publishes: set[asyncio.Task[Any]] = set()

        async def commit(tenant: str, order_id: str, sequence: int) -> None:
            description = f"bench change {sequence}"
            await collections[tenant].update_one(
                {"_id": order_id}, {"$set": {"description": description}, "$inc": {"version": 1}}
            )
            committed[description] = time.perf_counter()
            event = {
                "specversion": "1.0",
                "id": uuid.uuid4().hex,
                "source": "/portal/orders",
                "type": "portal.orders.order.edited",
                "subject": order_id,
                "time": datetime.now(UTC).isoformat(),
                "datacontenttype": "application/json",
                "tenant": tenant,
                "data": {"order_id": order_id, "number": "B1", "fields": ["description"]},
            }
            await js.publish(
                f"{PREFIX}.{tenant}.orders.order.edited",
                orjson.dumps(event),
                headers={"Nats-Msg-Id": event["id"]},
            )

        total = int(args.rate * args.seconds)
        started = time.perf_counter()
        for sequence in range(total):
            due = started + sequence / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tenant = TENANTS[sequence % len(TENANTS)]
            order = rng.choice(orders[tenant])
            task = asyncio.create_task(commit(tenant, order["_id"], sequence))
            publishes.add(task)
            task.add_done_callback(publishes.discard)
        elapsed = time.perf_counter() - started
        await asyncio.gather(*publishes)
        await asyncio.sleep(3.0)  # the last deliveries
        for task in receivers:
            task.cancel()
        await client.close()
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"{url}/metrics")).text
    dropped = next(
        (
            line.split()[-1]
            for line in metrics.splitlines()
            if line.startswith("portal_gateway_subscription_events_dropped_total")
        ),
        "?",
    )
    latencies.sort()
    print(
        f"committed {total} changes in {elapsed:.1f} s ({total / elapsed:.0f}/s); "
        f"{len(latencies)} messages received; events dropped by the gateway: {dropped}"
    )
    if latencies:
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"commit to client: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
