"""MongoDB repositories of the orders service, and the indexes they need (tenant first).

The only place the orders service writes filter documents: the service layer says what it wants
in domain terms (a `Sight`, an `OrderFilter`, a `Sort`, a page position), and these methods turn
it into MongoDB queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from portal_kit.counters import COUNTERS_INDEX
from portal_kit.gridfs import gridfs_indexes
from portal_kit.mongo import ASCENDING, DESCENDING, Database, Document, IndexSpec
from portal_kit.readmodels import OrganisationTree
from portal_kit.repository import NOTHING, AggregateRepository, Keyset, after_keyset
from portal_kit.text import term_patterns
from portal_kit.versioned import VersionedDocuments
from pymongo.errors import DuplicateKeyError

from portal_orders.adapters.codec import decode, encode
from portal_orders.domain.collation import SEPARATOR, collation_key
from portal_orders.domain.order import Order
from portal_orders.domain.record import Entry
from portal_orders.domain.workflow import ACTIVE_CATEGORIES, LOCALES, Category
from portal_orders.service_layer.access import Sight
from portal_orders.service_layer.ports import (
    DONE_CATEGORIES,
    LABELLED_COLUMNS,
    SORT_COLUMNS,
    OrderFilter,
    OrderPage,
    Sort,
    exact_number,
)

ORDERS = "orders"
ORGANISATIONS = "organisations"
EMPLOYEES = "employees"
OUTBOX_COLLECTIONS = (ORDERS,)
ACTIVITY = "activity"
SEARCH = "search"
SORT_KEY = "sequence"

_T = ("tenant", ASCENDING)
INDEXES = (
    IndexSpec(EMPLOYEES, (_T, ("employee_id", ASCENDING)), unique=True),
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

# The stored (never null) sort value of each column of the order list.
SORT_PATHS: dict[str, str] = {
    "NUMBER": SORT_KEY,
    "STATUS": "status",
    "PRIORITY": "priority_rank",
    "ORDER_TYPE": "order_type",
    "ORDER_DATE": "order_date",
    "EXPECTED_CONTACT_DATE": "sort.expected_contact_date",
    "EXPECTED_DELIVERY_DATE": "sort.expected_delivery_date",
    "DESCRIPTION": "sort.description",
    "ASSIGNEE": "assignee_organisation_id",
    "ADDRESS": "sort.address",
}
# Where a labelled column's sort value is put while a list is read (never stored).
SORT_VALUE = "_sort_value"

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
        contact = aggregate.assignee_contact.name if aggregate.assignee_contact else ""
        document["sort"] = {
            "expected_contact_date": document["expected_contact_date"] or "",
            "expected_delivery_date": document["expected_delivery_date"] or "",
            "description": aggregate.description[:60].lower(),
            # The contractor's contact ('UE-kontakt') in every language's order: the list sorts
            # by the organisation's name, then by this.
            "assignee_contact": {locale: collation_key(contact, locale) for locale in LOCALES},
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

    # -- reading, in the service layer's terms ----------------------------------------------

    async def visible_among(self, sight: Sight, order_ids: Sequence[str]) -> list[Order]:
        wanted = sorted(set(order_ids))
        if not wanted:
            return []
        query = _all({"_id": {"$in": wanted}}, visible_filter(sight))
        return await self.find(query, limit=len(wanted))

    async def holding_file(self, sight: Sight, file_id: str) -> Order | None:
        query = _all({"activity.attachments.file_id": file_id}, visible_filter(sight))
        found = await self.find(query, limit=1)
        return found[0] if found else None

    async def listing(
        self,
        sight: Sight,
        wanted: OrderFilter,
        sort: Sort,
        *,
        after: Keyset | None,
        size: int,
    ) -> OrderPage:
        base = list_filter(sight, wanted)
        total = await self.count(base)
        path = SORT_VALUE if sort.column in LABELLED_COLUMNS else SORT_PATHS[sort.column]
        first: list[Document] = []
        number = exact_number(wanted.search)
        if number is not None:
            # The order whose number is the search comes first, then the rest in sort order:
            # it is left out of every page of the rest, and its position starts the rest.
            first = await self._sorted(_all(base, {"number": number}), sort, after=None, limit=1)
            if first:
                base = _all(base, {"_id": {"$ne": first[0]["_id"]}})
                if after is not None:
                    if after.last_id == first[0]["_id"]:
                        after = None
                    first = []
        rest = size - len(first)
        documents = await self._sorted(base, sort, after=after, limit=rest + 1)
        shown = first + documents[:rest]
        return OrderPage(
            items=[self.from_document(d) for d in shown],
            positions=[Keyset(_value(d, path), d["_id"]) for d in shown],
            has_next=len(documents) > rest,
            total=total,
        )

    async def _sorted(
        self, query: dict[str, Any], sort: Sort, *, after: Keyset | None, limit: int
    ) -> list[Document]:
        """Up to `limit` documents of `query` after `after`, in (sort value, _id) order."""
        stages: list[dict[str, Any]] = [{"$match": query}]
        path = SORT_PATHS[sort.column]
        if sort.column in LABELLED_COLUMNS:
            stages.append({"$addFields": {SORT_VALUE: sort_value(sort)}})
            path = SORT_VALUE
        direction = -1 if sort.descending else 1
        stages += [
            {"$match": after_keyset(path, after, descending=sort.descending)},
            {"$sort": {path: direction, "_id": direction}},
            {"$limit": limit},
            {"$project": {"outbox": 0}},
        ]
        return await self._documents.aggregate(stages)

    async def count_by_status_and_type(
        self, sight: Sight, wanted: OrderFilter
    ) -> dict[tuple[str, str], int]:
        """One aggregation inside the caller's sight."""
        pipeline: list[dict[str, Any]] = [
            {"$match": list_filter(sight, wanted)},
            {"$group": {"_id": {"s": "$status", "t": "$order_type"}, "n": {"$sum": 1}}},
        ]
        rows = await self._documents.aggregate(pipeline)
        return {(row["_id"]["s"], row["_id"]["t"]): int(row["n"]) for row in rows}

    async def in_bundles(self, sight: Sight, wanted: OrderFilter, *, limit: int) -> list[Order]:
        query = _all(list_filter(sight, wanted), {"bundle": {"$ne": None}})
        return await self.find(query, sort=[("bundle", 1), (SORT_KEY, 1)], limit=limit)

    async def past_sla_dates(self, today: date, *, limit: int) -> list[Order]:
        day = today.isoformat()
        return await self.find(
            {
                "$or": [
                    {
                        "status_category": Category.NEW.value,
                        "expected_contact_date": {"$lt": day, "$ne": None},
                        "sla_breaches": {"$ne": "contact"},
                    },
                    {
                        "status_category": {"$in": sorted(ACTIVE_CATEGORIES)},
                        "expected_delivery_date": {"$lt": day, "$ne": None},
                        "sla_breaches": {"$ne": "delivery"},
                    },
                ]
            },
            limit=limit,
        )


