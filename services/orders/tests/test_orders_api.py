"""The orders subgraph in-process, against real NATS and MongoDB (or the stand-in)."""

import asyncio
import json
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_kit.graphql import encode_cursor
from portal_kit.principal import Principal
from portal_kit.testing.harness import running_service
from portal_kit.testing.plugin import make_principal
from portal_orders.app import create_app
from portal_orders.settings import OrdersSettings

STAFF = make_principal("jm", user="staff-1", staff=True)
CUSTOMER = make_principal("jm", user="customer-1", memberships={"org-customer": ("user",)})
OTHER_CUSTOMER = make_principal("jm", user="customer-2", memberships={"org-other": ("user",)})
CONTRACTOR = make_principal("jm", user="ue-1", memberships={"org-contractor": ("user",)})
FOREIGN_STAFF = make_principal("fb", user="staff-fb", staff=True)
ANONYMOUS = Principal.anonymous("jm")

ORDER_FIELDS = """id number orderType status priority description customerOrganisationId
    assigneeOrganisationId orderDate createdAt version"""

CREATE = f"""mutation($input: CreateOrderInput!) {{ createOrder(input: $input) {{
    order {{ {ORDER_FIELDS} }} userErrors {{ field code message }} }} }}"""
ASSIGN = f"""mutation($input: AssignOrderInput!) {{ assignOrder(input: $input) {{
    order {{ {ORDER_FIELDS} }} userErrors {{ field code message }} }} }}"""
ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDERS = """query($first: Int, $after: String) { orders(first: $first, after: $after) {
    totalCount edges { cursor node { id number } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""


def order_input(**overrides):
    values = {
        "orderType": "work_order",
        "description": "Leaking tap in the kitchen",
        "customerOrganisationId": "org-customer",
    }
    values.update(overrides)
    return values


@pytest.fixture
async def service(settings_for, signer):
    async with running_service(create_app, settings_for(OrdersSettings), signer) as svc:
        yield svc


async def create(svc, principal=STAFF, **overrides):
    data = await svc.graphql(CREATE, {"input": order_input(**overrides)}, principal=principal)
    return data["createOrder"]


async def created(svc, principal=STAFF, **overrides):
    payload = await create(svc, principal, **overrides)
    assert payload["userErrors"] == []
    return payload["order"]


async def visible_numbers(svc, principal):
    data = await svc.graphql(ORDERS, {"first": 200}, principal=principal)
    numbers = [edge["node"]["number"] for edge in data["orders"]["edges"]]
    assert data["orders"]["totalCount"] == len(numbers)
    return numbers


async def read(svc, order_id, principal):
    return (await svc.graphql(ORDER, {"id": order_id}, principal=principal))["order"]


async def stream_events(nats_client, namespace, tenant, count):
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


async def test_staff_create_an_order_and_read_it_back(service):
    before = datetime.now(UTC)
    order = await created(
        service, description="  Leaking tap\r\nin the kitchen  ", priority="urgent"
    )
    assert order["number"] == "1"
    assert order["status"] == "new"
    assert order["priority"] == "urgent"
    assert order["orderType"] == "work_order"
    assert order["description"] == "Leaking tap\nin the kitchen"
    assert order["customerOrganisationId"] == "org-customer"
    assert order["assigneeOrganisationId"] is None
    assert order["orderDate"] == datetime.now(UTC).date().isoformat()
    created_at = datetime.fromisoformat(order["createdAt"])
    assert created_at.utcoffset() is not None
    assert before.replace(microsecond=0) <= created_at <= datetime.now(UTC)
    assert order["version"] == 1
    assert await read(service, order["id"], STAFF) == order

    second = await created(service, orderDate="2024-02-29", orderType="warranty")
    assert (second["number"], second["priority"], second["orderDate"]) == (
        "2",
        "normal",
        "2024-02-29",
    )


async def test_a_customer_member_orders_for_their_own_organisation_only(service):
    order = await created(service, CUSTOMER)
    assert order["customerOrganisationId"] == "org-customer"

    refused = await create(service, CUSTOMER, customerOrganisationId="org-other")
    assert refused["order"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        ("customerOrganisationId", "NOT_FOUND")
    ]
    blank = await create(service, CUSTOMER, customerOrganisationId=" ")
    assert [(e["field"], e["code"]) for e in blank["userErrors"]] == [
        ("customerOrganisationId", "REQUIRED")
    ]
    anonymous = await create(service, ANONYMOUS)
    assert [e["code"] for e in anonymous["userErrors"]] == ["FORBIDDEN"]
    assert await visible_numbers(service, STAFF) == ["1"]


async def test_numbers_are_unique_and_sequential_per_tenant_under_concurrency(service):
    jm = [create(service) for _ in range(12)]
    fb = [create(service, FOREIGN_STAFF) for _ in range(3)]
    results = await asyncio.gather(*jm, *fb)
    assert all(r["userErrors"] == [] for r in results)
    assert sorted(int(r["order"]["number"]) for r in results[:12]) == list(range(1, 13))
    assert sorted(int(r["order"]["number"]) for r in results[12:]) == [1, 2, 3]
    assert await visible_numbers(service, STAFF) == [str(n) for n in range(1, 13)]


async def test_visibility_for_staff_contractor_customer_and_another_tenant(service):
    mine = await created(service, customerOrganisationId="org-customer")
    theirs = await created(service, customerOrganisationId="org-other")
    foreign = await created(service, FOREIGN_STAFF, customerOrganisationId="org-customer")

    assert await visible_numbers(service, STAFF) == ["1", "2"]
    assert await visible_numbers(service, CUSTOMER) == ["1"]
    assert await visible_numbers(service, OTHER_CUSTOMER) == ["2"]
    assert await visible_numbers(service, CONTRACTOR) == []
    assert await visible_numbers(service, ANONYMOUS) == []
    assert await visible_numbers(service, FOREIGN_STAFF) == ["1"]
    assert await read(service, theirs["id"], CUSTOMER) is None
    assert await read(service, mine["id"], CONTRACTOR) is None

    assigned = await service.graphql(
        ASSIGN,
        {"input": {"id": mine["id"], "version": 1, "assigneeOrganisationId": "org-contractor"}},
        principal=STAFF,
    )
    assert assigned["assignOrder"]["userErrors"] == []
    assert await visible_numbers(service, CONTRACTOR) == ["1"]
    assert (await read(service, mine["id"], CONTRACTOR))["assigneeOrganisationId"] == (
        "org-contractor"
    )
    assert await read(service, theirs["id"], CONTRACTOR) is None

    # Another tenant's ids answer exactly like ids that do not exist.
    for order_id in (foreign["id"], "no-such-order"):
        assert await read(service, order_id, STAFF) is None
    assert await read(service, mine["id"], FOREIGN_STAFF) is None


async def test_entity_references_obey_visibility(service):
    mine = await created(service, customerOrganisationId="org-customer")
    theirs = await created(service, customerOrganisationId="org-other")
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Order { id number customerOrganisation { id } } } }"""
    representations = [
        {"__typename": "Order", "id": mine["id"]},
        {"__typename": "Order", "id": theirs["id"]},
        {"__typename": "Order", "id": "missing"},
    ]
    seen = await service.graphql(query, {"r": representations}, principal=CUSTOMER)
    assert seen["_entities"] == [
        {"id": mine["id"], "number": "1", "customerOrganisation": {"id": "org-customer"}},
        None,
        None,
    ]
    by_staff = await service.graphql(query, {"r": representations}, principal=STAFF)
    assert [e and e["number"] for e in by_staff["_entities"]] == ["1", "2", None]


