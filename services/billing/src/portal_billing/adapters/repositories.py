"""MongoDB repositories of the billing service, its read models of other services' events, and
the indexes they need: the only place the billing service writes MongoDB queries."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal_kit.counters import COUNTERS_INDEX
from portal_kit.messages import Messages
from portal_kit.mongo import ASCENDING, Database, Document, IndexSpec
from portal_kit.readmodels import OrganisationTree
from portal_kit.repository import NOTHING, Keyset, Page, SightedRepository, after_keyset
from portal_kit.versioned import VersionedDocuments
from pymongo.errors import DuplicateKeyError

from portal_billing.domain.incoming import IncomingInvoice
from portal_billing.domain.invoice import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    ListStatus,
    Payer,
    Payment,
)
from portal_billing.domain.money import places_of, to_minor
from portal_billing.service_layer.access import IncomingSight, InvoiceSight
from portal_billing.service_layer.ports import (
    SORT_COLUMNS,
    BillableOrder,
    InvoiceFilter,
    KnownOrganisation,
    PayerTotals,
    Sort,
    sort_keys,
)

INVOICES = "invoices"
INCOMING = "incoming_invoices"
ORGANISATIONS = "organisations"
BILLABLE = "billable_orders"
OUTBOX_COLLECTIONS = (INVOICES, INCOMING)
SORT_KEY = "keys.NUMBER"

_ = Messages("portal_billing")

INDEXES = (
    IndexSpec(
        INVOICES,
        (("tenant", ASCENDING), ("number", ASCENDING)),
        unique=True,
        partial={"number": {"$type": "string"}},
    ),
    *(
        IndexSpec(INVOICES, (("tenant", ASCENDING), (f"keys.{column}", ASCENDING)))
        for column in SORT_COLUMNS
    ),
    IndexSpec(
        INVOICES,
        (("tenant", ASCENDING), ("payer_organisation_id", ASCENDING), ("keys.NUMBER", ASCENDING)),
    ),
    IndexSpec(INVOICES, (("tenant", ASCENDING), ("status", ASCENDING), ("due_date", ASCENDING))),
    IndexSpec(
        INCOMING,
        (
            ("tenant", ASCENDING),
            ("contractor_organisation_id", ASCENDING),
            ("invoice_number", ASCENDING),
        ),
        unique=True,
    ),
    IndexSpec(INCOMING, (("tenant", ASCENDING), ("registered_key", ASCENDING))),
    IndexSpec(ORGANISATIONS, (("tenant", ASCENDING), ("parent_id", ASCENDING))),
    IndexSpec(BILLABLE, (("tenant", ASCENDING), ("number", ASCENDING))),
    IndexSpec(
        BILLABLE,
        (("tenant", ASCENDING), ("claim_pending", ASCENDING), ("claimed_at", ASCENDING)),
    ),
    IndexSpec(
        BILLABLE,
        (
            ("tenant", ASCENDING),
            ("state", ASCENDING),
            ("invoice_id", ASCENDING),
            ("completed_at", ASCENDING),
        ),
    ),
    COUNTERS_INDEX,
)


def _decimal(value: Decimal) -> str:
    """Money and quantities are stored as exact decimal strings, never floats."""
    return format(value, "f")


def _date(value: date | None) -> str | None:
    # BSON has no date type; ISO dates sort and compare correctly as strings.
    return value.isoformat() if value is not None else None


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def status_filter(status: ListStatus, today: date) -> dict[str, Any]:
    """`Invoice.list_status` as a filter: issued splits by the due date."""
    day = today.isoformat()
    if status is ListStatus.OVERDUE:
        return {"status": "issued", "outstanding_minor": {"$gt": 0}, "due_date": {"$lt": day}}
    if status is ListStatus.UNPAID:
        return {"status": "issued", "due_date": {"$gte": day}}
    return {"status": status.value}


def _all(*parts: dict[str, Any]) -> dict[str, Any]:
    kept = [p for p in parts if p]
    if not kept:
        return {}
    return kept[0] if len(kept) == 1 else {"$and": kept}


class InvoiceRepository(SightedRepository[Invoice, InvoiceSight]):
    """The invoices of one tenant (the `Invoices` port)."""

    collection = INVOICES
    service = "billing"
    sort_key = SORT_KEY

    def in_sight(self, sight: InvoiceSight) -> dict[str, Any]:
        """The invoices `sight` takes in (`InvoiceSight.sees`), as a filter."""
        drafts: dict[str, Any] = {} if sight.drafts else {"status": {"$ne": "draft"}}
        if sight.everything:
            return drafts
        if not sight.payers:
            return NOTHING
        return _all({"payer_organisation_id": {"$in": list(sight.payers)}}, drafts)

    def wanted(self, sight: InvoiceSight, wanted: InvoiceFilter, today: date) -> dict[str, Any]:
        """`InvoiceFilter.matches` as a filter, inside the sight."""
        parts = [self.in_sight(sight)]
        if wanted.number:
            parts.append({"number": {"$regex": "^" + re.escape(wanted.number)}})
        dates: dict[str, Any] = {}
        if wanted.issued_from:
            dates["$gte"] = wanted.issued_from.isoformat()
        if wanted.issued_to:
            dates["$lte"] = wanted.issued_to.isoformat()
        if dates:
            parts.append({"issue_date": {"$type": "string", **dates}})
        if wanted.statuses:
            parts.append({"$or": [status_filter(s, today) for s in wanted.statuses]})
        if wanted.payer_organisation_ids:
            parts.append({"payer_organisation_id": {"$in": list(wanted.payer_organisation_ids)}})
        return _all(*parts)

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
        visible = self.wanted(sight, wanted, today)
        path = f"keys.{sort.column}"
        direction = -1 if sort.descending else 1
        total = await self.count(visible)
        found = await self.find(
            _all(visible, after_keyset(path, after, descending=sort.descending)),
            sort=[(path, direction), ("_id", direction)],
            limit=size + 1,
        )
        return Page(found[:size], has_next=len(found) > size, total=total)

    async def totals(
        self, sight: InvoiceSight, wanted: InvoiceFilter, *, today: date
    ) -> list[PayerTotals]:
        visible = self.wanted(sight, wanted, today)
        group = {
            "_id": {"payer": "$payer_organisation_id", "currency": "$currency"},
            "name": {"$first": "$payer.name"},
            "amount": {"$sum": "$outstanding_minor"},
            "count": {"$sum": 1},
        }
        open_ = _all(visible, {"status": "issued", "outstanding_minor": {"$gt": 0}})
        late = _all(open_, {"due_date": {"$lt": today.isoformat()}})
        owed = await self._documents.aggregate([{"$match": open_}, {"$group": group}])
        overdue = {
            (d["_id"]["payer"], d["_id"]["currency"]): d
            for d in await self._documents.aggregate([{"$match": late}, {"$group": group}])
        }
        totals = []
        for entry in owed:
            key = (entry["_id"]["payer"], entry["_id"]["currency"])
            currency = key[1]
            late_entry = overdue.get(key, {"amount": 0, "count": 0})
            totals.append(
                PayerTotals(
                    payer_organisation_id=key[0],
                    payer_name=entry.get("name") or "",
                    currency=currency,
                    outstanding=_from_minor(entry["amount"], currency),
                    overdue=_from_minor(late_entry["amount"], currency),
                    open_invoices=int(entry["count"]),
                    overdue_invoices=int(late_entry["count"]),
                )
            )
        return sorted(totals, key=lambda t: (t.payer_name.casefold(), t.payer_organisation_id))

    async def overdue_unannounced(self, today: date, *, limit: int) -> list[Invoice]:
        return await self.find(
            _all(status_filter(ListStatus.OVERDUE, today), {"overdue_announced": False}),
            sort=[("due_date", 1), ("_id", 1)],
            limit=limit,
        )

    def to_document(self, aggregate: Invoice) -> Document:
        currency = aggregate.currency
        return {
            "keys": sort_keys(aggregate, to_minor),
            "sequence": aggregate.sequence,
            "number": aggregate.number,
            "payer_organisation_id": aggregate.payer.organisation_id,
            "payer": {
                "organisation_id": aggregate.payer.organisation_id,
                "name": aggregate.payer.name,
                "organisation_number": aggregate.payer.organisation_number,
            },
            "status": aggregate.status.value,
            "issue_date": _date(aggregate.issue_date),
            "due_date": _date(aggregate.due_date),
            "currency": currency,
            "invoice_marking": aggregate.invoice_marking,
            "language": aggregate.language,
            "payment_reference": aggregate.payment_reference,
            "lines": [
                {
                    "description": line.description,
                    "quantity": _decimal(line.quantity),
                    "unit_price": _decimal(line.unit_price),
                    "vat_rate": _decimal(line.vat_rate),
                    "order_id": line.order_id,
                    "order_number": line.order_number,
                }
                for line in aggregate.lines
            ],
            "payments": [
                {
                    "amount": _decimal(p.amount),
                    "paid_on": p.paid_on.isoformat(),
                    "reference": p.reference,
                    "recorded_at": p.recorded_at,
                }
                for p in aggregate.payments
            ],
            "credit_notes": [
                {
                    "number": c.number,
                    "amount": _decimal(c.amount),
                    "issued_on": c.issued_on.isoformat(),
                    "reason": c.reason,
                    "created_at": c.created_at,
                }
                for c in aggregate.credit_notes
            ],
            "overdue_announced": aggregate.overdue_announced,
            "total": _decimal(aggregate.total),
            "outstanding": _decimal(aggregate.outstanding),
            "total_minor": to_minor(aggregate.total, currency),
            "outstanding_minor": to_minor(aggregate.outstanding, currency),
            "created_at": aggregate.created_at,
        }

    def from_document(self, document: Document) -> Invoice:
        payer = document["payer"]
        return Invoice(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            sequence=document.get("sequence"),
            number=document.get("number"),
            payer=Payer(payer["organisation_id"], payer["name"], payer.get("organisation_number")),
            status=InvoiceStatus(document["status"]),
            issue_date=_parse_date(document.get("issue_date")),
            due_date=_parse_date(document.get("due_date")),
            currency=document["currency"],
            invoice_marking=document.get("invoice_marking", ""),
            language=document.get("language", ""),
            payment_reference=document.get("payment_reference"),
            lines=tuple(
                InvoiceLine(
                    description=line["description"],
                    quantity=Decimal(line["quantity"]),
                    unit_price=Decimal(line["unit_price"]),
                    vat_rate=Decimal(line.get("vat_rate", "0")),
                    order_id=line.get("order_id"),
                    order_number=line.get("order_number"),
                )
                for line in document.get("lines", [])
            ),
            payments=tuple(
                Payment(
                    amount=Decimal(p["amount"]),
                    paid_on=date.fromisoformat(p["paid_on"]),
                    reference=p["reference"],
                    recorded_at=p["recorded_at"],
                )
                for p in document.get("payments", [])
            ),
            credit_notes=tuple(
                CreditNote(
                    number=c["number"],
                    amount=Decimal(c["amount"]),
                    issued_on=date.fromisoformat(c["issued_on"]),
                    reason=c["reason"],
                    created_at=c["created_at"],
                )
                for c in document.get("credit_notes", [])
            ),
            overdue_announced=bool(document.get("overdue_announced", False)),
            created_at=document["created_at"],
        )

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        return _("an invoice with this number already exists")


def _from_minor(value: int, currency: str) -> Decimal:
    return Decimal(int(value)).scaleb(-places_of(currency))


class IncomingInvoiceRepository(SightedRepository[IncomingInvoice, IncomingSight]):
    """Contractors' invoices of one tenant (the `IncomingInvoices` port)."""

    collection = INCOMING
    service = "billing"
    sort_key = "registered_key"

    def in_sight(self, sight: IncomingSight) -> dict[str, Any]:
        if sight.everything:
            return {}
        if not sight.contractors:
            return NOTHING
        return {"contractor_organisation_id": {"$in": list(sight.contractors)}}

    def to_document(self, aggregate: IncomingInvoice) -> Document:
        return {
            "registered_key": aggregate.registered_at.isoformat(),
            "contractor_organisation_id": aggregate.contractor_organisation_id,
            "invoice_number": aggregate.invoice_number,
            "amount": _decimal(aggregate.amount),
            "currency": aggregate.currency,
            "invoice_date": aggregate.invoice_date.isoformat(),
            "reference": aggregate.reference,
            "order_id": aggregate.order_id,
            "order_number": aggregate.order_number,
            "registered_by": aggregate.registered_by,
            "registered_at": aggregate.registered_at,
        }

    def from_document(self, document: Document) -> IncomingInvoice:
        return IncomingInvoice(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            contractor_organisation_id=document["contractor_organisation_id"],
            invoice_number=document["invoice_number"],
            amount=Decimal(document["amount"]),
            currency=document["currency"],
            invoice_date=date.fromisoformat(document["invoice_date"]),
            reference=document["reference"],
            order_id=document["order_id"],
            order_number=document["order_number"],
            registered_by=document["registered_by"],
            registered_at=document["registered_at"],
        )

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        return _("this invoice number of yours is registered already")