def visible_filter(sight: Sight) -> dict[str, Any]:
    """The orders in the caller's sight."""
    if sight.staff:
        return {}
    if sight.nothing:
        return NOTHING
    return {
        "$or": [
            {"customer_organisation_id": {"$in": list(sight.customers)}},
            {
                "assignee_organisation_id": {"$in": list(sight.organisations)},
                "$or": [{"closed_at": None}, {"closed_at": {"$gte": sight.window_start}}],
            },
        ]
    }


def view_filter(sight: Sight, view: str) -> dict[str, Any]:
    if view == "ACTIVE":
        return {"status_category": {"$in": sorted(ACTIVE_CATEGORIES)}}
    if view == "COMPLETED":
        return {
            "status_category": {"$in": sorted(DONE_CATEGORIES)},
            "closed_at": {"$gte": sight.window_start},
        }
    return {}


def list_filter(sight: Sight, wanted: OrderFilter) -> dict[str, Any]:
    """The orders in sight that `wanted` selects."""
    parts: list[dict[str, Any]] = [visible_filter(sight), view_filter(sight, wanted.view)]
    if wanted.statuses:
        parts.append({"status": {"$in": list(wanted.statuses)}})
    if wanted.order_types:
        parts.append({"order_type": {"$in": list(wanted.order_types)}})
    if wanted.customer_organisation_ids:
        parts.append({"customer_organisation_id": {"$in": list(wanted.customer_organisation_ids)}})
    if wanted.bundle:
        parts.append({"bundle": wanted.bundle})
    if wanted.number is not None:
        parts.append({"number": wanted.number.strip()})
    for path, low, high in (
        ("order_date", wanted.order_date_from, wanted.order_date_to),
        ("expected_delivery_date", wanted.expected_delivery_from, wanted.expected_delivery_to),
    ):
        bounds: dict[str, Any] = {}
        if low is not None:
            bounds["$gte"] = low.isoformat()
        if high is not None:
            bounds["$lte"] = high.isoformat()
        if bounds:
            parts.append({path: bounds})
    if wanted.search:
        # Regexes over the folded words: no $text, so MongoDB and the stand-in agree.
        parts += [{SEARCH: {"$regex": pattern}} for pattern in term_patterns(wanted.search)]
    return _all(*parts)


