"""The billing service's ports in memory, on the kit's fakes. Tests import it as `.fakes`."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal

from portal_billing.domain.incoming import IncomingInvoice
from portal_billing.domain.invoice import Invoice, InvoiceStatus
from portal_billing.domain.money import to_minor
from portal_billing.service_layer.access import InvoiceSight
from portal_billing.service_layer.ports import (
    BillableOrder,
    InvoiceFilter,
    KnownOrganisation,
    PayerTotals,
    Sort,
    sort_keys,
)
from portal_kit.repository import Keyset, Page
from portal_kit.testing.fakes import InMemoryOrganisationWrites, InMemorySighted


class InMemoryInvoices(InMemorySighted[Invoice]):
    """The `Invoices` port of one tenant: `InvoiceSight.sees` and `InvoiceFilter.matches` in
    place of the queries."""

    async def search(
        self,
        sight: InvoiceSight,
        wanted: InvoiceFilter,
        sort: Sort,
        after: Keyset | None,
        size: int,
        *,
        today: date,
    ) -> Page[Invoice]:
        found = self.matching(lambda i: sight.sees(i) and wanted.matches(i, today))
        ordered = sorted(
            found,
            key=lambda i: (sort_keys(i, to_minor)[sort.column], i.id),
            reverse=sort.descending,
        )
        total = len(ordered)
        if after is not None:
            position = (after.value, after.last_id)

            def beyond(invoice: Invoice) -> bool:
                key = (sort_keys(invoice, to_minor)[sort.column], invoice.id)
                return key < position if sort.descending else key > position

            ordered = [i for i in ordered if beyond(i)]
        return Page(ordered[:size], has_next=len(ordered) > size, total=total)

    async def totals(
        self, sight: InvoiceSight, wanted: InvoiceFilter, *, today: date
    ) -> list[PayerTotals]:
        found: dict[tuple[str, str], PayerTotals] = {}
        for invoice in self.matching(lambda i: sight.sees(i) and wanted.matches(i, today)):
            if invoice.status is not InvoiceStatus.ISSUED or invoice.outstanding <= 0:
                continue
            key = (invoice.payer_organisation_id, invoice.currency)
            late = invoice.is_overdue(today)
            before = found.get(
                key,
                PayerTotals(key[0], invoice.payer.name, key[1], Decimal(0), Decimal(0), 0, 0),
            )
            found[key] = dataclasses.replace(
                before,
                outstanding=before.outstanding + invoice.outstanding,
                overdue=before.overdue + (invoice.outstanding if late else 0),
                open_invoices=before.open_invoices + 1,
                overdue_invoices=before.overdue_invoices + int(late),
            )
        return sorted(
            found.values(), key=lambda t: (t.payer_name.casefold(), t.payer_organisation_id)
        )

    async def overdue_unannounced(self, today: date, *, limit: int) -> list[Invoice]:
        late = self.matching(lambda i: i.is_overdue(today) and not i.overdue_announced)
        return sorted(late, key=lambda i: (i.due_date, i.id))[:limit]


class InMemoryIncoming(InMemorySighted[IncomingInvoice]):
    sort_key = "registered_at"

    async def add(self, aggregate: IncomingInvoice) -> None:
        for other in self.stored.values():
            if (other.contractor_organisation_id, other.invoice_number) == (
                aggregate.contractor_organisation_id,
                aggregate.invoice_number,
            ):
                from portal_kit.domain import Conflict

                raise Conflict("taken", code="DUPLICATE")
        await super().add(aggregate)


class InMemoryOrganisations(InMemoryOrganisationWrites):
    def add(
        self,
        organisation_id: str,
        name: str,
        *,
        kind: str = "customer",
        parent_id: str | None = None,
        organisation_number: str | None = None,
    ) -> None:
        self.documents[organisation_id] = {
            "kind": kind,
            "parent_id": parent_id,
            "name": name,
            "organisation_number": organisation_number,
            "active": True,
        }

    async def known(self, organisation_id: str) -> KnownOrganisation | None:
        found = self.documents.get(organisation_id)
        if found is None:
            return None
        return KnownOrganisation(
            id=organisation_id,
            kind=found.get("kind"),
            parent_id=found.get("parent_id"),
            name=found.get("name") or "",
            organisation_number=found.get("organisation_number"),
            active=bool(found.get("active", True)),
        )

    async def with_descendants(self, organisation_ids: list[str]) -> list[str]:
        seen = list(dict.fromkeys(organisation_ids))
        frontier = list(seen)
        while frontier:
            frontier = [
                i
                for i, d in self.documents.items()
                if d.get("parent_id") in frontier and i not in seen
            ]
            seen += frontier
        return seen


class FakeFeed:
    """Billing's reading of orders' events: caught up, or behind until `arrives` is done (the
    event arrives while the use case waits)."""

    def __init__(self) -> None:
        self.current = True
        self.waited: list[float] = []
        self.arrives: Callable[[], Awaitable[None]] | None = None

    async def caught_up_within(self, seconds: float, *, settle: float = 0.0) -> bool:
        self.waited.append(seconds)
        if self.arrives is not None:
            await self.arrives()
            self.current = True
        return self.current


class InMemoryBillable:
    def __init__(self) -> None:
        self.orders: dict[str, BillableOrder] = {}
        self.pending: dict[str, datetime] = {}
        self.versions: dict[str, str] = {}
        self.state_versions: dict[str, str] = {}

    async def completed(self, order: BillableOrder, *, version: str) -> bool:
        if self.versions.get(order.order_id, "") >= version:
            return False
        self.versions[order.order_id] = version
        before = self.orders.get(order.order_id)
        if before is None:
            self.orders[order.order_id] = order
        else:
            self.orders[order.order_id] = dataclasses.replace(
                order,
                state=before.state,
                invoice_id=before.invoice_id,
                incoming_invoice_id=before.incoming_invoice_id,
            )
        return True

    async def moved(self, order_id: str, state: str, *, version: str) -> bool:
        before = self.orders.get(order_id)
        if self.state_versions.get(order_id, "") >= version:
            return False
        self.state_versions[order_id] = version
        if before is not None:
            self.orders[order_id] = dataclasses.replace(before, state=state)
        return True

    async def by_number(self, number: str) -> BillableOrder | None:
        return next((copy.copy(o) for o in self.orders.values() if o.number == number), None)

    async def unbilled(
        self, order_types: tuple[str, ...], payer: str | None, up_to: datetime, *, limit: int
    ) -> list[BillableOrder]:
        found = [
            o
            for o in self.orders.values()
            if o.state == "completed"
            and o.invoice_id is None
            and o.order_type in order_types
            and o.completed_at < up_to
            and (payer is None or o.customer_organisation_id == payer)
        ]
        return sorted(found, key=lambda o: (o.completed_at, o.order_id))[:limit]

    async def claim_for_invoice(self, order_id: str, invoice_id: str, at: datetime) -> bool:
        order = self.orders.get(order_id)
        if order is None or order.invoice_id is not None or order.state != "completed":
            return False
        self.orders[order_id] = dataclasses.replace(order, invoice_id=invoice_id)
        self.pending[order_id] = at
        return True

    async def confirm_invoice(self, order_ids: list[str], invoice_id: str) -> None:
        for order_id in order_ids:
            if self.orders[order_id].invoice_id == invoice_id:
                self.pending.pop(order_id, None)

    async def pending_claims(self, before: datetime, *, limit: int) -> list[tuple[str, str]]:
        return [
            (order_id, str(self.orders[order_id].invoice_id))
            for order_id, at in self.pending.items()
            if at < before
        ][:limit]

    async def release_invoice(self, order_ids: list[str], invoice_id: str) -> None:
        for order_id in order_ids:
            order = self.orders[order_id]
            if order.invoice_id == invoice_id:
                self.orders[order_id] = dataclasses.replace(order, invoice_id=None)
                self.pending.pop(order_id, None)

    async def claim_for_incoming(self, order_id: str, incoming_id: str) -> bool:
        order = self.orders.get(order_id)
        if order is None or order.incoming_invoice_id is not None or order.state != "completed":
            return False
        self.orders[order_id] = dataclasses.replace(order, incoming_invoice_id=incoming_id)
        return True

    async def release_incoming(self, order_id: str, incoming_id: str) -> None:
        order = self.orders[order_id]
        if order.incoming_invoice_id == incoming_id:
            self.orders[order_id] = dataclasses.replace(order, incoming_invoice_id=None)
