"""The tickets subgraph in-process, against real NATS and MongoDB (or the stand-in)."""

import asyncio
import base64
import json
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_kit.graphql import encode_cursor
from portal_kit.principal import Principal
from portal_kit.testing.fakes import assert_query_takes_in_what_sights_see
from portal_kit.testing.harness import running_service
from portal_kit.testing.plugin import make_principal
from portal_tickets.adapters.repositories import TicketRepository
from portal_tickets.app import create_app
from portal_tickets.service_layer.access import TicketSight
from portal_tickets.settings import TicketsSettings

STAFF = make_principal("visma", user="staff-1", staff=True)
ANNA = make_principal("visma", user="anna", memberships={"org-school": ("user",)})
BO = make_principal("visma", user="bo", memberships={"org-school": ("user",)})
CARL = make_principal("visma", user="carl", memberships={"org-other": ("user",)})
FOREIGN_STAFF = make_principal("jm", user="staff-jm", staff=True)
# A member of two customers ('Vælg kunde'), with one of them chosen or none.
BOTH = {"org-school": ("user",), "org-other": ("user",)}
EVA = make_principal("visma", user="eva", memberships=BOTH)
EVA_AT_SCHOOL = make_principal(
    "visma", user="eva", memberships=BOTH, active_organisation="org-school"
)
EVA_AT_OTHER = make_principal(
    "visma", user="eva", memberships=BOTH, active_organisation="org-other"
)
ANONYMOUS = Principal.anonymous("visma")

TICKET_FIELDS = """id number ticketType subject description organisationId createdBy private
    status createdAt version"""
CREATE = f"""mutation($input: CreateTicketInput!) {{ createTicket(input: $input) {{
    ticket {{ {TICKET_FIELDS} }} userErrors {{ field code message }} }} }}"""
