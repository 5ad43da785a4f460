"""MongoDB repositories of the orders service, and the indexes they need (tenant first)."""

from __future__ import annotations

from typing import Any

from portal_kit.counters import COUNTERS_INDEX
from portal_kit.gridfs import gridfs_indexes
from portal_kit.mongo import ASCENDING, DESCENDING, Document, IndexSpec
from portal_kit.repository import AggregateRepository
from pymongo.errors import DuplicateKeyError

from portal_orders.adapters.codec import decode, encode
from portal_orders.domain.order import Order
from portal_orders.domain.record import Entry

ORDERS = "orders"
ORGANISATIONS = "organisations"
OUTBOX_COLLECTIONS = (ORDERS,)
ACTIVITY = "activity"
SEARCH = "search"
SORT_KEY = "sequence"

_T = ("tenant", ASCENDING)
INDEXES = (
    IndexSpec(ORDERS, (_T, ("number", ASCENDING)), unique=True),
    IndexSpec(ORDERS, (_T, (SORT_KEY, ASCENDING), ("_id", ASCENDING))),
    # The contractor's lists: their organisation's active or recently finished orders.
    IndexSpec(
        ORDERS,
        (
            _T,
            ("assignee_organisation_id", ASCENDING),
            ("status_category", ASCENDING),
            (SORT_KEY, DESCENDING),
        ),
    ),
    IndexSpec(ORDERS, (_T, ("assignee_organisation_id", ASCENDING), ("closed_at", DESCENDING))),
    IndexSpec(ORDERS, (_T, ("customer_organisation_id", ASCENDING), (SORT_KEY, DESCENDING))),
    # The dashboard matrix and status filters.
    IndexSpec(ORDERS, (_T, ("status", ASCENDING), ("order_type", ASCENDING))),
    IndexSpec(ORDERS, (_T, ("order_date", ASCENDING), ("_id", ASCENDING))),
    IndexSpec(ORDERS, (_T, ("bundle", ASCENDING), (SORT_KEY, ASCENDING))),
    # The periodic SLA check: active orders by due date.
    IndexSpec(ORDERS, (_T, ("status_category", ASCENDING), ("expected_delivery_date", ASCENDING))),
    IndexSpec(ORDERS, (_T, ("status_category", ASCENDING), ("expected_contact_date", ASCENDING))),
    IndexSpec(ORDERS, (_T, ("activity.attachments.file_id", ASCENDING))),
    IndexSpec(ORGANISATIONS, (_T, ("parent_id", ASCENDING))),
    COUNTERS_INDEX,
    *gridfs_indexes(),
)

# Columns of the order list that can be sorted, with their stored (never null) sort values.
SORT_COLUMNS: dict[str, str] = {
    "NUMBER": SORT_KEY,
    "STATUS": "status",
    "PRIORITY": "priority_rank",
    "ORDER_TYPE": "order_type",
    "ORDER_DATE": "order_date",
    "EXPECTED_CONTACT_DATE": "sort.expected_contact_date",
    "EXPECTED_DELIVERY_DATE": "sort.expected_delivery_date",
    "DESCRIPTION": "sort.description",
    "ASSIGNEE": "sort.assignee",
    "ADDRESS": "sort.address",
}
INT_SORT_FIELDS = frozenset({SORT_KEY, "priority_rank"})

_PLAIN = (
    "order_type",
    "workflow",
    "status",
    "status_category",
    "priority",
    "priority_rank",
    "description",
    "customer_organisation_id",
    "assignee_organisation_id",
    "assignee_contact",
    "operator_contact",
    "resident",
    "object",
    "admin_area",
    "search_areas",
    "avser",
    "customer_request",
    "order_date",
    "expected_contact_date",
    "expected_delivery_date",
    "planned_date",
    "agreed_appointment",
    "fault_type",
    "root_cause",
    "action_taken",
    "invoice_reference",
    "bundle",
    "bundle_number",
    "created_by",
    "created_at",
    "updated_at",
    "closed_at",
    "sla_breaches",
    "bookings",
)


class OrderRepository(AggregateRepository[Order]):
    """Orders with an append-only activity log.

    `save` never rewrites the log: through the kit's `appended` hook, entries the aggregate
    gained since it was loaded are pushed (`$push`) in the same single-document update as the
    change, the version check and the outbox events, so no code path can edit or remove an entry.
    """

    collection = ORDERS
    service = "orders"

    def to_document(self, aggregate: Order) -> Document:
        document: Document = {SORT_KEY: aggregate.sequence, "number": aggregate.number}
        for name in _PLAIN:
            document[name] = encode(getattr(aggregate, name))
        address = aggregate.object.address.street if aggregate.object else ""
        document["sort"] = {
            "expected_contact_date": document["expected_contact_date"] or "",
            "expected_delivery_date": document["expected_delivery_date"] or "",
            "description": aggregate.description[:60].lower(),
            "assignee": aggregate.assignee_organisation_id or "",
            "address": address.lower(),
        }
        document[SEARCH] = aggregate.search_text()
        document[ACTIVITY] = [encode(e) for e in aggregate.activity]
        return document

    def from_document(self, document: Document) -> Order:
        values: dict[str, Any] = {
            name: decode(_ORDER_HINTS[name], document.get(name)) for name in _PLAIN
        }
        order = Order(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            sequence=document[SORT_KEY],
            number=document["number"],
            activity=decode(list[Entry], document.get(ACTIVITY, [])),
            **values,
        )
        order.loaded_entries = len(order.activity)
        return order

    def appended(self, aggregate: Order) -> dict[str, list[Any]]:
        # The log only ever grows: the entries gained since loading are `$push`ed.
        return {ACTIVITY: [encode(e) for e in aggregate.activity[aggregate.loaded_entries :]]}

    def saved(self, aggregate: Order) -> None:
        aggregate.loaded_entries = len(aggregate.activity)

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        return "an order with this number already exists"

    async def documents(self, filter_: dict[str, Any], **options: Any) -> list[Document]:
        return await self._documents.find(filter_, **options)

    async def aggregate_documents(self, pipeline: list[dict[str, Any]]) -> list[Document]:
        return await self._documents.aggregate(pipeline)


def _order_hints() -> dict[str, Any]:
    import typing

    return typing.get_type_hints(Order)


_ORDER_HINTS = _order_hints()


class OrganisationDirectory:
    """The local read model of the people service's organisations: id, kind, parent, active.

    Fed by people's organisation events; used to let a parent organisation see its departments'
    orders and to check what kind of organisation an id names.
    """

    def __init__(self, database: Any, tenant: str) -> None:
        self._documents = database.for_tenant(ORGANISATIONS, tenant)

    async def upsert(self, organisation_id: str, changes: dict[str, Any]) -> None:
        await self._documents.find_one_and_update(
            {"_id": organisation_id}, {"$set": changes}, upsert=True
        )

    async def get(self, organisation_id: str) -> Document | None:
        found: Document | None = await self._documents.find_one({"_id": organisation_id})
        return found

    async def with_descendants(self, organisation_ids: list[str]) -> list[str]:
        """The organisations and every department below them (breadth first, cycle-safe)."""
        seen = list(dict.fromkeys(organisation_ids))
        frontier = list(seen)
        while frontier:
            children = await self._documents.find(
                {"parent_id": {"$in": frontier}}, projection={"_id": 1}
            )
            frontier = [c["_id"] for c in children if c["_id"] not in seen]
            seen += frontier
        return seen
