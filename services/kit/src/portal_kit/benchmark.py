"""What every benchmark script prints alike: which MongoDB served it, and p50/p99 of an action."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any


def served_by(mongo_url: str | None) -> str:
    if mongo_url:
        return "real MongoDB (PORTAL_MONGO_URL)"
    return (
        "IN-MEMORY STAND-IN (mongomock-motor, scans in Python): these figures say nothing "
        "about MongoDB; set PORTAL_MONGO_URL for real ones"
    )


async def timed(samples: int, action: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """(p50, p99) in milliseconds of `samples` runs of `action`, one after the other."""
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        await action()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
    return statistics.median(durations), p99


def print_figures(results: dict[str, tuple[float, float]]) -> None:
    print(f"{'operation':48} {'p50 ms':>9} {'p99 ms':>9}")
    for label, (p50, p99) in results.items():
        print(f"{label:48} {p50:9.2f} {p99:9.2f}")