TICKET = f"query($id: ID!) {{ ticket(id: $id) {{ {TICKET_FIELDS} }} }}"
TICKETS = """query($first: Int, $after: String) {
  tickets(first: $first, after: $after, sort: OLDEST) {
    totalCount edges { cursor node { id number } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""


def ticket_input(**overrides):
    values = {
        "subject": "Cannot print the timetable",
        "description": "The print button does nothing.",
        "organisationId": "org-school",
    }
    values.update(overrides)
    return values


@pytest.fixture
async def service(settings_for, signer):
    async with running_service(create_app, settings_for(TicketsSettings), signer) as svc:
        yield svc


async def create(svc, principal=ANNA, **overrides):
    data = await svc.graphql(CREATE, {"input": ticket_input(**overrides)}, principal=principal)
    return data["createTicket"]


async def created(svc, principal=ANNA, **overrides):
    payload = await create(svc, principal, **overrides)
    assert payload["userErrors"] == []
    return payload["ticket"]


async def visible_numbers(svc, principal):
    data = await svc.graphql(TICKETS, {"first": 200}, principal=principal)
    numbers = [edge["node"]["number"] for edge in data["tickets"]["edges"]]
    assert data["tickets"]["totalCount"] == len(numbers)
    return numbers


async def read(svc, ticket_id, principal):
    return (await svc.graphql(TICKET, {"id": ticket_id}, principal=principal))["ticket"]


async def stream_events(nats_client, namespace, tenant, count):
    js = nats_client.jetstream()
    subscription = await js.subscribe(
        f"{namespace.event_prefix}.{tenant}.tickets.>",
        stream=f"{namespace.event_prefix.upper()}_TICKETS",
        ordered_consumer=True,
    )
    try:
        return [json.loads((await subscription.next_msg(timeout=10)).data) for _ in range(count)]
    finally:
        await subscription.unsubscribe()


async def test_a_member_opens_a_ticket_and_reads_it_back(service):
    before = datetime.now(UTC).replace(microsecond=0)
    ticket = await created(service, subject="  Cannot   print  ")
    assert ticket["number"] == "1"
    assert ticket["subject"] == "Cannot print"
    assert (ticket["ticketType"], ticket["status"], ticket["private"]) == (
        "unclassified",
        "open",
        False,
    )
    assert (ticket["organisationId"], ticket["createdBy"], ticket["version"]) == (
        "org-school",
        "anna",
        1,
    )
    assert before <= datetime.fromisoformat(ticket["createdAt"]) <= datetime.now(UTC)
    assert await read(service, ticket["id"], ANNA) == ticket

    by_staff = await created(service, STAFF, organisationId="org-other", ticketType="incident")
    assert (by_staff["number"], by_staff["ticketType"], by_staff["createdBy"]) == (
        "2",
        "incident",
        "staff-1",
    )


async def test_the_repository_query_takes_in_what_the_sight_sees(service):
    """The fast tests' fakes read through `TicketSight.sees`, MongoDB through the repository's
    query: both take in the same tickets."""
    for principal, overrides in (
        (ANNA, {}),
        (ANNA, {"private": True}),
        (BO, {"private": True}),
        (STAFF, {"private": True}),
        (CARL, {"organisationId": "org-other"}),
    ):
        await created(service, principal, **overrides)
    repository = TicketRepository(service.runtime.database, "visma")
    assert (await repository.page_for(TicketSight(everything=True), None, 10)).total == 5
    loner = make_principal("visma", user="dora")
    await assert_query_takes_in_what_sights_see(
        repository,
        TicketSight(everything=True),
        [
            TicketSight.of(p)
            for p in (STAFF, ANNA, BO, CARL, ANONYMOUS, loner, EVA, EVA_AT_SCHOOL, EVA_AT_OTHER)
        ],
    )


async def test_a_member_of_two_customers_who_chose_one_sees_that_ones_tickets_alone(service):
    school = await created(service, ANNA)
    own_at_school = await created(service, EVA, organisationId="org-school", private=True)
    own_at_other = await created(service, EVA, organisationId="org-other", private=True)
    other = await created(service, CARL, organisationId="org-other")
    numbers = [t["number"] for t in (school, own_at_school, own_at_other, other)]

    assert await visible_numbers(service, EVA) == numbers
    assert await visible_numbers(service, EVA_AT_SCHOOL) == numbers[:2]
    assert await visible_numbers(service, EVA_AT_OTHER) == numbers[2:]
    assert await read(service, own_at_other["id"], EVA_AT_SCHOOL) is None
    assert (await read(service, own_at_other["id"], EVA_AT_OTHER))["number"] == numbers[2]
    # Working for one customer, a ticket is opened for that one, not for the other.
    refused = await create(service, EVA_AT_SCHOOL, organisationId="org-other")
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        ("organisationId", "NOT_FOUND")
    ]
    assert await visible_numbers(service, EVA) == numbers


async def test_visibility_of_own_organisation_and_private_tickets(service):
    public = await created(service, ANNA)
    private = await created(service, ANNA, private=True)
    bos_private = await created(service, BO, private=True)
    staff_private = await created(service, STAFF, private=True)
    others = await created(service, CARL, organisationId="org-other")
    foreign = await created(service, FOREIGN_STAFF)

    assert await visible_numbers(service, STAFF) == ["1", "2", "3", "4", "5"]
    assert await visible_numbers(service, ANNA) == ["1", "2"]
    assert await visible_numbers(service, BO) == ["1", "3"]
    assert await visible_numbers(service, CARL) == ["5"]
    assert await visible_numbers(service, ANONYMOUS) == []
    assert await visible_numbers(service, FOREIGN_STAFF) == ["1"]

    assert (await read(service, public["id"], BO))["number"] == "1"
    for hidden in (private, staff_private, others):
        assert await read(service, hidden["id"], BO) is None
    assert await read(service, bos_private["id"], ANNA) is None
    # Another tenant's ids answer exactly like ids that do not exist.
    assert await read(service, foreign["id"], STAFF) is None
    assert await read(service, public["id"], FOREIGN_STAFF) is None
    assert await read(service, "no-such-ticket", STAFF) is None

    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Ticket { number creator { id } organisation { id } } } }"""
    representations = [{"__typename": "Ticket", "id": t["id"]} for t in (public, private)]
    by_bo = await service.graphql(query, {"r": representations}, principal=BO)
    assert by_bo["_entities"] == [
        {"number": "1", "creator": {"id": "anna"}, "organisation": {"id": "org-school"}},
        None,
    ]


