"""The in-memory stand-in's cost per `update_one` on an order-like document.

    uv run python services/kit/bench/bench_stand_in_update.py [--orders 200] [--updates 5000]
    uv run python services/kit/bench/bench_stand_in_update.py --unpatched

A collection of `--orders` documents of about 110 nodes each (nested dicts, lists, dates, ids),
with two unique indexes as the orders service declares them ((tenant, number) and
(tenant, external_ref)); each update sets a status and a time and increments a version, the way
a transition does, through the motor-style API the services use. It prints µs per update_one:
the stand-in's own figure, nothing about MongoDB. `--unpatched` leaves mongomock as it is
(without `stand_in.apply()`), for the figure before the shortcuts.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId


def order(n: int) -> dict[str, Any]:
    created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    return {
        "_id": f"o{n}",
        "tenant": "jm",
        "number": f"A-{n:06d}",
        "external_ref": f"EXT-{n}",
        "status": "new",
        "status_category": "active",
        "order_type": "repair",
        "version": 1,
        "created_at": created,
        "customer_organisation_id": ObjectId(),
        "assignee_organisation_id": ObjectId(),
        "address": {
            "street": "Main Street",
            "house_number": str(n),
            "postcode": "1234 AB",
            "city": "Utrecht",
            "geo": {"lat": 52.09, "lon": 5.12},
        },
        "contacts": [
            {"name": f"Contact {i}", "phone": "+31 6 1234 5678", "email": f"c{i}@example.org"}
            for i in range(3)
        ],
        "lines": [
            {"code": f"L{i}", "quantity": i + 1, "price": 12.5 * i, "tags": ["a", "b"]}
            for i in range(5)
        ],
        "activity": [
            {
                "at": created + timedelta(hours=i),
                "by": ObjectId(),
                "kind": "note",
                "text": "called the customer",
                "attachments": [],
            }
            for i in range(6)
        ],
        "keys": {"NUMBER": f"A-{n:06d}", "STATUS": "new", "CITY": "utrecht"},
    }


def nodes(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(nodes(item) for item in value.values())
    if isinstance(value, list):
        return 1 + sum(nodes(item) for item in value)
    return 1


async def run(orders: int, updates: int, patched: bool) -> None:
    if patched:
        from portal_kit import stand_in

        stand_in.apply()
    from mongomock_motor import AsyncMongoMockClient

    collection: Any = AsyncMongoMockClient(tz_aware=True)["bench"]["orders"]
    await collection.create_index([("tenant", 1), ("number", 1)], unique=True)
    await collection.create_index([("tenant", 1), ("external_ref", 1)], unique=True)
    await collection.insert_many([order(n) for n in range(orders)])
    print(f"{orders} documents of {nodes(order(0))} nodes, 2 unique indexes, patched={patched}")
    ids = [f"o{n}" for n in range(orders)]
    for warm in range(200):
        await collection.update_one({"_id": ids[warm % orders], "tenant": "jm"}, {"$inc": {"v": 1}})
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(updates):
            await collection.update_one(
                {"_id": ids[i % orders], "tenant": "jm"},
                {
                    "$set": {"status": "planned", "updated_at": datetime.now(UTC)},
                    "$inc": {"version": 1},
                },
            )
        best = min(best, (time.perf_counter() - start) / updates)
    print(f"update_one: {best * 1e6:.1f} µs (best of 3 rounds of {updates})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--unpatched", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.orders, args.updates, not args.unpatched))


if __name__ == "__main__":
    main()