async def test_assignment_is_for_staff_with_the_current_version(service):
    order = await created(service)

    def assign(version, assignee="org-contractor", order_id=order["id"]):
        return {"input": {"id": order_id, "version": version, "assigneeOrganisationId": assignee}}

    by_customer = await service.graphql(ASSIGN, assign(1), principal=CUSTOMER)
    assert [e["code"] for e in by_customer["assignOrder"]["userErrors"]] == ["FORBIDDEN"]
    by_outsider = await service.graphql(ASSIGN, assign(1), principal=OTHER_CUSTOMER)
    assert [e["code"] for e in by_outsider["assignOrder"]["userErrors"]] == ["NOT_FOUND"]
    by_foreign = await service.graphql(ASSIGN, assign(1), principal=FOREIGN_STAFF)
    assert [(e["field"], e["code"]) for e in by_foreign["assignOrder"]["userErrors"]] == [
        ("id", "NOT_FOUND")
    ]

    done = (await service.graphql(ASSIGN, assign(1), principal=STAFF))["assignOrder"]
    assert done["userErrors"] == []
    assert (done["order"]["assigneeOrganisationId"], done["order"]["version"]) == (
        "org-contractor",
        2,
    )

    stale = (await service.graphql(ASSIGN, assign(1, "org-second"), principal=STAFF))["assignOrder"]
    assert stale["order"] is None
    assert [(e["field"], e["code"]) for e in stale["userErrors"]] == [("version", "STALE_VERSION")]
    bad = (await service.graphql(ASSIGN, assign(2, "  "), principal=STAFF))["assignOrder"]
    assert [(e["field"], e["code"]) for e in bad["userErrors"]] == [
        ("assigneeOrganisationId", "REQUIRED")
    ]
    after = await read(service, order["id"], STAFF)
    assert (after["assigneeOrganisationId"], after["version"]) == ("org-contractor", 2)

    again = (await service.graphql(ASSIGN, assign(2), principal=STAFF))["assignOrder"]
    assert again["userErrors"] == [] and again["order"]["version"] == 2


