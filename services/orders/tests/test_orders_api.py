"""The orders subgraph in-process, against real NATS and MongoDB (or the stand-in): visibility,
concurrency, bad input, lists, events and the SLA check."""

from __future__ import annotations

import asyncio
import functools
import gc
import json

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_kit.graphql import encode_cursor
from portal_kit.mongo import TenantCollection
from portal_kit.principal import HEADER, Principal
from portal_kit.testing.plugin import make_principal
from portal_orders.app import create_app
from portal_orders.entrypoints.context import OrdersContext
from portal_orders.settings import OrdersSettings
from portal_orders.testing import (
    ASSIGN,
    COMMENT,
    CREATE,
    EDIT,
    ORDER_FIELDS,
    ORDERS,
    TRANSITION,
    call,
    errors,
    know_organisations,
    listed,
    ok,
    read,
    stream_events,
)

STAFF = make_principal("jm", user="staff-1", staff=True)
CUSTOMER = make_principal("jm", user="customer-1", memberships={"org-customer": ("user",)})
OTHER_CUSTOMER = make_principal("jm", user="customer-2", memberships={"org-other": ("user",)})
CONTRACTOR = make_principal("jm", user="ue-1", memberships={"org-contractor": ("user",)})
SECOND_CONTRACTOR = make_principal("jm", user="ue-2", memberships={"org-second": ("user",)})
FOREIGN_STAFF = make_principal("familjebostader", user="staff-fb", staff=True)
UNCONFIGURED = make_principal("visma-inschool", user="someone", staff=True)
ANONYMOUS = Principal.anonymous("jm")


def order_input(**overrides):
    values = {
        "orderType": "warranty",
        "description": "Lekker kran på kjøkkenet",
        "customerOrganisationId": "org-customer",
        "resident": {
            "name": "Kari Nordmann",
            "userId": "customer-1",
            "phones": [{"kind": "MOBILE", "number": "91234567", "preferred": True}],
            "keyInfo": "Kode 1234 til porten",
        },
        "object": {"number": "B-12", "address": {"street": "Sjøgata 7", "city": "Bodø"}},
    }
    values.update(overrides)
    return values


async def create(svc, principal=STAFF, **overrides):
    return await ok(svc, CREATE, principal, **order_input(**overrides))


async def assigned(svc, **overrides):
    order = await create(svc, **overrides)
    return await ok(
        svc,
        ASSIGN,
        STAFF,
        id=order["id"],
        version=order["version"],
        assigneeOrganisationId="org-contractor",
    )


async def mine_theirs_and_foreign(svc):
    """An order of org-customer assigned to org-contractor, one of org-other, and one of
    another tenant."""
    mine = await assigned(svc)
    theirs = await create(svc, customerOrganisationId="org-other")
    fields = {"orderType": "fel", "description": "Fel", "customerOrganisationId": "x"}
    return mine, theirs, await ok(svc, CREATE, FOREIGN_STAFF, **fields)


async def test_visibility_per_role_and_tenant(service):
    mine, theirs, foreign = await mine_theirs_and_foreign(service)
    assert await listed(service, STAFF) == [mine["number"], theirs["number"]]
    assert await listed(service, CUSTOMER) == [mine["number"]]
    assert await listed(service, OTHER_CUSTOMER) == [theirs["number"]]
    assert await listed(service, CONTRACTOR) == [mine["number"]]
    assert await listed(service, SECOND_CONTRACTOR) == []
    assert await listed(service, ANONYMOUS) == []
    assert await listed(service, UNCONFIGURED) == []
    # Another tenant's ids answer exactly like ids that do not exist.
    for order_id in (foreign["id"], "no-such-order"):
        assert await read(service, order_id, STAFF) is None
        refused = await call(
            service, TRANSITION, STAFF, id=order_id, version=1, status="order_received"
        )
        assert errors(refused) == [("id", "NOT_FOUND")]
    assert await read(service, theirs["id"], CONTRACTOR) is None

    # Resident contact, key and access info: staff, the assigned contractor while the order is
    # open, and the resident themself; not other members of the customer organisation.
    assert (await read(service, mine["id"], STAFF))["resident"]["keyInfo"] == "Kode 1234 til porten"
    assert (await read(service, mine["id"], CONTRACTOR))["resident"]["name"] == "Kari Nordmann"
    assert (await read(service, mine["id"], CUSTOMER))["resident"]["name"] == "Kari Nordmann"
    colleague = make_principal("jm", user="customer-9", memberships={"org-customer": ("user",)})
    assert (await read(service, mine["id"], colleague))["resident"] is None


