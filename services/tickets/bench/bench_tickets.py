"""Benchmark of the tickets service's hot paths.

Loads tickets for three tenants (Visma Enterprise: the big one; Visma InSchool and a default
tenant: smaller), then prints p50/p99 of each customer view (mine, the organisation's, followed;
50 rows, open), a search, posting, and opening a ticket with its feed — through the service
layer the GraphQL resolvers call, so without HTTP.

    uv run python services/tickets/bench/bench_tickets.py            # sizes depend on MongoDB
    uv run python services/tickets/bench/bench_tickets.py --big 100000 --small 10000

With PORTAL_MONGO_URL it uses that MongoDB (a fresh database, dropped afterwards) and defaults to
100,000 + 2 × 10,000 tickets. Without it, it uses the in-memory stand-in, which scans in Python:
the defaults are then far smaller, and its figures say nothing about MongoDB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from portal_kit.benchmark import print_figures, served_by, timed
from portal_kit.mongo import Database, connect_database
from portal_kit.principal import Membership, Principal
from portal_tickets.adapters.configuration import shipped_configurations
from portal_tickets.adapters.repositories import INDEXES, TICKETS, TicketRepository
from portal_tickets.bootstrap import ticket_desk
from portal_tickets.domain.configuration import Actor, Category
from portal_tickets.domain.ticket import Side, Ticket, check_values
from portal_tickets.service_layer.access import TicketView, View

WORDS = ["løn", "fejl", "medarbejder", "Wilma", "schema", "rapport", "indberetning", "adgang"]
CUSTOMERS = [f"customer-{n}" for n in range(50)]
USERS = [f"user-{n}" for n in range(400)]
NOW = datetime(2025, 6, 26, 8, 0, tzinfo=UTC)


def make_ticket(tenant: str, sequence: int, rng: random.Random) -> Ticket:
    configuration = shipped_configurations().of(tenant)
    given: dict[str, Any] = {"organisation": rng.choice(CUSTOMERS), "private": rng.random() < 0.1}
    for name in ("service", "ticket_type", "urgency", "impact", "topic"):
        if configuration.has(name):
            given[name] = rng.choice(configuration.choices(name)).code
    text = " ".join(rng.choice(WORDS) for _ in range(6))
    for name in ("subject", "title"):
        if configuration.has(name):
            given[name] = f"{text} {rng.randrange(10_000)}"
    given["description"] = f"{text}. " * 5
    if not configuration.has("private"):
        given.pop("private")
    created = NOW - timedelta(minutes=sequence)
    ticket = Ticket.create(
        tenant,
        sequence,
        check_values(configuration, given),
        configuration,
        created_by=rng.choice(USERS),
        side=Side.CUSTOMER,
        created_at=created,
    )
    for _ in range(rng.randrange(4)):
        ticket.add_post(
            configuration, text, internal=False, actor=Actor.STAFF, by="staff", at=created
        )
    if not ticket.private and rng.random() < 0.2:
        ticket.add_follower(rng.choice(USERS), actor=Actor.CREATOR, by="x", at=created)
    if rng.random() < 0.5:
        ticket.change_status(
            configuration, configuration.close_status, actor=Actor.STAFF, by="staff", at=created
        )
    ticket.take_events()
    return ticket


async def load(database: Database, tenant: str, count: int, seed: int) -> None:
    rng = random.Random(seed)
    repository = TicketRepository(database, tenant)
    raw = database.for_tenant(TICKETS, tenant)  # bulk insert: a loader, not a repository path
    batch: list[dict[str, Any]] = []
    for sequence in range(1, count + 1):
        ticket = make_ticket(tenant, sequence, rng)
        document = repository.to_document(ticket)
        document.update(_id=ticket.id, version=1, outbox=[])
        batch.append(document)
        if len(batch) == 1000:
            await raw.insert_many(batch)
            batch = []
    if batch:
        await raw.insert_many(batch)


async def main() -> None:
    mongo_url = os.environ.get("PORTAL_MONGO_URL")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--big", type=int, default=100_000 if mongo_url else 2_000)
    parser.add_argument("--small", type=int, default=10_000 if mongo_url else 200)
    parser.add_argument("--samples", type=int, default=200 if mongo_url else 20)
    args = parser.parse_args()

    database = connect_database(mongo_url, f"bench_tickets_{uuid.uuid4().hex[:8]}")
    print(f"MongoDB: {served_by(mongo_url)}")
    if mongo_url:
        print(f"MongoDB version: {await database.server_version()}")
    await database.ensure_indexes(INDEXES)
    started = time.perf_counter()
    await load(database, "visma-enterprise", args.big, 1)
    await load(database, "visma-inschool", args.small, 2)
    await load(database, "visma", args.small, 3)
    print(
        f"loaded {args.big} visma-enterprise + {args.small} visma-inschool + {args.small} "
        f"default-tenant tickets in {time.perf_counter() - started:.1f} s"
    )

    configurations = shipped_configurations()
    customer = Principal(
        user=USERS[0],
        tenant="visma-enterprise",
        memberships=(Membership(organisation=CUSTOMERS[0]),),
        locale="da",
    )
    staff = Principal(user="staff", tenant="visma-enterprise", staff=True, locale="da")
    desk = ticket_desk(database, customer, configurations=configurations, clock=lambda: NOW)
    staff_desk = ticket_desk(database, staff, configurations=configurations, clock=lambda: NOW)
    views = {
        f"customer view {view.value}, open (50)": TicketView(view=view, category=Category.OPEN)
        for view in (View.MINE, View.ORGANISATION, View.FOLLOWED)
    }
    views["customer view all visible (50)"] = TicketView()
    search = TicketView(search="medarbejder løn")
    for label, view in views.items():
        page = await desk.page(size=50, after=None, view=view)
        print(f"{label}: {len(page.items)} rows of {page.total}")
    hits = await staff_desk.page(size=50, after=None, view=search)
    print(f"staff search 'medarbejder løn': {hits.total} hits")

    open_ones = (
        await staff_desk.page(
            size=args.samples, after=None, view=TicketView(category=Category.OPEN)
        )
    ).items
    pending = iter(open_ones)

    async def post() -> None:
        ticket = next(pending)
        await staff_desk.add_post(ticket.id, ticket.version, "Vi kigger på sagen.")

    ids = [t.id for t in open_ones]

    async def open_with_feed() -> None:
        ticket = await staff_desk.ticket(random.choice(ids))
        assert ticket is not None
        staff_desk.feed(ticket)

    results = {
        label: await timed(
            args.samples, lambda view=view: desk.page(size=50, after=None, view=view)
        )
        for label, view in views.items()
    }
    results["staff search 'medarbejder løn' (50)"] = await timed(
        args.samples, lambda: staff_desk.page(size=50, after=None, view=search)
    )
    results["open a ticket with its feed"] = await timed(args.samples, open_with_feed)
    results["post (load, check, save with outbox)"] = await timed(len(open_ones), post)
    print_figures(results)
    if mongo_url:
        await database.drop()
    database.close()


if __name__ == "__main__":
    asyncio.run(main())
