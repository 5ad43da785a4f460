"""MongoDB repositories of the billing service, the number counters, and the indexes they need:
the only place the billing service writes MongoDB queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from portal_kit.counters import COUNTERS_INDEX
from portal_kit.mongo import ASCENDING, Document, IndexSpec
from portal_kit.repository import NOTHING, SightedRepository
from pymongo.errors import DuplicateKeyError

from portal_billing.domain.invoice import Invoice, InvoiceLine, InvoiceStatus
from portal_billing.service_layer.access import InvoiceSight

INVOICES = "invoices"
OUTBOX_COLLECTIONS = (INVOICES,)
SORT_KEY = "sequence"

INDEXES = (
    IndexSpec(INVOICES, (("tenant", ASCENDING), ("number", ASCENDING)), unique=True),
    IndexSpec(INVOICES, (("tenant", ASCENDING), (SORT_KEY, ASCENDING), ("_id", ASCENDING))),
    IndexSpec(
        INVOICES,
        (("tenant", ASCENDING), ("payer_organisation_id", ASCENDING), (SORT_KEY, ASCENDING)),
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


class InvoiceRepository(SightedRepository[Invoice, InvoiceSight]):
    """The invoices of one tenant (the `Invoices` port)."""

    collection = INVOICES
    service = "billing"
    sort_key = SORT_KEY

    def in_sight(self, sight: InvoiceSight) -> dict[str, Any]:
        """The invoices `sight` takes in (`InvoiceSight.sees`), as a filter."""
        if sight.everything:
            return {}
        if not sight.payers:
            return NOTHING
        return {"payer_organisation_id": {"$in": list(sight.payers)}}

    def to_document(self, aggregate: Invoice) -> Document:
        return {
            SORT_KEY: aggregate.sequence,
            "number": aggregate.number,
            "payer_organisation_id": aggregate.payer_organisation_id,
            "status": aggregate.status.value,
            "issue_date": _date(aggregate.issue_date),
            "due_date": _date(aggregate.due_date),
            "currency": aggregate.currency,
            "lines": [
                {
                    "description": line.description,
                    "quantity": _decimal(line.quantity),
                    "unit_price": _decimal(line.unit_price),
                }
                for line in aggregate.lines
            ],
            "total": _decimal(aggregate.total),
            "outstanding": _decimal(aggregate.outstanding),
            "created_at": aggregate.created_at,
        }

    def from_document(self, document: Document) -> Invoice:
        return Invoice(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            sequence=document[SORT_KEY],
            number=document["number"],
            payer_organisation_id=document["payer_organisation_id"],
            status=InvoiceStatus(document["status"]),
            issue_date=_parse_date(document.get("issue_date")),
            due_date=_parse_date(document.get("due_date")),
            currency=document["currency"],
            lines=tuple(
                InvoiceLine(
                    description=line["description"],
                    quantity=Decimal(line["quantity"]),
                    unit_price=Decimal(line["unit_price"]),
                )
                for line in document.get("lines", [])
            ),
            total=Decimal(document["total"]),
            outstanding=Decimal(document["outstanding"]),
            created_at=document["created_at"],
        )

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        return "an invoice with this number already exists"
