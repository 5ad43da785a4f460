"""The gateway process as `python -m portal_gateway` runs it, instrumented for the latency tail:

- each request's time inside the gateway (first ASGI message to the last body part sent);
- garbage-collector pauses per generation (`gc.callbacks`), from the first answer on;
- event-loop lag: a sampler that asks to wake every 5 ms and records how late it woke;
- upstream connection-pool waits and new connections (aiohttp trace hooks);
- each subgraph request (sent until its answer's headers came), and CPU time per request;
- optionally a sampling profile of the whole process (`BENCH_PYINSTRUMENT=1`, pyinstrument, run
  with `uv run --with pyinstrument`) or a deterministic one (`BENCH_CPROFILE=1`, by own time).

Variants, for A/B runs (`bench_gateway.py --variant`): `BENCH_GC_THRESHOLD=g0,g1,g2` sets the
collector's thresholds; `BENCH_GC_FREEZE_AFTER=N` collects and freezes once N requests have been
answered (what warm-up cached kept out of later collections).

At shutdown it writes a JSON summary to `BENCH_PROFILE_OUT`. `bench_gateway.py --profile` starts the
gateway through this file and prints the summary; nothing here is imported by the gateway.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

SAMPLE_SECONDS = 0.005
FREEZE_AFTER = int(os.environ.get("BENCH_GC_FREEZE_AFTER", "0"))
samples: dict[str, list[float]] = {
    "request": [],
    "gc0": [],
    "gc1": [],
    "gc2": [],
    "loop_lag": [],
    "pool_wait": [],
    "fetch": [],  # a subgraph request: sent until its answer's headers came
}
counts = {"connections_created": 0, "pool_waits": 0}
_gc_started = 0.0


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    global _gc_started
    if not samples["request"]:
        return  # start-up (its own full collection before gc.freeze), not the tail
    if phase == "start":
        _gc_started = time.perf_counter()
    else:
        samples[f"gc{info['generation']}"].append(time.perf_counter() - _gc_started)


async def _loop_lag() -> None:
    while True:
        wanted = time.perf_counter() + SAMPLE_SECONDS
        await asyncio.sleep(SAMPLE_SECONDS)
        samples["loop_lag"].append(max(0.0, time.perf_counter() - wanted))


def _trace_config() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()

    async def queued_start(_: Any, context: Any, __: Any) -> None:
        context.queued = time.perf_counter()

    async def queued_end(_: Any, context: Any, __: Any) -> None:
        counts["pool_waits"] += 1
        samples["pool_wait"].append(time.perf_counter() - context.queued)

    async def created(*_: Any) -> None:
        counts["connections_created"] += 1

    async def request_start(_: Any, context: Any, __: Any) -> None:
        context.sent = time.perf_counter()

    async def request_end(_: Any, context: Any, __: Any) -> None:
        samples["fetch"].append(time.perf_counter() - context.sent)

    config.on_request_start.append(request_start)
    config.on_request_end.append(request_end)
    config.on_connection_queued_start.append(queued_start)
    config.on_connection_queued_end.append(queued_end)
    config.on_connection_create_end.append(created)
    return config


class Timed:
    """ASGI wrapper: times each HTTP request; starts the loop-lag sampler with the first."""

    def __init__(self, app: Any, report: Any) -> None:
        self.app = app
        self.report = report
        self.sampler: asyncio.Task[None] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            # uvicorn re-raises SIGTERM after shutting down (no atexit): report at shutdown.
            async def lifespan_send(message: Any) -> None:
                if message["type"] == "lifespan.shutdown.complete":
                    self.report()
                await send(message)

            await self.app(scope, receive, lifespan_send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.sampler is None:
            self.sampler = asyncio.get_running_loop().create_task(_loop_lag())
        started = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                samples["request"].append(time.perf_counter() - started)
                if len(samples["request"]) == FREEZE_AFTER:
                    gc.collect()
                    gc.freeze()

        await self.app(scope, receive, timed_send)


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 3)

    return {
        "n": len(ordered),
        "total_ms": round(sum(ordered) * 1000, 1),
        "p50_ms": at(0.5),
        "p99_ms": at(0.99),
        "p999_ms": at(0.999),
        "max_ms": round(ordered[-1] * 1000, 3),
        "over_5ms": sum(1 for v in ordered if v > 0.005),
        "over_20ms": sum(1 for v in ordered if v > 0.02),
    }


def main() -> None:
    from portal_gateway.__main__ import proxy_options
    from portal_gateway.app import create_app
    from portal_gateway.settings import GatewaySettings
    from portal_kit.serve import run

    out = Path(os.environ["BENCH_PROFILE_OUT"])
    cpu_started = time.process_time()
    cprofile = None
    if os.environ.get("BENCH_CPROFILE"):
        import cProfile

        cprofile = cProfile.Profile()
        cprofile.enable()
    profiler = None
    if os.environ.get("BENCH_PYINSTRUMENT"):
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()

    original_init = aiohttp.ClientSession.__init__

    def session_init(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        kwargs["trace_configs"] = [*(kwargs.get("trace_configs") or ()), _trace_config()]
        original_init(self, *args, **kwargs)

    aiohttp.ClientSession.__init__ = session_init  # type: ignore[method-assign]
    gc.callbacks.append(_on_gc)
    if threshold := os.environ.get("BENCH_GC_THRESHOLD"):
        gc.set_threshold(*(int(t) for t in threshold.split(",")))

    def report() -> None:
        summary: dict[str, Any] = {k: _summary(v) for k, v in samples.items()}
        summary.update(counts)
        answered = len(samples["request"]) or 1
        cpu = time.process_time() - cpu_started
        summary["cpu_ms_per_request"] = round(cpu * 1000 / answered, 3)
        summary["gc_thresholds"] = gc.get_threshold()
        summary["gc_frozen"] = gc.get_freeze_count()
        out.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
        if cprofile is not None:
            import io
            import pstats

            cprofile.disable()
            text = io.StringIO()
            order = os.environ.get("BENCH_CPROFILE_SORT", "tottime")
            pstats.Stats(cprofile, stream=text).sort_stats(order).print_stats(45)
            out.with_suffix(".txt").write_text(text.getvalue())
        if profiler is not None:
            profiler.stop()
            out.with_suffix(".txt").write_text(
                profiler.output_text(unicode=False, color=False, show_all=False)
            )

    run(GatewaySettings, lambda settings: Timed(create_app(settings), report), proxy_options)


if __name__ == "__main__":
    main()