async def test_only_members_of_the_organisation_or_staff_open_tickets_for_it(service):
    refused = await create(service, CARL)
    assert refused["ticket"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        ("organisationId", "NOT_FOUND")
    ]
    anonymous = await create(service, ANONYMOUS)
    assert [e["code"] for e in anonymous["userErrors"]] == ["FORBIDDEN"]
    assert await visible_numbers(service, STAFF) == []


async def test_numbers_are_unique_and_sequential_per_tenant_under_concurrency(service):
    results = await asyncio.gather(
        *[create(service) for _ in range(10)], *[create(service, FOREIGN_STAFF) for _ in range(2)]
    )
    assert all(r["userErrors"] == [] for r in results)
    assert sorted(int(r["ticket"]["number"]) for r in results[:10]) == list(range(1, 11))
    assert sorted(int(r["ticket"]["number"]) for r in results[10:]) == [1, 2]


async def test_bad_input_gives_user_errors_writes_nothing_and_emits_nothing(
    service, nats_client, namespace
):
    payload = await create(
        service,
        subject="s" * 201,
        description="",
        organisationId="",
        ticketType="complaint",
    )
    assert payload["ticket"] is None
    assert sorted((e["field"], e["code"]) for e in payload["userErrors"]) == [
        ("description", "REQUIRED"),
        ("organisationId", "REQUIRED"),
        ("subject", "TOO_LONG"),
        ("ticketType", "UNKNOWN_CODE"),
    ]
    for bad in (
        {"subject": "   "},
        {"subject": "bell\x07"},
        {"description": "d" * 20001},
        {"ticketType": " "},
        {"organisationId": "org school"},
    ):
        refused = await create(service, **bad)
        assert refused["ticket"] is None and refused["userErrors"], bad
    assert await visible_numbers(service, STAFF) == []

    ticket = await created(service)
    assert ticket["number"] == "1"
    [event] = await stream_events(nats_client, namespace, "visma", 1)
    assert event["subject"] == ticket["id"]
    info = await nats_client.jetstream().stream_info(service.runtime.names.stream)
    assert info.state.messages == 1


async def test_the_created_event_reaches_jetstream_without_free_text(
    service, nats_client, namespace
):
    ticket = await created(
        service, subject="Anna Svensson, 070-123 45 67", description="Call me", private=True
    )
    [event] = await stream_events(nats_client, namespace, "visma", 1)
    assert event["type"] == "portal.tickets.ticket.created"
    assert (event["specversion"], event["source"], event["tenant"]) == (
        "1.0",
        "/portal/tickets",
        "visma",
    )
    assert event["subject"] == ticket["id"]
    assert event["data"] == {
        "ticket_id": ticket["id"],
        "number": "1",
        "ticket_type": "unclassified",
        "status": "open",
        "organisation_id": "org-school",
        "created_by": "anna",
        "private": True,
        "service": None,
        "sub_service": None,
        "urgency": None,
        "impact": None,
        "topic": None,
        "files": 0,
    }
    assert "Svensson" not in json.dumps(event) and "Call me" not in json.dumps(event)


async def test_pages_follow_the_number_with_keyset_cursors(service):
    for _ in range(3):
        await created(service)
    first = (await service.graphql(TICKETS, {"first": 2}, principal=ANNA))["tickets"]
    assert [e["node"]["number"] for e in first["edges"]] == ["1", "2"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await service.graphql(
            TICKETS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, principal=ANNA
        )
    )["tickets"]
    assert [e["node"]["number"] for e in rest["edges"]] == ["3"]
    assert (rest["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasPreviousPage"]) == (False, True)
    for cursor in ("%%%", encode_cursor([{"$ne": None}, "x"])):
        response = await service.post_graphql(TICKETS, {"after": cursor}, ANNA)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


