"""GraphQL documents and helpers for tests of the orders service (here and end-to-end)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from portal_kit.clock import utc_now
from portal_kit.events import CloudEvent, new_event_id
from portal_kit.principal import Principal
from portal_kit.testing.harness import RunningService
from portal_kit.versioned import BEFORE_ANY_EVENT
from starlette.applications import Starlette

ORDER_FIELDS = """id number version orderType orderTypeLabel status statusLabel statusCategory
    priority description customerOrganisationId assigneeOrganisationId orderDate
    expectedContactDate expectedDeliveryDate plannedDate agreedAppointment faultType rootCause
    actionTaken invoiceReference bundle bundleNumber createdAt closedAt slaBreaches myRole adminArea
    operatorContact { userId name email phone user { id } }
    assigneeContact { name }
    resident { name keyInfo accessPermitted phones { kind number preferred }
      preferredPhone { number } }
    object { number objectType floor floors elevator address { street postalCode city } }
    avser { space unit properties serialNumber phrase description appliance installed }
    customerRequest { desiredDelivery quantity contactPerson invoiceMarking location }
    bookings { id place capacity booked cutOff employees { id } }
    availableTransitions { status label requiredFields commentRequired }
    activity { id kind role visibility text statusFrom statusTo event eventLabel phrase questionId
      attachments { id filename contentType size downloadPath } }"""

PAYLOAD = f"order {{ {ORDER_FIELDS} }} userErrors {{ field code message }}"


def mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {PAYLOAD} }} }}"


CREATE = mutation("createOrder", "CreateOrderInput")
ASSIGN = mutation("assignOrder", "AssignOrderInput")
EDIT = mutation("editOrder", "EditOrderInput")
TRANSITION = mutation("transitionOrder", "TransitionOrderInput")
NOTE = mutation("addOrderNote", "AddOrderNoteInput")
ASK = mutation("askOrderQuestion", "AskOrderQuestionInput")
ANSWER = mutation("answerOrderQuestion", "AnswerOrderQuestionInput")
COMMENT = mutation("addOrderComment", "AddOrderCommentInput")
SLOT = mutation("addBookingSlot", "AddBookingSlotInput")
BOOK = mutation("bookEmployee", "BookEmployeeInput")
UNBOOK = mutation("unbookEmployee", "BookEmployeeInput")
ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDERS = """query($filter: OrderFilterInput, $sort: OrderSortInput, $first: Int, $after: String) {
  orders(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount edges { cursor node { id number status orderType description } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
DASHBOARD = """query($view: OrderView!) { orderDashboard(view: $view) {
  orderTypes total columnTotals { orderType count }
  rows { status label total cells { orderType count } } } }"""
BUNDLES = """query($filter: OrderFilterInput) { orderBundles(filter: $filter) {
  number orders { number status } } }"""


async def call(
    svc: RunningService, document: str, principal: Principal, **input: Any
) -> dict[str, Any]:
    """The payload of a mutation (which must not raise GraphQL errors)."""
    data = await svc.graphql(document, {"input": input}, principal=principal)
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


async def ok(
    svc: RunningService, document: str, principal: Principal, **input: Any
) -> dict[str, Any]:
    payload = await call(svc, document, principal, **input)
    assert payload["userErrors"] == [], payload["userErrors"]
    order: dict[str, Any] = payload["order"]
    return order


def errors(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    assert payload["order"] is None
    return sorted((e["field"], e["code"]) for e in payload["userErrors"])


async def read(svc: RunningService, order_id: str, principal: Principal) -> dict[str, Any] | None:
    data = await svc.graphql(ORDER, {"id": order_id}, principal=principal)
    found: dict[str, Any] | None = data["order"]
    return found


async def listed(svc: RunningService, principal: Principal, **variables: Any) -> list[str]:
    data = await svc.graphql(ORDERS, {"first": 200, **variables}, principal=principal)
    return [edge["node"]["number"] for edge in data["orders"]["edges"]]


async def stream_events(
    nats_client: Any, namespace: Any, tenant: str, count: int
) -> list[dict[str, Any]]:
    """The first `count` events of the tenant on the orders stream, oldest first."""
    js = nats_client.jetstream()
    subscription = await js.subscribe(
        f"{namespace.event_prefix}.{tenant}.orders.>",
        stream=f"{namespace.event_prefix.upper()}_ORDERS",
        ordered_consumer=True,
    )
    try:
        return [json.loads((await subscription.next_msg(timeout=10)).data) for _ in range(count)]
    finally:
        await subscription.unsubscribe()


async def publish_people_event(
    nats_client: Any,
    prefix: str,
    tenant: str,
    event_type: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
    time: datetime | None = None,
    deduplicated: bool = True,
    sequence: str | None = None,
) -> str:
    """Publishes an event as the people service would (`event_type` such as
    "employee.created") and returns its id: what orders' read models learn from, without a
    people service (or of records people no longer holds). Not `deduplicated`: published
    without `Nats-Msg-Id`, so the stream keeps a republished id and the consumer sees it again."""
    aggregate, name = event_type.split(".")
    event = CloudEvent(
        id=event_id or new_event_id(),
        source="/portal/people",
        type=f"portal.people.{aggregate}.{name}",
        subject=str(data.get(f"{aggregate}_id", aggregate)),
        time=time or utc_now(),
        data=data,
        tenant=tenant,
        sequence=sequence,
    )
    await nats_client.jetstream().publish(
        f"{prefix}.{tenant}.people.{aggregate}.{name}",
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.id} if deduplicated else None,
    )
    return event.id


async def publish_organisation_event(
    nats_client: Any,
    namespace: Any,
    tenant: str,
    event: str,
    data: dict[str, Any],
    *,
    version: int = 1,
) -> None:
    """People's `organisation.<event>` with `data`, as people would publish it from the
    organisation's `version`."""
    await publish_people_event(
        nats_client,
        namespace.event_prefix,
        tenant,
        f"organisation.{event}",
        data,
        event_id=f"evt-{data['organisation_id']}-{event}-{version}",
        time=datetime(2025, 6, 1, tzinfo=UTC),
        sequence=CloudEvent.sequence_of(version, 0),
    )


# The organisations tests name, per tenant, as people's events would have told orders' read
# model: orders refuses an organisation id it does not know (another tenant's, made up) like a
# missing one. (An organisation id is unique across tenants, as people's are.)
KNOWN_ORGANISATIONS: dict[str, tuple[str, ...]] = {
    "jm": (
        "contractor",
        "emma",
        "jm-housing",
        "org-contractor",
        "org-customer",
        "org-other",
        "org-second",
        "ror",
    ),
    "familjebostader": ("fb", "fb-housing", "testfirma", "x"),
    "avonova": (
        "annen-kunde",
        "bergen",
        "customer",
        "demokunde",
        "legekontoret",
        "nordlys",
        "partner",
    ),
}


async def know_organisations(
    svc: RunningService | Starlette, known: dict[str, tuple[str, ...]] = KNOWN_ORGANISATIONS
) -> None:
    """Puts organisations into the service's read model of people's organisations (as their
    `organisation.created` events would); `svc`: a running service or its app."""
    from portal_orders.adapters.repositories import OrganisationDirectory

    app = svc.app if isinstance(svc, RunningService) else svc
    database = app.state.runtime.database
    for tenant, ids in known.items():
        directory = OrganisationDirectory(database, tenant)
        for organisation_id in ids:
            await directory.upsert(organisation_id, {"active": True}, version=BEFORE_ANY_EVENT)


async def wait_for_handled(
    svc: RunningService, count: int, durable: str = "orders-organisations"
) -> None:
    """Until the service's consumer `durable` has handled `count` events (10 s at most)."""
    consumer = next(c for c in svc.runtime.consumers if c.durable == durable)
    for _ in range(200):
        if consumer.handled >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{durable}: people's events were not handled")
