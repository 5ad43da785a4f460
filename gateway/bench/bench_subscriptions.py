"""Benchmark: subscriptions through the gateway under a steady flow of order changes.

    uv run python gateway/bench/bench_subscriptions.py [--subscriptions 1000] [--rate 500]
        [--seconds 20] [--warmup 2] [--orders 100] [--users 2]

Starts a nats-server, the orders subgraph as its own process (this script with `--serve-orders`,
on the in-memory MongoDB stand-in unless PORTAL_MONGO_URL is set: it says which) with `--orders`
orders in each of three tenants (JM, Familjebostäder, Avonova; loaded like `make bench-orders`),
and the gateway as its own process (`python -m portal_gateway`); the clients and the commits
run in this process. Then it opens `--subscriptions` subscriptions over
graphql-transport-ws, four to a socket, across the three tenants, as `--users` users per tenant
(staff and contractors, each seeing with its own principal): most follow one order
(`orderChanged(id)`), one socket in 25 also every order (`ordersChanged`).

After `--warmup` seconds of the same flow (counted apart: each re-read's size is parsed,
validated and planned once per process, and list subscriptions learn their records), for
`--seconds` it commits `--rate` order changes a second (in the orders process, asked in
batches every 10 ms: a description and version update of an order's document, then its
`edited` event published to orders' stream as the outbox relay publishes it) and notes when
each `next` message reaches its WebSocket client (both wall-clock times of this machine). It prints
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
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
import uvloop
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from portal_gateway.testing.serving import free_port, serving
from portal_gateway.testing.transport_ws import Socket, socket
from portal_kit.benchmark import served_by
from portal_kit.jetstream import connect_nats
from portal_kit.principal import generate_key_pair
from portal_kit.serve import settle_heap
from portal_kit.testing.nats_server import NatsServer, find_nats_server
from portal_orders.adapters.repositories import ORDERS
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

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


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def serve_orders(args: argparse.Namespace) -> None:
    """The orders subgraph with its orders loaded, and `/bench/orders` (their ids and
    assignees) and `/bench/commit` (commit changes, answer their commit times)."""
    mongo_url = os.environ.get("PORTAL_MONGO_URL")
    settings = OrdersSettings(
        mongo_url=mongo_url,
        mongo_stand_in=mongo_url is None,
        mongo_database=f"bench_subscriptions_{uuid.uuid4().hex[:8]}",
        nats_url=args.nats,
        event_prefix=PREFIX,
        stream_max_bytes=0,
        principal_public_key=await asyncio.to_thread(Path(args.public_key).read_text),
        log_level="ERROR",
    )
    orders_app = create_orders_app(settings)
    listing: dict[str, list[dict[str, Any]]] = {}
    collections: dict[str, Any] = {}
    client = await connect_nats(args.nats, name="bench-relay")
    js = client.jetstream()

    async def orders(_: Request) -> JSONResponse:
        return JSONResponse(listing)

    async def commit_one(tenant: str, order_id: str, sequence: int) -> float:
        await collections[tenant].update_one(
            {"_id": order_id},
            {"$set": {"description": f"bench change {sequence}"}, "$inc": {"version": 1}},
        )
        committed = time.time()
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
        return committed

    async def commit(request: Request) -> JSONResponse:
        changes = orjson.loads(await request.body())
        times = await asyncio.gather(*(commit_one(*change) for change in changes))
        return JSONResponse({str(c[2]): t for c, t in zip(changes, times, strict=True)})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with orders_app.router.lifespan_context(orders_app):
            yield

    app = Starlette(
        routes=[
            Route("/bench/orders", orders),
            Route("/bench/commit", commit, methods=["POST"]),
            Mount("/", orders_app),
        ],
        lifespan=lifespan,
    )
    async with serving(app, port=args.port):
        database = orders_app.state.runtime.database
        loader = _orders_bench()
        for number, tenant in enumerate(TENANTS):
            await loader.load(database, tenant, args.orders, number + 1)
            collections[tenant] = database.for_tenant(ORDERS, tenant)
            found = await collections[tenant].find({})
            listing[tenant] = [
                {"id": d["_id"], "assignee": d.get("assignee_organisation_id")} for d in found
            ]
        settle_heap()  # as portal_kit.serve runs a service once it has started
        print("ready", flush=True)
        await asyncio.Event().wait()


def start(command: list[str], environment: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=environment, cwd=ROOT)


async def wait_for(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for _ in range(1200):
            if process.poll() is not None:
                raise SystemExit(f"{what} did not start")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise SystemExit(f"{what} did not answer")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="seconds of changes before measuring (printed apart)",
    )
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--users", type=int, default=2)
    parser.add_argument(
        "--compression",
        choices=("deflate", "none"),
        default="deflate",
        help="permessage-deflate as browsers offer it, or none",
    )
    parser.add_argument("--serve-orders", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--nats", default="", help=argparse.SUPPRESS)
    parser.add_argument("--public-key", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_orders:
        await serve_orders(args)
        return
    print(f"MongoDB: {served_by(os.environ.get('PORTAL_MONGO_URL'))}")
    binary = find_nats_server()
    if binary is None:
        raise SystemExit("nats-server is not installed")
    nats = NatsServer(binary)
    nats.start()
    private_pem, public_pem = generate_key_pair()
    issuer = Issuer()
    folder = Path(tempfile.mkdtemp(prefix="bench-subscriptions-"))
    (folder / "private.pem").write_bytes(private_pem)
    (folder / "public.pem").write_bytes(public_pem)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        async with serving(issuer.app()) as issuer_url:
            orders_port, port = free_port(), free_port()
            orders_url = f"http://127.0.0.1:{orders_port}"
            processes.append(
                start(
                    [
                        sys.executable,
                        __file__,
                        "--serve-orders",
                        f"--port={orders_port}",
                        f"--nats={nats.url}",
                        f"--public-key={folder / 'public.pem'}",
                        f"--orders={args.orders}",
                    ],
                    dict(os.environ),
                )
            )
            await wait_for(f"{orders_url}/bench/orders", processes[-1], "orders")
            unreachable = f"http://127.0.0.1:{free_port()}/graphql"
            environment = {
                **os.environ,
                "PORTAL_HTTP_HOST": "127.0.0.1",
                "PORTAL_HTTP_PORT": str(port),
                "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE": str(folder / "private.pem"),
                "PORTAL_JWKS_URL": f"{issuer_url}/.well-known/jwks.json",
                "PORTAL_ORDERS_URL": f"{orders_url}/graphql",
                "PORTAL_PEOPLE_URL": unreachable,
                "PORTAL_TICKETS_URL": unreachable,
                "PORTAL_BILLING_URL": unreachable,
                "PORTAL_NATS_URL": nats.url,
                "PORTAL_EVENT_PREFIX": PREFIX,
                "PORTAL_LOG_LEVEL": "ERROR",
            }
            processes.append(start([sys.executable, "-m", "portal_gateway"], environment))
            url = f"http://127.0.0.1:{port}"
            await wait_for(f"{url}/healthz", processes[-1], "the gateway")
            await asyncio.sleep(2.0)  # the event feed finds orders' stream
            async with httpx.AsyncClient(timeout=30) as http:
                orders = (await http.get(f"{orders_url}/bench/orders")).json()
            await run(args, url, [p.pid for p in processes], issuer, orders, orders_url)
    finally:
        for process in processes:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
        nats.close()


async def run(
    args: argparse.Namespace,
    url: str,
    pids: list[int],
    issuer: Issuer,
    orders: dict[str, list[dict[str, Any]]],
    orders_url: str,
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
    orders_pid, pid = pids
    before = rss_kib(pid)
    sockets_wanted = max(1, args.subscriptions // 4)
    committed: dict[str, float] = {}
    received: list[tuple[str, float]] = []
    sockets: list[Socket] = []
    stack = contextlib.AsyncExitStack()
    subscriptions = 0
    async with stack:
        for number in range(sockets_wanted):
            tenant, token = users[number % len(users)]
            compression = "deflate" if args.compression == "deflate" else None
            ws = await stack.enter_async_context(
                socket(url, ping_interval=None, compression=compression)
            )
            assert (await ws.init(token))["type"] == "connection_ack"
            for ident in range(4):
                if subscriptions >= args.subscriptions:
                    break
                if ident == 0 and number % 25 == 0:
                    await ws.subscribe(str(ident), EVERY)
                else:
                    order = rng.choice(orders[tenant])
                    await ws.subscribe(str(ident), ONE, id=order["id"])
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
                at = time.time()
                message = orjson.loads(text)
                if message.get("type") == "next":
                    body = next(iter(message["payload"]["data"].values()))
                    received.append((body["order"]["description"].rpartition(" ")[2], at))

        receivers = [asyncio.create_task(receive(ws)) for ws in sockets]
        pending: set[asyncio.Task[None]] = set()
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=60))

        async def commit(changes: list[tuple[str, str, int]]) -> None:
            answer = await http.post(f"{orders_url}/bench/commit", content=orjson.dumps(changes))
            committed.update(answer.json())

        warm = int(args.rate * args.warmup)
        total = warm + int(args.rate * args.seconds)
        tick = 0.01
        started = time.perf_counter()
        sequence = 0
        measuring = 0.0
        while sequence < total:
            due = started + sequence / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if sequence >= warm and not measuring:
                # Warmed up: each re-read size's first query has been parsed and planned.
                metrics_before = (await http.get(f"{url}/metrics")).text
                orders_before = (await http.get(f"{orders_url}/metrics")).text
                cpu = {
                    "orders": cpu_seconds(orders_pid),
                    "gateway": cpu_seconds(pid),
                    "clients": time.process_time(),
                }
                measuring = time.perf_counter()
            batch = []
            limit = total if measuring else warm
            while sequence < limit and started + sequence / args.rate <= time.perf_counter() + tick:
                tenant = TENANTS[sequence % len(TENANTS)]
                batch.append((tenant, rng.choice(orders[tenant])["id"], sequence))
                sequence += 1
            if batch:
                task = asyncio.create_task(commit(batch))
                pending.add(task)
                task.add_done_callback(pending.discard)
        elapsed = time.perf_counter() - measuring
        busy = {
            "orders": cpu_seconds(orders_pid) - cpu["orders"],
            "gateway": cpu_seconds(pid) - cpu["gateway"],
            "clients": time.process_time() - cpu["clients"],
        }
        await asyncio.gather(*pending)
        await asyncio.sleep(5.0)  # the last deliveries
        for task in receivers:
            task.cancel()
        metrics = (await http.get(f"{url}/metrics")).text
        orders_metrics = (await http.get(f"{orders_url}/metrics")).text
    if os.environ.get("BENCH_METRICS"):
        print(
            "\n".join(line for line in metrics.splitlines() if "_sum" in line or "_count" in line)
        )
    measured = [
        (int(seq) >= warm, (at - committed[seq]) * 1000) for seq, at in received if seq in committed
    ]
    latencies = sorted(ms for counted, ms in measured if counted)
    warming = sorted(ms for counted, ms in measured if not counted)

    def counter(name: str) -> str:
        return next(
            (
                line.split()[-1]
                for line in metrics.splitlines()
                if line.startswith(f"portal_gateway_subscription_{name}_total")
            ),
            "?",
        )

    dropped = counter("events_dropped")
    print(
        f"CPU while committing: gateway {busy['gateway'] / elapsed:.0%} of a core, "
        f"orders subgraph {busy['orders'] / elapsed:.0%}, this process (clients, commits) "
        f"{busy['clients'] / elapsed:.0%} (machine load {os.getloadavg()[0]:.1f})"
    )
    print(
        f"committed {len(committed) - warm} changes in {elapsed:.1f} s after {warm} in "
        f"{args.warmup:g} s of warm-up ({args.rate:g}/s asked); {len(latencies)} messages "
        f"received of them; events dropped by the gateway: {dropped}"
    )
    print(
        f"records re-read: {counter('reads')} in {counter('read_requests')} requests to the "
        "engine (subscribing included)"
    )
    for name, what in (("delivery", "event at the gateway to message sent"), ("read", "re-read")):
        print(f"{what}: {histogram_quantiles(metrics_before, metrics, name)}")
    print(f"gateway's cyclic collections while committing: {collections(metrics_before, metrics)}")
    print(
        "orders' cyclic collections while committing (and the last seconds' deliveries): "
        f"{collections(orders_before, orders_metrics)}"
    )
    if warming:
        print(f"during warm-up, commit to client: {quantiles(warming)}")
    if latencies:
        print(f"commit to client: {quantiles(latencies)}")


def quantiles(latencies: list[float]) -> str:
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms"


def collections(before: str, after: str) -> str:
    """Collections per generation between two scrapes (`python_gc_collections_total`): a full
    one (generation 2) walks the whole heap while every event waits."""

    def counts(metrics: str) -> dict[str, float]:
        prefix = 'python_gc_collections_total{generation="'
        return {
            line[len(prefix)]: float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith(prefix)
        }

    earlier, later = counts(before), counts(after)
    return ", ".join(f"generation {g}: {later[g] - earlier.get(g, 0.0):.0f}" for g in sorted(later))


def histogram_quantiles(before: str, after: str, name: str) -> str:
    """p50 and p99 of what a gateway histogram observed between two scrapes, as the upper
    bounds of their buckets."""
    prefix = f"portal_gateway_subscription_{name}_seconds_bucket{{"

    def counts(metrics: str) -> dict[float, float]:
        found = {}
        for line in metrics.splitlines():
            if line.startswith(prefix):
                bound = line.split('le="', 1)[1].split('"', 1)[0]
                found[float(bound)] = float(line.split()[-1])
        return found

    earlier = counts(before)
    buckets = sorted((b, n - earlier.get(b, 0.0)) for b, n in counts(after).items())
    if not buckets or buckets[-1][1] == 0:
        return "no observations"
    total = buckets[-1][1]

    def upper(q: float) -> str:
        bound = next(b for b, count in buckets if count >= q * total)
        return "> 5 s" if bound == float("inf") else f"<= {bound * 1000:.0f} ms"

    return f"p50 {upper(0.5)}, p99 {upper(0.99)} ({total:.0f} observed)"


if __name__ == "__main__":
    uvloop.run(main())  # the event loop the services and the gateway run on (portal_kit.serve)