_long = st.builds(lambda c, n: c * n, st.characters(), st.integers(190, 210))
_text = st.one_of(st.text(), _long)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    subject=_text,
    description=st.one_of(st.text(), st.just("x" * 20001)),
    organisation=st.one_of(st.text(max_size=80), st.just("org-school")),
    ticket_type=st.one_of(st.none(), st.text(), st.sampled_from(["incident", "question"])),
    private=st.one_of(st.none(), st.booleans()),
    principal=st.sampled_from([STAFF, ANNA]),
)
async def test_any_create_input_is_answered_with_a_ticket_or_user_errors(
    service, subject, description, organisation, ticket_type, private, principal
):
    before = (await service.graphql(TICKETS, {"first": 0}, principal=STAFF))["tickets"]
    response = await service.post_graphql(
        CREATE,
        {
            "input": {
                "subject": subject,
                "description": description,
                "organisationId": organisation,
                "ticketType": ticket_type,
                "private": private,
            }
        },
        principal,
    )
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert "errors" not in body, body["errors"]
    payload = body["data"]["createTicket"]
    after = (await service.graphql(TICKETS, {"first": 0}, principal=STAFF))["tickets"]
    if payload["ticket"] is None:
        assert payload["userErrors"]
        assert after["totalCount"] == before["totalCount"]
    else:
        assert payload["userErrors"] == []
        assert after["totalCount"] == before["totalCount"] + 1
        assert payload["ticket"]["number"] == str(after["totalCount"])


# -- Visma Enterprise's form: hypothesis over create and post ---------------------------------

PATRICK = make_principal(
    "visma-enterprise", user="patrick", memberships={"bpo": ("user",)}, locale="da"
)
AGENT = make_principal("visma-enterprise", user="agent", staff=True, locale="da")
VE_CREATE = """mutation($input: CreateTicketInput!) { createTicket(input: $input) {
    ticket { id number version } userErrors { field code message } } }"""
VE_POST = """mutation($input: AddTicketPostInput!) { addTicketPost(input: $input) {
    ticket { id version feed { kind text } files { filename } }
    userErrors { field code message } } }"""
VE_COUNT = "{ tickets(first: 0) { totalCount } }"
VE_READ = "query($id: ID!) { ticket(id: $id) { version feed { id } files { id } } }"

_code = st.one_of(
    st.none(), st.text(max_size=20), st.sampled_from(["visma_lon_abc", "fejl", "mindre"])
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    service_code=st.one_of(_code, st.just("visma_lon_abc")),
    ticket_type=st.one_of(_code, st.just("fejl")),
    urgency=st.one_of(_code, st.just("mindre")),
    impact=st.one_of(_code, st.just("users_10_0")),
    topic=st.one_of(_code, st.just("konsulentbistand")),
    title=st.one_of(st.none(), _text),
    description=st.one_of(st.none(), st.text(), st.just("x" * 20001)),
    private=st.one_of(st.none(), st.booleans()),
    organisation=st.one_of(st.none(), st.just("bpo"), st.text(max_size=70)),
    file=st.one_of(st.none(), st.binary(max_size=64), st.just(b"\x89PNG\r\n\x1a\n\x00\x00")),
)
async def test_any_visma_enterprise_create_input_is_a_case_or_user_errors(
    service,
    service_code,
    ticket_type,
    urgency,
    impact,
    topic,
    title,
    description,
    private,
    organisation,
    file,
):
    before = (await service.graphql(VE_COUNT, principal=AGENT))["tickets"]["totalCount"]
    attachments = (
        None
        if file is None
        else [{"filename": "f.png", "contentBase64": base64.b64encode(file).decode()}]
    )
    response = await service.post_graphql(
        VE_CREATE,
        {
            "input": {
                "organisationId": organisation,
                "service": service_code,
                "ticketType": ticket_type,
                "urgency": urgency,
                "impact": impact,
                "topic": topic,
                "title": title,
                "description": description,
                "private": private,
                "attachments": attachments,
            }
        },
        PATRICK,
    )
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert "errors" not in body, body["errors"]
    payload = body["data"]["createTicket"]
    after = (await service.graphql(VE_COUNT, principal=AGENT))["tickets"]["totalCount"]
    if payload["ticket"] is None:
        assert payload["userErrors"] and all(e["field"] for e in payload["userErrors"])
        assert after == before
    else:
        assert payload["userErrors"] == []
        assert after == before + 1
        assert payload["ticket"]["number"] == str(2195 + after).zfill(8)