async def test_entity_references_obey_visibility(service):
    mine = await create(service)
    theirs = await create(service, customerOrganisationId="org-other")
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Order { id number operatorContact { user { id } }
                       customerOrganisation { id } } } }"""
    representations = [
        {"__typename": "Order", "id": mine["id"]},
        {"__typename": "Order", "id": theirs["id"]},
        {"__typename": "Order", "id": "missing"},
    ]
    seen = await service.graphql(query, {"r": representations}, principal=CUSTOMER)
    assert seen["_entities"] == [
        {
            "id": mine["id"],
            "number": mine["number"],
            "operatorContact": None,
            "customerOrganisation": {"id": "org-customer"},
        },
        None,
        None,
    ]


def aliased_orders(count):
    variables = ", ".join(f"$id{i}: ID!" for i in range(count))
    fields = " ".join(f"r{i}: order(id: $id{i}) {{ {ORDER_FIELDS} }}" for i in range(count))
    return f"query({variables}) {{ {fields} }}"


@pytest.fixture
def order_finds(monkeypatch):
    """The filter of every `find` on the orders collection, counted at the collection."""
    filters = []
    original = TenantCollection.find

    async def counted(self, filter_=None, **options):
        if self._collection.name == "orders":
            filters.append(filter_)
        return await original(self, filter_, **options)

    monkeypatch.setattr(TenantCollection, "find", counted)
    return filters


async def test_aliased_orders_answer_like_separate_reads_in_one_query(service, order_finds):
    # What the gateway's batched subscription re-reads send (gateway/README.md, Subscriptions).
    mine, theirs, foreign = await mine_theirs_and_foreign(service)
    also_mine = await assigned(service, customerOrganisationId="org-other")
    ids = [mine["id"], theirs["id"], foreign["id"], "no-such-order", also_mine["id"], mine["id"]]
    variables = {f"id{i}": order_id for i, order_id in enumerate(ids)}
    for principal, visible in ((CONTRACTOR, {0, 4, 5}), (STAFF, {0, 1, 4, 5})):
        separate = [await read(service, order_id, principal) for order_id in ids]
        assert {i for i, found in enumerate(separate) if found is not None} == visible
        order_finds.clear()
        together = await service.graphql(aliased_orders(len(ids)), variables, principal=principal)
        assert [together[f"r{i}"] for i in range(len(ids))] == separate
        assert len(order_finds) == 1, order_finds


async def test_internal_entries_are_for_staff_only(service):
    order = await assigned(service)
    order = await ok(
        service,
        COMMENT,
        STAFF,
        id=order["id"],
        version=order["version"],
        text="Internt: sjekk garantien",
        visibility="internal",
    )
    order = await ok(
        service,
        COMMENT,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        text="Kommer i morgen",
    )
    texts = lambda o: [e["text"] for e in o["activity"] if e["kind"] == "comment"]  # noqa: E731
    assert texts(await read(service, order["id"], STAFF)) == [
        "Internt: sjekk garantien",
        "Kommer i morgen",
    ]
    assert texts(await read(service, order["id"], CONTRACTOR)) == ["Kommer i morgen"]
    assert texts(await read(service, order["id"], CUSTOMER)) == []
    refused = await call(
        service,
        COMMENT,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        text="x",
        visibility="internal",
    )
    assert errors(refused) == [("visibility", "FORBIDDEN")]


async def test_a_stale_version_is_a_conflict_and_changes_nothing(service, nats_client, namespace):
    order = await assigned(service)
    moved = await ok(
        service,
        TRANSITION,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        status="order_received",
    )
    for document, extra in (
        (TRANSITION, {"status": "declined", "changes": {"actionTaken": "Nei"}}),
        (EDIT, {"changes": {"faultType": "leak"}}),
        (COMMENT, {"text": "Hei"}),
    ):
        stale = await call(
            service, document, CONTRACTOR, id=order["id"], version=order["version"], **extra
        )
        assert errors(stale) == [("version", "STALE_VERSION")]
    now = await read(service, order["id"], STAFF)
    assert (now["version"], now["status"], now["faultType"]) == (
        moved["version"],
        "order_received",
        "",
    )
    assert len(now["activity"]) == len(moved["activity"])
    events = await stream_events(nats_client, namespace, "jm", 3)
    assert [e["type"].rsplit(".", 1)[1] for e in events] == [
        "created",
        "assigned",
        "status_changed",
    ]
    await asyncio.sleep(0.3)
    info = await nats_client.jetstream().stream_info(service.runtime.names.stream)
    assert info.state.messages == 3


async def test_concurrent_transitions_one_wins(service):
    order = await assigned(service)
    results = await asyncio.gather(
        *(
            call(
                service,
                TRANSITION,
                CONTRACTOR,
                id=order["id"],
                version=order["version"],
                status=status,
            )
            for status in ("order_received", "order_received", "order_received")
        )
    )
    winners = [r for r in results if r["order"] is not None]
    assert len(winners) == 1
    assert all(errors(r) == [("version", "STALE_VERSION")] for r in results if r["order"] is None)


async def test_roles_edit_only_their_fields(service):
    order = await assigned(service)
    by_contractor = await call(
        service,
        EDIT,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        changes={"description": "Ny tekst", "priority": "urgent", "faultType": "leak"},
    )
    assert errors(by_contractor) == [("description", "FORBIDDEN"), ("priority", "FORBIDDEN")]
    edited = await ok(
        service,
        EDIT,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        changes={"faultType": "leak"},
    )
    assert edited["faultType"] == "leak"
    by_staff = await ok(
        service,
        EDIT,
        STAFF,
        id=order["id"],
        version=edited["version"],
        changes={"priority": "urgent", "description": "  Ny\r\ntekst "},
    )
    assert (by_staff["priority"], by_staff["description"]) == ("urgent", "Ny\ntekst")
    bad = await call(
        service,
        EDIT,
        STAFF,
        id=order["id"],
        version=by_staff["version"],
        changes={"priority": "whenever", "description": " "},
    )
    assert errors(bad) == [("description", "REQUIRED"), ("priority", "UNKNOWN_CODE")]


async def test_bad_create_input_gives_user_errors_writes_nothing_and_emits_nothing(
    service, nats_client, namespace
):
    payload = await call(
        service,
        CREATE,
        STAFF,
        **order_input(
            orderType="teleportation",
            description="x" * 5001,
            priority="",
            customerOrganisationId="not an id!",
        ),
    )
    assert errors(payload) == [
        ("customerOrganisationId", "NOT_FOUND"),
        ("description", "TOO_LONG"),
        ("orderType", "UNKNOWN_CODE"),
    ]
    by_customer = await call(service, CREATE, CUSTOMER, **order_input())
    assert errors(by_customer) == [(None, "FORBIDDEN")]  # JM's orders come from JM only
    unconfigured = await call(service, CREATE, UNCONFIGURED, **order_input())
    assert errors(unconfigured) == [(None, "NOT_CONFIGURED")]
    two_preferred = await call(
        service,
        CREATE,
        STAFF,
        **order_input(
            resident={
                "phones": [
                    {"kind": "HOME", "number": "1", "preferred": True},
                    {"kind": "WORK", "number": "2", "preferred": True},
                ]
            }
        ),
    )
    assert errors(two_preferred) == [("resident.phones", "INVALID")]
    nested = await call(
        service,
        CREATE,
        STAFF,
        **order_input(object={"number": "x" * 301, "address": {"city": "a\x00"}}),
    )
    assert errors(nested) == [("object.address.city", "INVALID"), ("object.number", "TOO_LONG")]
    assert await listed(service, STAFF) == []
    order = await create(service)
    events = await stream_events(nats_client, namespace, "jm", 1)
    assert events[0]["subject"] == order["id"]


async def test_events_are_cloudevents_without_personal_data(service, nats_client, namespace):
    order = await assigned(service, description="Ring Kari Nordmann på 912 34 567")
    order = await ok(
        service,
        TRANSITION,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        status="declined",
        changes={"actionTaken": "Ikke vårt fag, ring 912 34 567"},
    )
    events = await stream_events(nats_client, namespace, "jm", 3)
    assert [e["type"] for e in events] == [
        "portal.orders.order.created",
        "portal.orders.order.assigned",
        "portal.orders.order.status_changed",
    ]
    assert events[0]["data"]["expected_contact_date"] == order["expectedContactDate"]
    assert events[2]["data"] == {
        "order_id": order["id"],
        "number": order["number"],
        "status_from": "new",
        "status_to": "declined",
        "category": "rejected",
        "actor": "contractor",
    }
    text = json.dumps(events)
    for personal in ("Nordmann", "912 34 567", "91234567", "Kode 1234", "Sjøgata"):
        assert personal not in text


async def test_the_sla_check_emits_each_breach_once(service, clock, nats_client, namespace):
    order = await assigned(service, orderDate="2025-06-26")
    assert order["expectedContactDate"] == "2025-07-01"
    sla = service.app.state.service.sla_watch()  # what the periodic job runs, on `clock`
    assert await sla.check() == 0
    clock.advance(days=6)  # 2 July: contact date passed while still 'new'
    assert await sla.check() == 1
    assert await sla.check() == 0
    seen = await read(service, order["id"], STAFF)
    assert seen["slaBreaches"] == ["contact"]
    assert seen["activity"][-1]["kind"] == "sla_breached"
    assert "sla_breached" not in [
        e["kind"] for e in (await read(service, order["id"], CONTRACTOR))["activity"]
    ]
    events = await stream_events(nats_client, namespace, "jm", 3)
    assert events[2]["type"] == "portal.orders.order.sla_breached"
    assert events[2]["data"]["kind"] == "contact"
    assert events[2]["data"]["due_date"] == "2025-07-01"


async def test_lists_search_filter_sort_and_page(service):
    await create(service, description="Lekker kran", object={"address": {"street": "Torögatan 51"}})
    second = await create(
        service,
        description="Dør henger",
        orderType="billable",
        priority="high",
        orderDate="2025-01-10",
    )
    await create(service, description="Vindu knust", priority="low", orderDate="2025-03-01")
    assert await listed(service, STAFF, filter={"search": "TOROGATAN"}) == ["250626-105451-01"]
    assert await listed(service, STAFF, filter={"search": "dor"}) == [second["number"]]
    assert await listed(service, STAFF, filter={"search": second["number"][-6:]}) == [
        second["number"]
    ]
    assert await listed(service, STAFF, filter={"search": ".*"}) == []  # regex is escaped
    assert await listed(service, STAFF, filter={"orderTypes": ["billable"]}) == [second["number"]]
    assert len(await listed(service, STAFF, filter={"statuses": ["new", "done"]})) == 3
    assert await listed(
        service, STAFF, filter={"orderDateFrom": "2025-01-01", "orderDateTo": "2025-02-01"}
    ) == [second["number"]]

    by_priority = await listed(service, STAFF, sort={"column": "PRIORITY"})
    descending = await listed(service, STAFF, sort={"column": "PRIORITY", "descending": True})
    assert by_priority == list(reversed(descending))
    assert by_priority[0] == "250626-105451-03"  # low first

    for column in ("NUMBER", "DESCRIPTION", "ORDER_DATE", "ADDRESS", "STATUS"):
        for descending in (False, True):
            everything = await listed(
                service, STAFF, sort={"column": column, "descending": descending}
            )
            seen, after = [], None
            while True:
                data = (
                    await service.graphql(
                        ORDERS,
                        {
                            "first": 2,
                            "after": after,
                            "sort": {"column": column, "descending": descending},
                        },
                        principal=STAFF,
                    )
                )["orders"]
                assert data["totalCount"] == 3
                seen += [edge["node"]["number"] for edge in data["edges"]]
                if not data["pageInfo"]["hasNextPage"]:
                    break
                after = data["pageInfo"]["endCursor"]
            assert seen == everything, (column, descending)

    for cursor in ("garbage", encode_cursor([{"$gt": None}, ""]), encode_cursor(["1", "x"])):
        response = await service.post_graphql(ORDERS, {"after": cursor}, STAFF)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_long = await service.post_graphql(ORDERS, {"filter": {"search": "x" * 201}}, STAFF)
    assert too_long.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_calls_without_a_valid_principal_are_refused(service):
    response = await service.client.post("/graphql", json={"query": "{ orders { totalCount } }"})
    assert response.status_code == 401
    response = await service.client.get("/attachments/abc")
    assert response.status_code == 401


_text = st.one_of(st.text(max_size=50), st.sampled_from(["warranty", "billable", "normal", ""]))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    order_type=_text,
    description=st.one_of(st.text(), st.just("x" * 5001)),
    customer=st.one_of(st.text(max_size=80), st.just("org-customer")),
    priority=st.one_of(st.none(), _text),
    street=st.text(max_size=400),
)
async def test_any_create_input_is_answered_with_an_order_or_user_errors(
    service, order_type, description, customer, priority, street
):
    before = (await service.graphql(ORDERS, {"first": 0}, principal=STAFF))["orders"]["totalCount"]
    response = await service.post_graphql(
        CREATE,
        {
            "input": {
                "orderType": order_type,
                "description": description,
                "customerOrganisationId": customer,
                "priority": priority,
                "object": {"address": {"street": street}},
            }
        },
        STAFF,
    )
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert "errors" not in body, body["errors"]
    payload = body["data"]["createOrder"]
    after = (await service.graphql(ORDERS, {"first": 0}, principal=STAFF))["orders"]["totalCount"]
    if payload["order"] is None:
        assert payload["userErrors"]
        assert after == before
    else:
        assert payload["userErrors"] == []
        assert after == before + 1


async def test_a_tenants_first_order_gets_its_configured_first_number(service):
    # The tenants' configurations: Familjebostäder starts at AO 2375, Avonova at 307390.
    fb_input = {"orderType": "fel", "description": "Fel", "customerOrganisationId": "fb"}
    first = await ok(service, CREATE, FOREIGN_STAFF, **fb_input)
    second = await ok(service, CREATE, FOREIGN_STAFF, **fb_input)
    assert (first["number"], first["invoiceReference"]) == ("2375", "AO2375")
    assert second["number"] == "2376"
    avonova_staff = make_principal("avonova", user="kundeansvarlig", staff=True)
    avonova = await ok(
        service, CREATE, avonova_staff, customerOrganisationId="demokunde", description="Kurs"
    )
    assert avonova["number"] == "307390"
    assert await listed(service, FOREIGN_STAFF, filter={"search": "2375"}) == ["2375"]


async def test_numbers_are_unique_per_tenant_under_concurrency(service, clock):
    fb_input = {"orderType": "fel", "description": "Fel", "customerOrganisationId": "fb"}
    results = await asyncio.gather(
        *(call(service, CREATE, STAFF, **order_input()) for _ in range(12)),
        *(call(service, CREATE, FOREIGN_STAFF, **fb_input) for _ in range(5)),
    )
    assert all(r["userErrors"] == [] for r in results)
    jm = sorted(r["order"]["number"] for r in results[:12])
    # All in the same second: JM's numbers differ in their last part.
    assert jm == [f"250626-105451-{n:02d}" for n in range(1, 13)]
    # Familjebostäder's go on from its configured first number, gap-free.
    assert sorted(int(r["order"]["number"]) for r in results[12:]) == list(range(2375, 2380))
    clock.advance(seconds=1)
    later = await create(service)
    assert later["number"] == "250626-105452-01"


async def test_the_tenants_configuration_is_readable_in_the_callers_language(service):
    query = """{ orderConfiguration { version priorities { code label }
        orderTypes { code label workflow statuses { code label category terminal }
          transitions { source target actors requiredFields commentRequired } } } }"""
    norwegian = make_principal("jm", user="ue-1", memberships={"emma": ("user",)}, locale="nb")
    data = (await service.graphql(query, principal=norwegian))["orderConfiguration"]
    billable = next(t for t in data["orderTypes"] if t["code"] == "billable")
    assert billable["label"] == "Fakturerbart oppdrag"
    assert [s["label"] for s in billable["statuses"]][:3] == [
        "Ny",
        "Bestilling mottatt",
        "Materialer bestilt",
    ]
    done = next(t for t in billable["transitions"] if t["target"] == "done")
    assert done["requiredFields"] == ["faultType", "rootCause", "actionTaken"]
    assert (await service.graphql(query, principal=ANONYMOUS))["orderConfiguration"] is None


async def test_only_staff_assign_and_not_once_finished(service):
    order = await assigned(service)
    by_contractor = await call(
        service,
        ASSIGN,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        assigneeOrganisationId="org-second",
    )
    assert errors(by_contractor) == [(None, "FORBIDDEN")]
    by_outsider = await call(
        service,
        ASSIGN,
        OTHER_CUSTOMER,
        id=order["id"],
        version=order["version"],
        assigneeOrganisationId="org-second",
    )
    assert errors(by_outsider) == [("id", "NOT_FOUND")]
    declined = await ok(
        service,
        TRANSITION,
        CONTRACTOR,
        id=order["id"],
        version=order["version"],
        status="declined",
        changes={"actionTaken": "Ikke vårt fag"},
    )
    closed = await call(
        service,
        ASSIGN,
        STAFF,
        id=order["id"],
        version=declined["version"],
        assigneeOrganisationId="org-second",
    )
    assert errors(closed) == [("id", "CLOSED")]
    # Re-assigning an open order moves it out of the first contractor's sight.
    other = await assigned(service)
    moved = await ok(
        service,
        ASSIGN,
        STAFF,
        id=other["id"],
        version=other["version"],
        assigneeOrganisationId="org-second",
    )
    assert moved["assigneeOrganisationId"] == "org-second"
    assert await read(service, other["id"], CONTRACTOR) is None
    assert (await read(service, other["id"], SECOND_CONTRACTOR))["myRole"] == "CONTRACTOR"


async def test_the_served_app_checks_sla_dates_periodically(settings_for, signer, clock):
    app = create_app(settings_for(OrdersSettings, sla_check_seconds=0.05), clock=clock)
    headers = {HEADER: signer.sign(STAFF)}
    async with app.router.lifespan_context(app):
        await know_organisations(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
            post = functools.partial(client.post, "/graphql", headers=headers)
            created = await post(json={"query": CREATE, "variables": {"input": order_input()}})
            order = created.json()["data"]["createOrder"]["order"]
            clock.advance(days=30)
            for _ in range(100):
                await asyncio.sleep(0.05)
                seen = await post(json={"query": ORDER_SLA, "variables": {"id": order["id"]}})
                if seen.json()["data"]["order"]["slaBreaches"] == ["contact", "delivery"]:
                    break
            else:
                raise AssertionError("the periodic SLA check did not run")


ORDER_SLA = "query($id: ID!) { order(id: $id) { slaBreaches } }"


@pytest.mark.parametrize(
    ("field", "foreign"),
    [
        ("customerOrganisationId", "fb-housing"),  # Familjebostäder's: another tenant's
        ("customerOrganisationId", "made-up-organisation"),
        ("assigneeOrganisationId", "testfirma"),  # Familjebostäder's contractor
        ("assigneeOrganisationId", "made-up-organisation"),
    ],
    ids=["customer-of-another-tenant", "customer-made-up", "assignee-of-another-tenant", "made-up"],
)
async def test_an_organisation_id_outside_the_tenant_is_refused_like_a_missing_one(
    service, nats_client, namespace, field, foreign
):
    refused = await call(service, CREATE, STAFF, **order_input(**{field: foreign}))
    assert refused["order"] is None
    assert errors(refused) == [(field, "NOT_FOUND")]
    assert refused["userErrors"][0]["message"] == "no such organisation"
    assert await listed(service, STAFF) == []  # nothing written
    # The first order that passes takes the first number: the refused one took none, and the
    # stream's first event is that order's.
    order = await create(service)
    assert order["number"] == "250626-105451-01"
    events = await stream_events(nats_client, namespace, "jm", 1)
    assert events[0]["subject"] == order["id"]
    # Assigning to another tenant's contractor is refused the same way, and changes nothing.
    assigning = await call(
        service,
        ASSIGN,
        STAFF,
        id=order["id"],
        version=order["version"],
        assigneeOrganisationId="testfirma",
    )
    assert errors(assigning) == [("assigneeOrganisationId", "NOT_FOUND")]
    assert (await read(service, order["id"], STAFF))["assigneeOrganisationId"] is None


async def test_answered_requests_leave_no_context_for_the_cyclic_collector(service):
    """A request's context (its unit of work, loaders and documents) goes with its answer,
    not at the collector's next run: under load that run came every few milliseconds."""

    mine, _, _ = await mine_theirs_and_foreign(service)
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            assert (await read(service, mine["id"], STAFF))["id"] == mine["id"]
            assert await listed(service, CONTRACTOR) == [mine["number"]]
        left = [o for o in gc.get_objects() if isinstance(o, OrdersContext)]
    finally:
        gc.enable()
    assert left == []