class OrganisationDirectory(OrganisationTree):
    """Billing's read model of people's organisations (the `Organisations` port)."""

    async def known(self, organisation_id: str) -> KnownOrganisation | None:
        found = await self._documents.find_one({"_id": organisation_id})
        if found is None:
            return None
        return KnownOrganisation(
            id=str(found["_id"]),
            kind=found.get("kind"),
            parent_id=found.get("parent_id"),
            name=str(found.get("name") or ""),
            organisation_number=found.get("organisation_number"),
            active=bool(found.get("active", True)),
        )


STATE_REFLECTS = "state_reflects"


class BillableOrderDirectory:
    """Billing's read model of orders' completed orders (the `BillableOrders` port)."""

    def __init__(self, database: Database, tenant: str) -> None:
        self._documents = database.for_tenant(BILLABLE, tenant)
        self._versioned = VersionedDocuments(self._documents)

    async def completed(self, order: BillableOrder, *, version: str) -> bool:
        # The completion's details and the state have histories of their own (a move may be
        # handled before the completion it follows), so each keeps its own version.
        return await self._versioned.apply(
            {"_id": order.order_id},
            version,
            {
                "$set": {
                    "number": order.number,
                    "order_type": order.order_type,
                    "customer_organisation_id": order.customer_organisation_id,
                    "assignee_organisation_id": order.assignee_organisation_id,
                    "invoice_reference": order.invoice_reference,
                    "invoice_marking": order.invoice_marking,
                    "completed_at": order.completed_at,
                },
                "$setOnInsert": {"state": "completed", "invoice_id": None, "incoming_id": None},
            },
        )

    async def moved(self, order_id: str, state: str, *, version: str) -> bool:
        return await self._versioned.apply(
            {"_id": order_id}, version, {"$set": {"state": state}}, field=STATE_REFLECTS
        )

    def _order(self, document: Document) -> BillableOrder:
        return BillableOrder(
            order_id=str(document["_id"]),
            number=str(document.get("number") or ""),
            order_type=str(document.get("order_type") or ""),
            customer_organisation_id=str(document.get("customer_organisation_id") or ""),
            assignee_organisation_id=document.get("assignee_organisation_id"),
            invoice_reference=document.get("invoice_reference"),
            invoice_marking=str(document.get("invoice_marking") or ""),
            completed_at=document.get("completed_at") or datetime.min,
            state=str(document.get("state") or "completed"),
            invoice_id=document.get("invoice_id"),
            incoming_invoice_id=document.get("incoming_id"),
        )

    async def by_number(self, number: str) -> BillableOrder | None:
        found = await self._documents.find({"number": number}, limit=1)
        return self._order(found[0]) if found else None

    async def unbilled(
        self, order_types: tuple[str, ...], payer: str | None, up_to: datetime, *, limit: int
    ) -> list[BillableOrder]:
        query: dict[str, Any] = {
            "state": "completed",
            "invoice_id": None,
            "order_type": {"$in": list(order_types)},
            "completed_at": {"$lt": up_to},
        }
        if payer is not None:
            query["customer_organisation_id"] = payer
        found = await self._documents.find(
            query, sort=[("completed_at", 1), ("_id", 1)], limit=limit
        )
        return [self._order(d) for d in found]

    async def claim_for_invoice(self, order_id: str, invoice_id: str, at: datetime) -> bool:
        claimed = await self._documents.update_one(
            {"_id": order_id, "invoice_id": None, "state": "completed"},
            {"$set": {"invoice_id": invoice_id, "claim_pending": True, "claimed_at": at}},
        )
        return claimed == 1

    async def confirm_invoice(self, order_ids: list[str], invoice_id: str) -> None:
        for order_id in order_ids:
            await self._documents.update_one(
                {"_id": order_id, "invoice_id": invoice_id}, {"$set": {"claim_pending": False}}
            )

    async def pending_claims(self, before: datetime, *, limit: int) -> list[tuple[str, str]]:
        found = await self._documents.find(
            {"claim_pending": True, "claimed_at": {"$lt": before}},
            projection={"_id": 1, "invoice_id": 1},
            limit=limit,
        )
        return [(str(d["_id"]), str(d["invoice_id"])) for d in found]

    async def release_invoice(self, order_ids: list[str], invoice_id: str) -> None:
        for order_id in order_ids:
            await self._documents.update_one(
                {"_id": order_id, "invoice_id": invoice_id},
                {"$set": {"invoice_id": None, "claim_pending": False}},
            )

    async def claim_for_incoming(self, order_id: str, incoming_id: str) -> bool:
        claimed = await self._documents.update_one(
            {"_id": order_id, "incoming_id": None, "state": "completed"},
            {"$set": {"incoming_id": incoming_id}},
        )
        return claimed == 1

    async def release_incoming(self, order_id: str, incoming_id: str) -> None:
        await self._documents.update_one(
            {"_id": order_id, "incoming_id": incoming_id}, {"$set": {"incoming_id": None}}
        )
