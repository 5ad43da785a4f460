"""Benchmark of the billing service's hot paths (issue 14).

Loads invoices for one tenant (Avonova: 200 customers, a parent with four departments among
them), then prints p50/p99 of: the customer's search by status and invoice-date range (50 rows),
the totals per payer (the customer's and staff's), and an invoice run over a batch of billable
completed orders — through the service layer the GraphQL resolvers call, so without HTTP.

    uv run python services/billing/bench/bench_billing.py
    uv run python services/billing/bench/bench_billing.py --invoices 100000 --orders 10000

With PORTAL_MONGO_URL it uses that MongoDB (a fresh database, dropped afterwards) and defaults to
100,000 invoices and runs over 10,000 orders. Without it, it uses the in-memory stand-in, which
scans in Python: the defaults are then far smaller, and its figures say nothing about MongoDB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from portal_billing.adapters.configuration import shipped_configurations
from portal_billing.adapters.repositories import (
    INDEXES,
    INVOICES,
    BillableOrderDirectory,
    InvoiceRepository,
    OrganisationDirectory,
)
from portal_billing.domain.invoice import Invoice, InvoiceLine, InvoiceRequest, ListStatus, Payer
from portal_billing.service_layer.invoices import InvoiceDesk
from portal_billing.service_layer.ports import BillableOrder, InvoiceFilter, Sort
from portal_kit.benchmark import print_figures, served_by, timed
from portal_kit.counters import Counters
from portal_kit.mongo import Database, connect_database
from portal_kit.principal import Membership, Principal

TENANT = "avonova"
NOW = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
PAYERS = [f"customer-{n}" for n in range(200)]


def make_invoice(sequence: int, rng: random.Random) -> Invoice:
    configuration = shipped_configurations()[TENANT]
    payer = rng.choice(PAYERS)
    lines = tuple(
        InvoiceLine(
            "Helsekontroll",
            Decimal(rng.randrange(1, 5)),
            Decimal(rng.choice(["900", "1500", "3000"])),
            Decimal(rng.choice(["0", "25"])),
        )
        for _ in range(rng.randrange(1, 4))
    )
    request = InvoiceRequest(payer_organisation_id=payer, currency="NOK", lines=lines)
    invoice = Invoice.draft(TENANT, Payer(payer, f"Kunde {payer}"), request, created_at=NOW)
    issued_on = date(2024, 1, 1) + timedelta(days=rng.randrange(700))
    invoice.issue(configuration, sequence, issue_date=issued_on)
    if rng.random() < 0.5:
        invoice.record_payment(
            amount=str(invoice.outstanding if rng.random() < 0.8 else invoice.outstanding / 2),
            paid_on=issued_on,
            reference="",
            now=NOW,
        )
    invoice.take_events()
    return invoice


async def load(database: Database, count: int, seed: int) -> None:
    rng = random.Random(seed)
    repository = InvoiceRepository(database, TENANT)
    raw = database.for_tenant(INVOICES, TENANT)  # bulk insert: a loader, not a repository path
    batch: list[dict[str, Any]] = []
    for sequence in range(1, count + 1):
        invoice = make_invoice(sequence, rng)
        document = repository.to_document(invoice)
        document.update(_id=invoice.id, version=1, outbox=[])
        batch.append(document)
        if len(batch) == 1000:
            await raw.insert_many(batch)
            batch = []
    if batch:
        await raw.insert_many(batch)
    organisations = OrganisationDirectory(database, TENANT)
    for index, payer in enumerate(PAYERS):
        parent = "customer-0" if 1 <= index <= 4 else None
        await organisations.upsert(
            payer,
            {"kind": "customer", "parent_id": parent, "name": f"Kunde {payer}", "active": True},
        )


async def completed_orders(database: Database, count: int, batch: int) -> None:
    orders = BillableOrderDirectory(database, TENANT)
    for n in range(count):
        await orders.completed(
            BillableOrder(
                order_id=f"run{batch}-order-{n}",
                number=str(300000 + batch * count + n),
                order_type="health_check",
                customer_organisation_id=PAYERS[n % len(PAYERS)],
                assignee_organisation_id=None,
                invoice_reference=None,
                invoice_marking="",
                completed_at=NOW - timedelta(days=1),
                state="completed",
            )
        )


async def main() -> None:
    mongo_url = os.environ.get("PORTAL_MONGO_URL")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000 if mongo_url else 3_000)
    parser.add_argument("--orders", type=int, default=10_000 if mongo_url else 500)
    parser.add_argument("--samples", type=int, default=200 if mongo_url else 20)
    parser.add_argument("--runs", type=int, default=5 if mongo_url else 3)
    args = parser.parse_args()

    database = connect_database(mongo_url, f"bench_billing_{uuid.uuid4().hex[:8]}")
    print(f"MongoDB: {served_by(mongo_url)}")
    if mongo_url:
        print(f"MongoDB version: {await database.server_version()}")
    await database.ensure_indexes(INDEXES)
    started = time.perf_counter()
    await load(database, args.invoices, 1)
    print(f"loaded {args.invoices} invoices in {time.perf_counter() - started:.1f} s")

    configuration = shipped_configurations()[TENANT]

    def desk(principal: Principal) -> InvoiceDesk:
        return InvoiceDesk(
            principal,
            configuration,
            InvoiceRepository(database, TENANT),
            OrganisationDirectory(database, TENANT),
            BillableOrderDirectory(database, TENANT),
            Counters(database, TENANT),
            clock=lambda: NOW,
        )

    customer = desk(
        Principal(
            user="testweb",
            tenant=TENANT,
            memberships=(Membership(organisation="customer-0", roles=("billing",)),),
        )
    )
    staff = desk(Principal(user="kari", tenant=TENANT, staff=True))
    wanted = InvoiceFilter(
        statuses=(ListStatus.OVERDUE, ListStatus.UNPAID),
        issued_from=date(2024, 6, 1),
        issued_to=date(2025, 6, 30),
    )
    by_due = Sort("DUE_DATE", descending=True)
    page = await customer.search(wanted, by_due, size=50, after=None)
    print(f"the customer's search: {len(page.items)} rows of {page.total}")

    run_times: list[float] = []
    billed = 0
    for run in range(args.runs):
        await completed_orders(database, args.orders, run)
        begun = time.perf_counter()
        made = await staff.run_invoices(up_to=NOW.date())
        run_times.append((time.perf_counter() - begun) * 1000)
        billed += sum(len(i.lines) for i in made)
    run_times.sort()

    results = {
        "customer search: status + dates, 50 rows": await timed(
            args.samples, lambda: customer.search(wanted, by_due, size=50, after=None)
        ),
        "totals per payer (the customer's)": await timed(
            args.samples, lambda: customer.totals(InvoiceFilter())
        ),
        "totals per payer (staff, all payers)": await timed(
            max(1, args.samples // 10), lambda: staff.totals(InvoiceFilter())
        ),
        f"invoice run over {args.orders} orders": (
            run_times[len(run_times) // 2],
            run_times[min(len(run_times) - 1, int(len(run_times) * 0.99))],
        ),
    }
    print(f"billed {billed} order lines in {args.runs} runs")
    print_figures(results)
    if mongo_url:
        await database.drop()
    database.close()


if __name__ == "__main__":
    asyncio.run(main())
