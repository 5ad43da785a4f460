"""Benchmark: the gateway against direct subgraph calls (and Hive Gateway when installed).

    uv run python gateway/bench/bench_gateway.py [--seconds 5] [--no-hive]

Serves the fixture subgraphs (portal_gateway.testing.fixture_subgraphs), one process per
subgraph (uvicorn, uvloop, httptools), composes their supergraph, starts `python -m
portal_gateway` on it, and Hive Gateway (`npm ci --prefix gateway/bench` installs it) on the same
supergraph. Then, at 1 and 32 concurrent clients, it measures:

  (a) one root field from one subgraph: `{ me { name } }`
  (b) 50 entities joined across three subgraphs:
      `{ catalog(first: 50) { upc name inStock reviewCount } }` (products, then inventory and
      reviews through `_entities`, in parallel)

  (c) the audit-like shape, at 20 clients only: three subgraphs with `@requires` and `@provides`,
      `{ topProducts { name shippingEstimate reviews { id author { username } } } }` (products,
      then inventory with the required price and weight, and reviews whose author's username
      is provided)

and the same data fetched straight from the subgraphs (for (b): the products call, then the two
`_entities` calls in parallel, as the plan does; for (c): products, then inventory and reviews
in parallel). It prints requests/s, p50, p99 and p99.9. `--cases c` runs only case (c);
`--rounds N` measures every target N times (in turn, each round in another order); `--profile`
runs the gateway instrumented (`profile_gateway.py`: time inside it, GC pauses, event-loop lag,
connection-pool waits) and `--variant "NAME:KEY=VALUE;..."` runs more instrumented gateways
beside it with other settings, for A/B comparisons in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson

HERE = Path(__file__).resolve().parent
SUBGRAPHS = ("accounts", "products", "inventory", "reviews", "shipping")
QUERY_A = "{ me { name } }"
QUERY_B = "{ catalog(first: 50) { upc name inStock reviewCount } }"
QUERY_C = "{ topProducts { name shippingEstimate reviews { id author { username } } } }"
ENTITIES = {
    "inventory": "query($r: [_Any!]!) { _entities(representations: $r) "
    "{ ... on Product { inStock } } }",
    "reviews": "query($r: [_Any!]!) { _entities(representations: $r) "
    "{ ... on Product { reviewCount } } }",
}
ENTITIES_C = {
    "inventory": "query($r: [_Any!]!) { _entities(representations: $r) "
    "{ ... on Product { shippingEstimate } } }",
    "reviews": "query($r: [_Any!]!) { _entities(representations: $r) "
    "{ ... on Product { reviews { id author { username } } } } }",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_subgraph(name: str, port: int) -> None:
    """Child process: one fixture subgraph at /<name>/graphql."""
    import uvicorn
    from portal_gateway.testing.fixture_subgraphs import Recorded, subgraph_route
    from starlette.applications import Starlette

    app = Starlette(routes=[subgraph_route(name, Recorded(name, record=False))])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            request = urllib.request.Request(
                url,
                data=b'{"query":"{ __typename }"}',
                headers={"content-type": "application/json", "x-portal-tenant": "jm"},
            )
            urllib.request.urlopen(request, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


async def measure(
    call: Callable[[aiohttp.ClientSession], Awaitable[None]], clients: int, seconds: float
) -> tuple[float, float, float, float]:
    """(requests/s, p50 ms, p99 ms, p99.9 ms) of `clients` concurrent loops calling for
    `seconds`."""
    connector = aiohttp.TCPConnector(limit=clients * 3)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(20):  # warm up: connections, plan cache
            await call(session)
        latencies: list[float] = []
        stop = time.perf_counter() + seconds

        async def loop() -> None:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                await call(session)
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    p999 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.999))] * 1000
    return len(latencies) / elapsed, p50, p99, p999


async def post(session: aiohttp.ClientSession, url: str, query: str, **variables: Any) -> Any:
    body = orjson.dumps({"query": query, "variables": variables})
    headers = {"content-type": "application/json", "x-portal-tenant": "jm"}
    async with session.post(url, data=body, headers=headers) as response:
        answer = orjson.loads(await response.read())
        if response.status != 200 or answer.get("errors"):
            raise RuntimeError(f"{url}: {response.status} {answer}")
        return answer


def direct_a(urls: dict[str, str]) -> Callable[[aiohttp.ClientSession], Awaitable[None]]:
    async def call(session: aiohttp.ClientSession) -> None:
        await post(session, urls["accounts"], QUERY_A)

    return call


def direct_b(urls: dict[str, str]) -> Callable[[aiohttp.ClientSession], Awaitable[None]]:
    async def call(session: aiohttp.ClientSession) -> None:
        root = await post(
            session, urls["products"], "{ catalog(first: 50) { __typename upc name } }"
        )
        representations = [
            {"__typename": "Product", "upc": p["upc"]} for p in root["data"]["catalog"]
        ]
        await asyncio.gather(
            *(post(session, urls[n], ENTITIES[n], r=representations) for n in ENTITIES)
        )

    return call


def direct_c(urls: dict[str, str]) -> Callable[[aiohttp.ClientSession], Awaitable[None]]:
    async def call(session: aiohttp.ClientSession) -> None:
        root = await post(
            session, urls["products"], "{ topProducts { __typename upc name price weight } }"
        )
        products = root["data"]["topProducts"]
        keys = {p["upc"]: p for p in products}
        required = [
            {"__typename": "Product", "upc": u, "price": p["price"], "weight": p["weight"]}
            for u, p in keys.items()
        ]
        plain = [{"__typename": "Product", "upc": u} for u in keys]
        await asyncio.gather(
            post(session, urls["inventory"], ENTITIES_C["inventory"], r=required),
            post(session, urls["reviews"], ENTITIES_C["reviews"], r=plain),
        )

    return call


def through(url: str, query: str) -> Callable[[aiohttp.ClientSession], Awaitable[None]]:
    async def call(session: aiohttp.ClientSession) -> None:
        await post(session, url, query)

    return call


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def start_gateway(
    name: str,
    work: Path,
    env: dict[str, str],
    supergraph: Path,
    private_key: bytes,
    variant: dict[str, str] | None,
) -> tuple[subprocess.Popen[bytes], str]:
    """A gateway process: `python -m portal_gateway`, or with `variant` (BENCH_* settings of
    profile_gateway.py) the instrumented one, which writes `work/<name>-profile.json`."""
    port = free_port()
    command = [sys.executable, "-m", "portal_gateway"]
    if variant is not None:
        command = [sys.executable, str(HERE / "profile_gateway.py")]
    process = start(
        command,
        {
            **env,
            **(variant or {}),
            "BENCH_PROFILE_OUT": str(work / f"{name}-profile.json"),
            "PORTAL_HTTP_PORT": str(port),
            "PORTAL_SUPERGRAPH_FILE": str(supergraph),
            "PORTAL_PRINCIPAL_PRIVATE_KEY": private_key.decode(),
            "PORTAL_DEFAULT_TENANT": "jm",
            "PORTAL_LOG_LEVEL": "WARNING",
            "PORTAL_UPSTREAM_CONNECTIONS": "200",
        },
        work / f"{name}.log",
    )
    url = f"http://127.0.0.1:{port}/graphql"
    wait_for(url, process)
    return process, url


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """`name:KEY=VALUE;KEY=VALUE` (the settings may be none: `name:`)."""
    name, _, settings = text.partition(":")
    pairs = [p.split("=", 1) for p in settings.split(";") if p]
    return name, {k: v for k, v in pairs}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--no-hive", action="store_true")
    parser.add_argument("--no-direct", action="store_true", help="leave out direct calls")
    parser.add_argument("--cases", default="abc", help="which cases to run, e.g. c")
    parser.add_argument("--serve-subgraph", nargs=2, metavar=("NAME", "PORT"))
    parser.add_argument("--rounds", type=int, default=1, help="measure every target N times")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the gateway instrumented (profile_gateway.py) and print what it measured",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE;...",
        help="another instrumented gateway beside the first, with profile_gateway.py settings "
        "(e.g. gc2:BENCH_GC_THRESHOLD=20000,20,100), measured in the same rounds",
    )
    args = parser.parse_args()
    if args.serve_subgraph:
        serve_subgraph(args.serve_subgraph[0], int(args.serve_subgraph[1]))
        return

    from portal_gateway.composition import compose
    from portal_gateway.testing.fixture_subgraphs import sdl
    from portal_kit.principal import generate_key_pair

    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    gateways = [("gateway", {} if args.profile or args.variant else None)]
    gateways += [parse_variant(v) for v in args.variant]
    try:
        urls = {}
        for name in SUBGRAPHS:
            port = free_port()
            urls[name] = f"http://127.0.0.1:{port}/{name}/graphql"
            command = [sys.executable, __file__, "--serve-subgraph", name, str(port)]
            processes.append(start(command, env, work / f"{name}.log"))
        for name, process in zip(SUBGRAPHS, processes, strict=True):
            wait_for(urls[name], process)
        supergraph = work / "supergraph.graphql"
        supergraph.write_text(compose([{"name": n, "url": urls[n], "sdl": sdl(n)} for n in urls]))

        private_key, _ = generate_key_pair()
        targets: list[tuple[str, str | None]] = []
        for name, variant in gateways:
            process, url = start_gateway(name, work, env, supergraph, private_key, variant)
            processes.append(process)
            targets.append((name, url))
        hive = HERE / "node_modules" / ".bin" / "hive-gateway"
        if not args.no_hive and hive.exists() and shutil.which("node"):
            hive_port = free_port()
            process = start(
                [str(hive), "supergraph", str(supergraph), "--port", str(hive_port)],
                env,
                work / "hive.log",
            )
            processes.append(process)
            hive_url = f"http://127.0.0.1:{hive_port}/graphql"
            wait_for(hive_url, process)
            targets.append(("hive-gateway", hive_url))
        elif not args.no_hive:
            print("Hive Gateway not installed: npm ci --prefix gateway/bench", file=sys.stderr)

        print(
            f"{'case':<52} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9}"
        )
        cases = [
            ("a", "(a) one root field, one subgraph", direct_a(urls), QUERY_A, (1, 32)),
            ("b", "(b) 50 entities across three subgraphs", direct_b(urls), QUERY_B, (1, 32)),
            ("c", "(c) @requires/@provides, three subgraphs", direct_c(urls), QUERY_C, (20,)),
        ]
        for case, label, direct, query, concurrency in cases:
            if case not in args.cases:
                continue
            for clients in concurrency:
                rows = [] if args.no_direct else [("direct subgraph calls", direct)]
                rows += [(name, through(url, query)) for name, url in targets if url]
                for round_ in range(args.rounds):
                    # Each round in another order: drift of the shared machine evens out.
                    ordered = rows[round_ % len(rows) :] + rows[: round_ % len(rows)]
                    for name, call in ordered:
                        rate, p50, p99, p999 = asyncio.run(measure(call, clients, args.seconds))
                        print(
                            f"{label + ' / ' + name:<52} {clients:>7} {rate:>9.0f} "
                            f"{p50:>8.2f} {p99:>8.2f} {p999:>9.2f}",
                            flush=True,
                        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for name, _ in gateways:
            profile = work / f"{name}-profile.json"
            if profile.exists():
                print(f"{name}, measured inside it:", profile.read_text())
                if profile.with_suffix(".txt").exists():
                    print(profile.with_suffix(".txt").read_text())
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