@pytest.fixture
async def case(service):
    payload = await service.graphql(
        VE_CREATE,
        {
            "input": {
                "service": "visma_lon_abc",
                "ticketType": "fejl",
                "urgency": "mindre",
                "impact": "users_10_0",
                "topic": "konsulentbistand",
                "title": "Fejl",
                "description": "Systemfejl",
            }
        },
        principal=PATRICK,
    )
    assert payload["createTicket"]["userErrors"] == []
    return payload["createTicket"]["ticket"]["id"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=_text,
    internal=st.booleans(),
    principal=st.sampled_from([PATRICK, AGENT]),
    stale=st.booleans(),
    file=st.one_of(st.none(), st.binary(max_size=64), st.just(b"\x89PNG\r\n\x1a\n\x00\x00")),
)
async def test_any_post_is_an_entry_or_user_errors_and_nothing_else_changes(
    service, case, text, internal, principal, stale, file
):
    before = (await service.graphql(VE_READ, {"id": case}, principal=AGENT))["ticket"]
    attachments = (
        None
        if file is None
        else [{"filename": "f.png", "contentBase64": base64.b64encode(file).decode()}]
    )
    variables = {
        "input": {
            "id": case,
            "version": before["version"] - 1 if stale else before["version"],
            "text": text,
            "internal": internal,
            "attachments": attachments,
        }
    }
    response = await service.post_graphql(VE_POST, variables, principal)
    body = orjson.loads(response.content)
    assert response.status_code == 200 and "errors" not in body, body
    payload = body["data"]["addTicketPost"]
    after = (await service.graphql(VE_READ, {"id": case}, principal=AGENT))["ticket"]
    if payload["ticket"] is None:
        assert payload["userErrors"]
        assert after == before
    else:
        assert not stale and payload["userErrors"] == []
        assert len(after["feed"]) == len(before["feed"]) + 1
        assert after["version"] == before["version"] + 1
        assert len(after["files"]) == len(before["files"]) + (file is not None)


# -- people's events keep the read models -----------------------------------------------------


async def publish_people_event(nats_client, namespace, tenant, event_type, data):
    from portal_kit.clock import utc_now
    from portal_kit.events import CloudEvent, new_event_id

    aggregate, name = event_type.split(".")
    event = CloudEvent(
        id=new_event_id(),
        source="/portal/people",
        type=f"portal.people.{aggregate}.{name}",
        subject=aggregate,
        time=utc_now(),
        data=data,
        tenant=tenant,
    )
    await nats_client.jetstream().publish(
        f"{namespace.event_prefix}.{tenant}.people.{aggregate}.{name}",
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.id},
    )


async def eventually(check, seconds=10.0):
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the read model never caught up")


async def test_peoples_events_let_a_parent_see_departments_and_offer_a_customer_its_products(
    service, nats_client, namespace
):
    dora = make_principal("visma", user="dora", memberships={"org-dept": ("user",)})
    ticket = await created(service, dora, organisationId="org-dept")
    await publish_people_event(
        nats_client,
        namespace,
        "visma",
        "organisation.created",
        {"organisation_id": "org-dept", "kind": "customer", "parent_id": "org-school"},
    )

    async def parent_sees() -> bool:
        return await read(service, ticket["id"], ANNA) is not None

    await eventually(parent_sees)
    assert await read(service, ticket["id"], CARL) is None

    form = "{ ticketForm { services { code } } }"
    assert (await service.graphql(form, principal=PATRICK))["ticketForm"]["services"] == [
        {"code": c} for c in ("visma_lon_abc", "visma_hr", "visma_lonservice")
    ]
    await publish_people_event(
        nats_client,
        namespace,
        "visma-enterprise",
        "product_access.changed",
        {"holder_kind": "organisation", "holder_id": "bpo", "products": ["visma_hr"]},
    )

    async def offered() -> bool:
        answer = await service.graphql(form, principal=PATRICK)
        return answer["ticketForm"]["services"] == [{"code": "visma_hr"}]

    await eventually(offered)