def _label_of(field: str, keys: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The collation key of the label of a document's `field`; "" for a value without one."""
    if not keys:
        return {"$literal": ""}
    branches = [{"case": {"$eq": [f"${field}", stored]}, "then": key} for stored, key in keys]
    return {"$switch": {"branches": branches, "default": ""}}


def sort_value(sort: Sort) -> dict[str, Any]:
    """A labelled column's sort value: the key of what the column shows in `sort.locale`."""
    field = SORT_PATHS[sort.column]
    if sort.column != "ASSIGNEE":
        return _label_of(field, sort.keys)
    locale = sort.locale if sort.locale in LOCALES else "en"
    # The contractor organisation's name, then its contact's ('UE-kontakt').
    return {
        "$concat": [
            _label_of(field, sort.keys),
            SEPARATOR,
            {"$ifNull": [f"$sort.assignee_contact.{locale}", ""]},
        ]
    }


def _all(*parts: dict[str, Any]) -> dict[str, Any]:
    """Every part must hold (empty parts hold for every document)."""
    given = [p for p in parts if p]
    if not given:
        return {}
    return given[0] if len(given) == 1 else {"$and": given}


def _value(document: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        document = document.get(part, {}) if isinstance(document, dict) else {}
    return document


def _order_hints() -> dict[str, Any]:
    import typing

    return typing.get_type_hints(Order)


_ORDER_HINTS = _order_hints()


class OrganisationDirectory(OrganisationTree):
    """The local read model of the people service's organisations: id, kind, parent, active,
    name.

    Fed by people's organisation events; used to let a parent organisation see its departments'
    orders, to check what kind of organisation an id names and to sort lists by a contractor's
    name.
    """

    async def names(self) -> dict[str, str]:
        found = await self._documents.find(
            {"name": {"$type": "string"}}, projection={"_id": 1, "name": 1}
        )
        return {str(d["_id"]): str(d["name"]) for d in found}


assert set(SORT_PATHS) == set(SORT_COLUMNS), "every sortable column has a stored sort value"


class EmployeeDirectory:
    """The local read model of the people service's employees: id, organisation, active, and
    the version of the people event the state comes from (`reflects`).

    Fed by people's employee events; lets a booking refuse an employee who is not an active one
    of the order's customer.
    """

    def __init__(self, database: Database, tenant: str) -> None:
        self._documents = database.for_tenant(EMPLOYEES, tenant)
        self._versioned = VersionedDocuments(self._documents)

    async def record(
        self, employee_id: str, *, organisation_id: str, active: bool, version: str
    ) -> bool:
        # Keyed on the unique (tenant, employee_id) index: a late event's upsert is refused.
        return await self._versioned.apply(
            {"employee_id": employee_id},
            version,
            {"$set": {"organisation_id": organisation_id, "active": active}},
        )

    async def employer(self, employee_id: str) -> str | None:
        found = await self._documents.find_one(
            {"employee_id": employee_id, "active": True}, projection={"organisation_id": 1}
        )
        return None if found is None else str(found["organisation_id"])
