"""Benchmark of the orders service's hot paths.

Loads orders for three tenants (JM: the big one; Familjebostäder and Avonova: smaller), then
prints p50/p99 of: the contractor's active list (50 rows, filtered, sorted), a free-text search,
the dashboard matrix, and a status transition (load, check, save with version and outbox) —
through the service layer the GraphQL resolvers call, so without HTTP.

    uv run python services/orders/bench/bench_orders.py            # sizes depend on MongoDB
    uv run python services/orders/bench/bench_orders.py --big 100000 --small 10000

With PORTAL_MONGO_URL it uses that MongoDB (a fresh database, dropped afterwards) and defaults to
100,000 + 2 × 10,000 orders. Without it, it uses the in-memory stand-in, which scans in Python:
the defaults are then far smaller, and its figures say nothing about MongoDB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from portal_kit.benchmark import print_figures, served_by, timed
from portal_kit.mongo import Database, connect_database
from portal_kit.principal import Membership, Principal
from portal_orders.adapters.configuration import shipped_configurations
from portal_orders.adapters.repositories import INDEXES, ORDERS, OrderRepository
from portal_orders.bootstrap import order_desk
from portal_orders.domain.numbering import sla_dates
from portal_orders.domain.order import Order, OrderDraft
from portal_orders.domain.record import Address, Avser, ObjectInfo, Resident
from portal_orders.domain.workflow import Actor
from portal_orders.service_layer.ports import OrderFilter, Sort

STREETS = ["Torögatan", "Storgata", "Sjøgata", "Bordsvägen", "Kongens gate", "Fjordveien"]
PHRASES = ["Blandare dåligt tryck", "Blandare läcker", "Dør henger", "Vindu knust", "Propp i avløp"]
CONTRACTORS = [f"contractor-{n}" for n in range(40)]
NOW = datetime(2025, 6, 26, 8, 0, tzinfo=UTC)


def make_order(tenant: str, sequence: int, rng: random.Random) -> Order:
    configuration = shipped_configurations()[tenant]
    order_type = rng.choice(configuration.order_types)
    order_date = date(2025, 1, 1) + timedelta(days=rng.randrange(170))
    street = f"{rng.choice(STREETS)} {rng.randrange(1, 120)}"
    draft = OrderDraft(
        order_type=order_type.code,
        priority=rng.choice(configuration.priorities).code,
        description=f"{rng.choice(PHRASES)} i leilighet {rng.randrange(1000)}",
        customer_organisation_id=f"customer-{rng.randrange(50)}",
        order_date=order_date,
        assignee_organisation_id=rng.choice(CONTRACTORS),
        resident=Resident(name="Test Testsson"),
        object=ObjectInfo(number=str(64010000 + rng.randrange(5000)), address=Address(street)),
        avser=Avser(phrase=rng.choice(PHRASES)),
    )
    contact, delivery = sla_dates(configuration, order_date)
    created = datetime.combine(order_date, datetime.min.time(), UTC) + timedelta(hours=9)
    order = Order.create(
        tenant=tenant,
        configuration=configuration,
        sequence=sequence,
        number=f"B{sequence}",
        draft=draft,
        actor=Actor.STAFF,
        user="bench",
        now=created,
        expected_contact_date=contact,
        expected_delivery_date=delivery,
    )
    order.take_events()
    workflow = order_type.workflow
    # Move a share of orders along the workflow, so lists and the dashboard have variety.
    for _ in range(rng.randrange(3)):
        options = [
            t for t in workflow.transitions_from(order.status) if Actor.CONTRACTOR in t.actors
        ]
        if not options:
            break
        rule = rng.choice(options)
        changes: dict[str, Any] = {
            name: "x" for name in rule.required_fields if name != "agreed_appointment"
        }
        if "agreed_appointment" in rule.required_fields:
            changes["agreed_appointment"] = created
        for conditional in rule.required_when:
            changes.update({name: "x" for name in conditional.fields})
        order.transition(
            workflow,
            rule.target,
            actor=Actor.CONTRACTOR,
            user="bench",
            now=created,
            comment="x",
            changes=changes,
        )
    order.take_events()
    return order


async def load(database: Database, tenant: str, count: int, seed: int) -> None:
    rng = random.Random(seed)
    repository = OrderRepository(database, tenant)
    raw = database.for_tenant(ORDERS, tenant)  # bulk insert: a loader, not a repository path
    batch: list[dict[str, Any]] = []
    for sequence in range(1, count + 1):
        order = make_order(tenant, sequence, rng)
        document = repository.to_document(order)
        document.update(
            _id=order.id,
            version=1,
            outbox=[],
            activity=[_entry(e) for e in order.activity],
        )
        batch.append(document)
        if len(batch) == 1000:
            await raw.insert_many(batch)
            batch = []
    if batch:
        await raw.insert_many(batch)


def _entry(entry: Any) -> dict[str, Any]:
    from portal_orders.adapters.codec import encode

    encoded: dict[str, Any] = encode(entry)
    return encoded


async def main() -> None:
    mongo_url = os.environ.get("PORTAL_MONGO_URL")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=100_000 if mongo_url else 2_000)
    parser.add_argument("--small", type=int, default=10_000 if mongo_url else 200)
    parser.add_argument("--samples", type=int, default=200 if mongo_url else 20)
    args = parser.parse_args()

    name = f"bench_orders_{uuid.uuid4().hex[:8]}"
    database = connect_database(mongo_url, name)
    print(f"MongoDB: {served_by(mongo_url)}")
    if mongo_url:
        print(f"MongoDB version: {await database.server_version()}")
    await database.ensure_indexes(INDEXES)
    started = time.perf_counter()
    await load(database, "jm", args.big, 1)
    await load(database, "familjebostader", args.small, 2)
    await load(database, "avonova", args.small, 3)
    print(
        f"loaded {args.big} jm + {args.small} familjebostader + {args.small} avonova orders "
        f"in {time.perf_counter() - started:.1f} s"
    )

    contractor = Principal(
        user="ue", tenant="jm", memberships=(Membership(organisation=CONTRACTORS[0]),)
    )
    staff = Principal(user="pm", tenant="jm", staff=True)
    configurations = shipped_configurations()
    contractor_desk = order_desk(
        database, contractor, configurations=configurations, clock=lambda: NOW
    )
    staff_desk = order_desk(database, staff, configurations=configurations, clock=lambda: NOW)
    contractor_queries = await contractor_desk.queries()
    staff_queries = await staff_desk.queries()
    assert contractor_queries is not None and staff_queries is not None

    active = OrderFilter(view="ACTIVE", statuses=("new", "order_received", "appointment_agreed"))
    by_delivery = Sort("EXPECTED_DELIVERY_DATE", descending=True)
    rows = await contractor_queries.page(active, by_delivery, size=50, after=None)
    found = await staff_queries.page(OrderFilter(search="torogatan 5"), Sort(), size=50, after=None)
    print(
        f"contractor's active list: {len(rows.items)} rows of {rows.total}; "
        f"search hits: {found.total}"
    )

    movable = [
        seen.order
        for seen in (
            await staff_queries.page(
                OrderFilter(statuses=("new",)), Sort(), size=args.samples, after=None
            )
        ).items
    ]
    workflow = shipped_configurations()["jm"].order_types[0].workflow
    pending = iter(movable)

    async def transition() -> None:
        order = next(pending)
        order.transition(workflow, "order_received", actor=Actor.STAFF, user="pm", now=NOW)
        await staff_desk.orders.save(order)

    results = {
        "contractor active list (50, filtered, sorted)": await timed(
            args.samples, lambda: contractor_queries.page(active, by_delivery, size=50, after=None)
        ),
        "free-text search 'torogatan 5'": await timed(
            args.samples,
            lambda: staff_queries.page(
                OrderFilter(search="torogatan 5"), Sort(), size=50, after=None
            ),
        ),
        "dashboard matrix (staff)": await timed(args.samples, lambda: staff_queries.dashboard()),
        "status transition (load+save)": await timed(min(args.samples, len(movable)), transition),
    }
    print_figures(results)
    if mongo_url:
        await database.drop()
    database.close()


if __name__ == "__main__":
    asyncio.run(main())