async def test_every_change_is_an_event_on_jetstream_without_free_text(
    service, nats_client, namespace
):
    await publish_people_event(
        nats_client,
        namespace,
        "visma-enterprise",
        "product_access.changed",
        {"holder_kind": "user", "holder_id": "karen", "products": ["visma_lon_abc"]},
    )
    create = """mutation($input: CreateTicketInput!) { createTicket(input: $input) {
        ticket { id version } userErrors { code } } }"""
    change = """mutation($input: %s!) { %s(input: $input) {
        ticket { id version } userErrors { field code } } }"""
    secret = "Ring Karen Kollega på 20 30 40 50"
    case = (
        await service.graphql(
            create,
            {
                "input": {
                    "service": "visma_lon_abc",
                    "ticketType": "fejl",
                    "urgency": "mindre",
                    "impact": "users_10_0",
                    "topic": "konsulentbistand",
                    "title": secret,
                    "description": secret,
                }
            },
            principal=PATRICK,
        )
    )["createTicket"]["ticket"]

    async def do(principal, input_type, field, **input):
        for _ in range(100):
            answer = (
                await service.graphql(
                    change % (input_type, field),
                    {"input": {"id": case["id"], "version": case["version"], **input}},
                    principal=principal,
                )
            )[field]
            if answer["userErrors"] == []:
                case.update(answer["ticket"])
                return
            await asyncio.sleep(0.05)  # the follower's product access is on its way
        raise AssertionError(answer)

    await do(PATRICK, "TicketFollowerInput", "addTicketFollower", userId="karen")
    await do(AGENT, "AddTicketPostInput", "addTicketPost", text=secret)
    await do(PATRICK, "TicketVersionInput", "closeTicket")
    await do(PATRICK, "TicketVersionInput", "reopenTicket")
    await do(PATRICK, "TicketFollowerInput", "removeTicketFollower", userId="karen")
    await do(AGENT, "AssignTicketInput", "assignTicket", teamCode="loen_team")
    events = await stream_events(nats_client, namespace, "visma-enterprise", 10)
    assert [e["type"].rsplit(".", 1)[1] for e in events] == [
        "created",
        "owner_changed",
        "follower_added",
        "post_added",
        "status_changed",
        "closed",
        "status_changed",
        "reopened",
        "follower_removed",
        "owner_changed",
    ] + [e["type"].rsplit(".", 1)[1] for e in events[10:]]
    assert all(
        e["subject"] == case["id"] and e["data"]["number"] == "00002196" for e in events[:10]
    )
    assert "Karen" not in json.dumps(events) and "20 30" not in json.dumps(events)
    assert events[3]["data"]["author_side"] == "staff" and events[3]["data"]["internal"] is False


async def test_another_tenants_ticket_cannot_be_changed_and_answers_like_a_missing_one(service):
    ticket = await created(service)
    post = """mutation($input: AddTicketPostInput!) { addTicketPost(input: $input) {
        ticket { id } userErrors { field code } } }"""
    for ticket_id in (ticket["id"], "no-such-ticket"):
        answer = await service.graphql(
            post, {"input": {"id": ticket_id, "version": 1, "text": "hej"}}, principal=FOREIGN_STAFF
        )
        assert answer["addTicketPost"] == {
            "ticket": None,
            "userErrors": [{"field": "id", "code": "NOT_FOUND"}],
        }
    assert (await read(service, ticket["id"], ANNA))["version"] == 1