async def test_bad_input_gives_user_errors_writes_nothing_and_emits_nothing(
    service, nats_client, namespace
):
    payload = await create(
        service,
        orderType="teleportation",
        description="x" * 5001,
        customerOrganisationId="not an id!",
        priority="",
    )
    assert payload["order"] is None
    assert sorted((e["field"], e["code"]) for e in payload["userErrors"]) == [
        ("customerOrganisationId", "NOT_FOUND"),
        ("description", "TOO_LONG"),
        ("orderType", "UNKNOWN_CODE"),
        ("priority", "REQUIRED"),
    ]
    for bad in (
        {"description": " \n\t "},
        {"description": "null\x00byte"},
        {"orderType": ""},
        {"customerOrganisationId": "x" * 65},
    ):
        refused = await create(service, **bad)
        assert refused["order"] is None and refused["userErrors"], bad
    assert await visible_numbers(service, STAFF) == []

    # Nothing was written: the next good order still gets number 1, and it is the first event.
    order = await created(service)
    assert order["number"] == "1"
    events = await stream_events(nats_client, namespace, "jm", 1)
    assert events[0]["subject"] == order["id"]
    info = await nats_client.jetstream().stream_info(service.runtime.names.stream)
    assert info.state.messages == 1


async def test_a_lone_surrogate_is_a_user_error_not_a_fault(service):
    body = json.dumps(
        {"query": CREATE, "variables": {"input": order_input(description="bad \ud800 text")}}
    )
    response = await service.client.post(
        "/graphql",
        content=body.encode(),
        headers={
            "content-type": "application/json",
            "X-Portal-Principal": service.signer.sign(STAFF),
        },
    )
    assert response.status_code == 200
    payload = response.json()["data"]["createOrder"]
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [("description", "INVALID")]


async def test_events_reach_jetstream_as_cloudevents_without_free_text(
    service, nats_client, namespace
):
    order = await created(service, description="Call Kari Nordmann on 912 34 567")
    await service.graphql(
        ASSIGN,
        {"input": {"id": order["id"], "version": 1, "assigneeOrganisationId": "org-contractor"}},
        principal=STAFF,
    )
    created_event, assigned_event = await stream_events(nats_client, namespace, "jm", 2)

    assert created_event["type"] == "portal.orders.order.created"
    assert created_event["specversion"] == "1.0"
    assert created_event["source"] == "/portal/orders"
    assert created_event["tenant"] == "jm"
    assert created_event["subject"] == order["id"]
    assert created_event["data"] == {
        "order_id": order["id"],
        "number": "1",
        "order_type": "work_order",
        "status": "new",
        "priority": "normal",
        "customer_organisation_id": "org-customer",
        "assignee_organisation_id": None,
        "order_date": order["orderDate"],
    }
    assert "Nordmann" not in json.dumps(created_event)
    assert assigned_event["type"] == "portal.orders.order.assigned"
    assert assigned_event["data"] == {
        "order_id": order["id"],
        "number": "1",
        "assignee_organisation_id": "org-contractor",
        "previous_assignee_organisation_id": None,
    }


async def test_pages_follow_the_number_with_keyset_cursors(service):
    for _ in range(5):
        await created(service)
    seen: list[str] = []
    after = None
    while True:
        data = (await service.graphql(ORDERS, {"first": 2, "after": after}, principal=STAFF))[
            "orders"
        ]
        assert data["totalCount"] == 5
        assert data["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [edge["node"]["number"] for edge in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == ["1", "2", "3", "4", "5"]
    empty = (await service.graphql(ORDERS, {"first": 0}, principal=STAFF))["orders"]
    assert (empty["edges"], empty["pageInfo"]["hasNextPage"]) == ([], True)

    for cursor in ("garbage", encode_cursor([{"$gt": None}, ""]), encode_cursor(["1", "x"])):
        response = await service.post_graphql(ORDERS, {"after": cursor}, STAFF)
        errors = response.json()["errors"]
        assert response.status_code == 200
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_many = await service.post_graphql(ORDERS, {"first": 201}, STAFF)
    assert too_many.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_calls_without_a_valid_principal_are_refused(service):
    response = await service.client.post("/graphql", json={"query": "{ orders { totalCount } }"})
    assert response.status_code == 401


_codes = st.sampled_from(["work_order", "warranty", "billable", "service", "low", "normal"])
_long = st.builds(lambda c, n: c * n, st.characters(), st.integers(4990, 5010))
_text = st.one_of(st.text(), _codes, _long)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    order_type=_text,
    description=_text,
    customer=st.one_of(st.text(max_size=80), st.just("org-customer")),
    priority=st.one_of(st.none(), _text),
    principal=st.sampled_from([STAFF, CUSTOMER]),
)
async def test_any_create_input_is_answered_with_an_order_or_user_errors(
    service, order_type, description, customer, priority, principal
):
    before = (await service.graphql(ORDERS, {"first": 0}, principal=STAFF))["orders"]
    response = await service.post_graphql(
        CREATE,
        {
            "input": {
                "orderType": order_type,
                "description": description,
                "customerOrganisationId": customer,
                "priority": priority,
            }
        },
        principal,
    )
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert "errors" not in body, body["errors"]
    payload = body["data"]["createOrder"]
    after = (await service.graphql(ORDERS, {"first": 0}, principal=STAFF))["orders"]
    if payload["order"] is None:
        assert payload["userErrors"]
        assert after["totalCount"] == before["totalCount"]
    else:
        assert payload["userErrors"] == []
        assert after["totalCount"] == before["totalCount"] + 1
        assert payload["order"]["number"] == str(after["totalCount"])
