"""MongoDB repositories of the orders service, the number counters, and the indexes they need."""

from __future__ import annotations

from datetime import date

from portal_kit.counters import COUNTERS_INDEX
from portal_kit.mongo import ASCENDING, Document, IndexSpec
from portal_kit.repository import AggregateRepository
from pymongo.errors import DuplicateKeyError

from portal_orders.domain.order import Order

ORDERS = "orders"
OUTBOX_COLLECTIONS = (ORDERS,)
SORT_KEY = "sequence"

INDEXES = (
    IndexSpec(ORDERS, (("tenant", ASCENDING), ("number", ASCENDING)), unique=True),
    IndexSpec(ORDERS, (("tenant", ASCENDING), (SORT_KEY, ASCENDING), ("_id", ASCENDING))),
    IndexSpec(
        ORDERS,
        (("tenant", ASCENDING), ("customer_organisation_id", ASCENDING), (SORT_KEY, ASCENDING)),
    ),
    IndexSpec(
        ORDERS,
        (("tenant", ASCENDING), ("assignee_organisation_id", ASCENDING), (SORT_KEY, ASCENDING)),
    ),
    COUNTERS_INDEX,
)


class OrderRepository(AggregateRepository[Order]):
    collection = ORDERS
    service = "orders"

    def to_document(self, aggregate: Order) -> Document:
        return {
            SORT_KEY: aggregate.sequence,
            "number": aggregate.number,
            "order_type": aggregate.order_type,
            "status": aggregate.status,
            "priority": aggregate.priority,
            "description": aggregate.description,
            "customer_organisation_id": aggregate.customer_organisation_id,
            "assignee_organisation_id": aggregate.assignee_organisation_id,
            # BSON has no date type; ISO dates sort and compare correctly as strings.
            "order_date": aggregate.order_date.isoformat(),
            "created_at": aggregate.created_at,
        }

    def from_document(self, document: Document) -> Order:
        return Order(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            sequence=document[SORT_KEY],
            number=document["number"],
            order_type=document["order_type"],
            status=document["status"],
            priority=document["priority"],
            description=document["description"],
            customer_organisation_id=document["customer_organisation_id"],
            assignee_organisation_id=document.get("assignee_organisation_id"),
            order_date=date.fromisoformat(document["order_date"]),
            created_at=document["created_at"],
        )

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        return "an order with this number already exists"
