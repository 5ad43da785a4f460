"""A reference to another subgraph's entity never takes more than itself down: every such field
in the supergraph is nullable, and through the gateway a caller who may see a record but not what
it names still gets the record, with that reference null. What a record the caller sees must
show (the operator organisation, the operator's contact person, colleagues) is readable to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    build_schema,
    get_named_type,
)
from graphql.language import DirectiveNode, StringValueNode
from portal_billing.app import create_app as create_billing_app
from portal_billing.settings import BillingSettings
from portal_gateway.testing.serving import serving
from portal_kit.testing.nats_server import free_port
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_orders.testing import know_organisations, publish_people_event
from portal_tickets.app import create_app as create_tickets_app
from portal_tickets.settings import TicketsSettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SUPERGRAPH = Path(__file__).resolve().parents[2] / "deploy" / "supergraph.graphql"


# -- every reference in the supergraph ------------------------------------------------------------


def _graphs(directives: tuple[DirectiveNode, ...] | None, name: str) -> list[dict[str, Any]]:
    """The arguments of each `@<name>` directive, as plain values."""
    found = []
    for directive in directives or ():
        if directive.name.value != name:
            continue
        arguments: dict[str, Any] = {}
        for argument in directive.arguments:
            value = argument.value
            arguments[argument.name.value] = (
                value.value if isinstance(value, StringValueNode) else getattr(value, "value", None)
            )
        found.append(arguments)
    return found


def cross_service_references(sdl: str) -> dict[str, GraphQLOutputType]:
    """Every field (`Type.field`) whose type is an entity that none of the subgraphs defining
    the field resolves: the gateway fetches it from another subgraph, which may answer null."""
    schema = build_schema(sdl, assume_valid=True)
    resolvers: dict[str, set[str]] = {}  # entity -> graphs that resolve it
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and type_.ast_node is not None:
            joins = _graphs(type_.ast_node.directives, "join__type")
            keyed = {j["graph"] for j in joins if j.get("key") and j.get("resolvable") is not False}
            if keyed:
                resolvers[type_.name] = keyed
    references: dict[str, GraphQLOutputType] = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.ast_node is None:
            continue
        owners = {j["graph"] for j in _graphs(type_.ast_node.directives, "join__type")}
        for name, field in type_.fields.items():
            target = get_named_type(field.type).name
            if target not in resolvers or field.ast_node is None:
                continue
            joins = _graphs(field.ast_node.directives, "join__field")
            defined_in = {j["graph"] for j in joins if j.get("graph")} or owners
            if not defined_in & resolvers[target]:
                references[f"{type_.name}.{name}"] = field.type
    return references


def nullable_throughout(type_: GraphQLOutputType) -> bool:
    """Null allowed at the reference itself, and at each item of a list of references."""
    if isinstance(type_, GraphQLNonNull):
        inner = type_.of_type
        return isinstance(inner, GraphQLList) and nullable_throughout(inner.of_type)
    if isinstance(type_, GraphQLList):
        return nullable_throughout(type_.of_type)
    return True


def test_every_reference_to_another_subgraphs_entity_is_nullable() -> None:
    references = cross_service_references(SUPERGRAPH.read_text())
    # The walk finds the references we know of (and any added later).
    assert {
        "Invoice.payerOrganisation",
        "Order.customerOrganisation",
        "Order.assigneeOrganisation",
        "OrderContact.user",
        "OrderBooking.employees",
        "Ticket.organisation",
        "Ticket.creator",
    } <= set(references)
    # A field of the entity's own subgraph is no cross-service reference.
    assert "Membership.organisation" not in references
    assert "OrderBundle.orders" not in references
    non_null = sorted(
        f"{name}: {t}" for name, t in references.items() if not nullable_throughout(t)
    )
    assert non_null == []


def test_the_walk_reports_a_non_null_reference() -> None:
    sdl = (
        SUPERGRAPH.read_text()
        .replace("customerOrganisation: Organisation\n", "customerOrganisation: Organisation!\n")
        .replace("employees: [Employee]!\n", "employees: [Employee!]!\n")
    )
    references = cross_service_references(sdl)
    assert not nullable_throughout(references["Order.customerOrganisation"])
    assert not nullable_throughout(references["OrderBooking.employees"])
    assert nullable_throughout(references["Order.assigneeOrganisation"])


# -- through the gateway ---------------------------------------------------------------------------


@pytest.fixture
async def gw(
    people: str, settings_for: Any, issuer: Any, start_gateway: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway over the real people and orders subgraphs."""
    orders_app = create_orders_app(settings_for(OrdersSettings))
    async with (
        serving(orders_app) as orders,
        start_gateway(
            people_url=people, orders_url=f"{orders}/graphql", jwks_url=issuer.url
        ) as client,
    ):
        await know_organisations(orders_app)
        yield client


SELECTIONS = {
    "createTicket": "ticket { id version }",
    "assignTicket": "ticket { id version }",
    "addTicketFollower": "ticket { id version }",
    "createInvoice": "invoice { id }",
    "createArticle": "article { id }",
    "createTenant": "tenant { id }",
    "createOrganisation": "organisation { id }",
    "changeOrganisation": "organisation { id }",
    "createUser": "user { id }",
    "addEmployee": "employee { id }",
    "createOrder": "order { id version }",
    "assignOrder": "order { id version }",
    "addBookingSlot": "order { id version bookings { id } }",
    "bookEmployee": "order { id version }",
}


class Caller:
    """Mutations through the gateway with one token; each must succeed."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.token = client, token

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def do(self, field: str, **input: Any) -> dict[str, Any]:
        input_type = f"{field[0].upper()}{field[1:]}Input"
        body = await self.query(
            f"mutation($input: {input_type}!) {{ {field}(input: $input) "
            f"{{ {SELECTIONS[field]} userErrors {{ field code message }} }} }}",
            {"input": input},
        )
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"][field]
        assert result["userErrors"] == [], result
        return result


async def tenant_with(
    gw: httpx.AsyncClient, issuer: Any, tenant: str, organisations: dict[str, str]
) -> tuple[Caller, dict[str, str]]:
    """A tenant with these organisations (name: kind); a loader of it and their ids."""
    root = Caller(gw, issuer.token(user="root", tenant="platform", scopes=["platform:admin"]))
    country, locale = {"familjebostader": ("SE", "sv"), "avonova": ("NO", "nb")}[tenant]
    await root.do(
        "createTenant",
        id=tenant,
        name=tenant,
        configuration={"country": country, "locales": [locale, "en"], "default_locale": locale},
    )
    loader = Caller(
        gw, issuer.token(user="loader", tenant=tenant, staff=True, scopes=["platform:admin"])
    )
    ids = {}
    for name, kind in organisations.items():
        created = await loader.do("createOrganisation", name=name, kind=kind)
        ids[name] = created["organisation"]["id"]
    return loader, ids


async def user_in(
    loader: Caller, organisation: str, username: str, name: str, roles: list[str]
) -> str:
    created = await loader.do(
        "createUser",
        username=username,
        email=f"{username.replace('/', '.')}@example.com",
        name=name,
        memberships=[{"organisationId": organisation, "roles": roles}],
    )
    user_id: str = created["user"]["id"]
    return user_id


def member(
    gw: httpx.AsyncClient,
    issuer: Any,
    tenant: str,
    user: str,
    organisation: str,
    *roles: str,
    staff: bool = False,
) -> Caller:
    """A logged-in member of one organisation (of the operator's: `staff`)."""
    memberships = [{"organisation": organisation, "roles": list(roles or ("user",))}]
    return Caller(gw, issuer.token(user=user, tenant=tenant, staff=staff, memberships=memberships))


FB_ORDERS = """{ orders { edges { node { number description
  customerOrganisation { name kind invoiceAddress { street postalCode city } }
  assigneeOrganisation { name }
  operatorContact { name user { name email memberships { organisationId } firstLoginSteps } }
  assigneeContact { name user { name } } } } } }"""


async def test_a_familjebostader_contractor_reads_its_orders_with_what_they_name(gw, issuer):
    loader, ids = await tenant_with(
        gw,
        issuer,
        "familjebostader",
        {
            "Familjebostäder AB": "OPERATOR",
            "Testfirma AB": "CONTRACTOR",
            "Brf Torögatan": "CUSTOMER",
        },
    )
    fb, testfirma, brf = ids["Familjebostäder AB"], ids["Testfirma AB"], ids["Brf Torögatan"]
    await loader.do(
        "changeOrganisation",
        id=fb,
        version=1,
        invoiceAddress={"street": "Box 92100", "postalCode": "120 07", "city": "Stockholm"},
    )
    elsa = await user_in(loader, fb, "elsa.osterberg", "Elsa Österberg", ["admin"])
    contractor = await user_in(loader, testfirma, "1999/99999", "Testfirma AB", ["user"])
    colleague = await user_in(loader, testfirma, "1999/88888", "Nyfirma AB", ["user"])
    board = await user_in(loader, brf, "styrelsen", "Styrelsen Brf", ["admin"])
    staff = member(gw, issuer, "familjebostader", elsa, fb, "admin", staff=True)
    for description, customer, orderer in (
        ("Kommer inget vatten", fb, elsa),
        # Ordered by a customer the contractor has no sight of, through its board member.
        ("Brf:s dörr", brf, board),
    ):
        order = await staff.do(
            "createOrder",
            orderType="fel",
            description=description,
            customerOrganisationId=customer,
            operatorContact={"userId": orderer, "name": "Beställare"},
        )
        await staff.do(
            "assignOrder",
            id=order["order"]["id"],
            version=order["order"]["version"],
            assigneeOrganisationId=testfirma,
            assigneeContact={"userId": colleague, "name": "Kollega"},
        )
    by_contractor = await member(gw, issuer, "familjebostader", contractor, testfirma).query(
        FB_ORDERS
    )
    by_customer = await member(gw, issuer, "familjebostader", board, brf, "admin").query(FB_ORDERS)
    # The customer organisation is out of the contractor's sight otherwise: by id, null.
    hidden = await member(gw, issuer, "familjebostader", contractor, testfirma).query(
        "query($id: ID!) { organisation(id: $id) { name } }", {"id": brf}
    )

    assert "errors" not in by_contractor, by_contractor
    nodes = {n["description"]: n for n in _nodes(by_contractor)}
    assert set(nodes) == {"Kommer inget vatten", "Brf:s dörr"}
    # Familjebostäder's own work order: its 'Fakturauppgifter' and its orderer are readable.
    own = nodes["Kommer inget vatten"]
    assert own["customerOrganisation"] == {
        "name": "Familjebostäder AB",
        "kind": "OPERATOR",
        "invoiceAddress": {"street": "Box 92100", "postalCode": "120 07", "city": "Stockholm"},
    }
    assert own["assigneeOrganisation"] == {"name": "Testfirma AB"}
    assert own["operatorContact"] == {
        "name": "Beställare",
        # The contact card: name and e-mail, nothing of the account's memberships or login.
        "user": {
            "name": "Elsa Österberg",
            "email": "elsa.osterberg@example.com",
            "memberships": [],
            "firstLoginSteps": [],
        },
    }
    assert own["assigneeContact"] == {"name": "Kollega", "user": {"name": "Nyfirma AB"}}
    # The other customer's order still arrives; only what the contractor may not read is null.
    other = nodes["Brf:s dörr"]
    assert other["customerOrganisation"] is None
    assert other["operatorContact"] == {"name": "Beställare", "user": None}
    assert other["assigneeContact"] == {"name": "Kollega", "user": {"name": "Nyfirma AB"}}
    assert hidden == {"data": {"organisation": None}}
    # The customer's side of its order: the contractor organisation and its people are not the
    # customer's to read, and the order arrives all the same.
    assert "errors" not in by_customer, by_customer
    (ordered,) = _nodes(by_customer)
    assert ordered["customerOrganisation"] == {
        "name": "Brf Torögatan",
        "kind": "CUSTOMER",
        "invoiceAddress": None,
    }
    assert ordered["assigneeOrganisation"] is None
    assert ordered["assigneeContact"] == {"name": "Kollega", "user": None}
    assert ordered["operatorContact"]["user"]["name"] == "Styrelsen Brf"


def _nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["node"] for e in body["data"]["orders"]["edges"]]


async def health_check_booking(staff: Caller, *employees: str, **order: Any) -> None:
    """An Avonova health check ordered by staff with one booking slot and these employees."""
    created = (
        await staff.do(
            "createOrder", orderType="health_check", description="Helsekontroll", **order
        )
    )["order"]
    start = datetime.now(UTC) + timedelta(days=30)
    slotted = (
        await staff.do(
            "addBookingSlot",
            id=created["id"],
            version=created["version"],
            startsAt=start.isoformat(),
            endsAt=(start + timedelta(hours=1)).isoformat(),
            place="Oslo",
            capacity=5,
        )
    )["order"]
    version = slotted["version"]
    for employee in employees:
        version = (
            await book_when_known(
                staff, created["id"], version, slotted["bookings"][0]["id"], employee
            )
        )["order"]["version"]


async def book_when_known(
    caller: Caller, order_id: str, version: int, booking_id: str, employee_id: str
) -> dict[str, Any]:
    """Books, giving people's employee event a few seconds to reach orders' read model (an
    employee just added is refused with UNKNOWN_EMPLOYEE until then)."""
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        body = await caller.query(
            "mutation($input: BookEmployeeInput!) { bookEmployee(input: $input) { "
            f"{SELECTIONS['bookEmployee']} userErrors {{ field code message }} }} }}",
            {
                "input": {
                    "id": order_id,
                    "version": version,
                    "bookingId": booking_id,
                    "employeeId": employee_id,
                }
            },
        )
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]["bookEmployee"]
        late = [e["code"] for e in result["userErrors"]] == ["UNKNOWN_EMPLOYEE"]
        if not late or asyncio.get_running_loop().time() > deadline:
            assert result["userErrors"] == [], result
            return result
        await asyncio.sleep(0.1)


async def known_to_orders_only(
    nats_client: Any, namespace: Any, tenant: str, employee_id: str, organisation_id: str
) -> None:
    """An employee orders' read model knows (from a people event) but people holds no record
    of (say, erased there since): a booking can name an id nobody can resolve."""
    await publish_people_event(
        nats_client,
        namespace.event_prefix,
        tenant,
        "employee.created",
        {
            "employee_id": employee_id,
            "organisation_id": organisation_id,
            "national_id_registered": False,
        },
    )


async def invoice_to_an_organisation_billing_alone_knows(
    staff: Caller, nats_client: Any, namespace: Any, tenant: str, organisation_id: str
) -> None:
    """A draft to an organisation billing's read model knows from a people event (people holds
    no record of it), once billing has read the event."""
    await publish_people_event(
        nats_client,
        namespace.event_prefix,
        tenant,
        "organisation.created",
        {
            "organisation_id": organisation_id,
            "kind": "customer",
            "parent_id": None,
            "display_name": "Demokunde_Test",
        },
    )
    for _ in range(100):
        body = await staff.query(
            "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { "
            "invoice { id } userErrors { field code } } }",
            {
                "input": {
                    "payerOrganisationId": organisation_id,
                    "lines": [
                        {"description": "Helsekontroll", "quantity": "1", "unitPrice": "1250"}
                    ],
                }
            },
        )
        if body["data"]["createInvoice"]["invoice"] is not None:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("billing never learnt the organisation")


AVONOVA_ORDERS = """{ orders { edges { node { description
  customerOrganisation { name }
  bookings { booked employees { firstName lastName } } } } } }"""


async def test_a_booking_naming_an_unknown_employee_still_lists_with_that_employee_null(
    gw, issuer, nats_client, namespace
):
    loader, ids = await tenant_with(
        gw,
        issuer,
        "avonova",
        {"Avonova Helse AS": "OPERATOR", "Demokunde_Test": "CUSTOMER"},
    )
    avonova, customer = ids["Avonova Helse AS"], ids["Demokunde_Test"]
    kari = await user_in(loader, avonova, "kundeansvarlig", "Kari", ["admin"])
    testweb = await user_in(loader, customer, "testweb", "Test Bruker", ["admin"])
    reader = await user_in(loader, customer, "leser", "Leser", ["user"])
    donald = await loader.do(
        "addEmployee",
        organisationId=customer,
        firstName="Donald",
        lastName="Duck",
        email="donald.duck@testeren.example",
    )
    staff = member(gw, issuer, "avonova", kari, avonova, "admin", staff=True)
    await known_to_orders_only(nats_client, namespace, "avonova", "no-such-employee", customer)
    await health_check_booking(
        staff, donald["employee"]["id"], "no-such-employee", customerOrganisationId=customer
    )
    seen = {
        "staff": await staff.query(AVONOVA_ORDERS),
        "customer admin": await member(gw, issuer, "avonova", testweb, customer, "admin").query(
            AVONOVA_ORDERS
        ),
        # A member who is no admin reads only their own employee record.
        "customer member": await member(gw, issuer, "avonova", reader, customer).query(
            AVONOVA_ORDERS
        ),
    }

    donald_duck = {"firstName": "Donald", "lastName": "Duck"}
    expected = {
        "staff": [donald_duck, None],
        "customer admin": [donald_duck, None],
        "customer member": [None, None],
    }
    for who, body in seen.items():
        assert "errors" not in body, (who, body)
        assert _nodes(body) == [
            {
                "description": "Helsekontroll",
                "customerOrganisation": {"name": "Demokunde_Test"},
                "bookings": [{"booked": 2, "employees": expected[who]}],
            }
        ], who


# -- every reference, with a people service that resolves none (null, errors, or down) ---------


def people_who_resolves_no_one(*, with_errors: bool) -> Starlette:
    """A people subgraph that answers every entity reference with null (and, `with_errors`, an
    error at each): the referencing records must still arrive whole, each reference null."""

    async def graphql(request: Request) -> Response:
        body = orjson.loads(await request.body())
        representations = (body.get("variables") or {}).get("representations") or []
        answer: dict[str, Any] = {"data": {"_entities": [None] * len(representations)}}
        if with_errors:
            answer["errors"] = [
                {"message": "not yours to read", "path": ["_entities", index]}
                for index in range(len(representations))
            ]
        return Response(orjson.dumps(answer), media_type="application/json")

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


EVERY_REFERENCE = """{
  orders { edges { node { description
    customerOrganisation { name } assigneeOrganisation { name }
    operatorContact { name user { name } }
    bookings { booked employees { firstName } } } } }
  tickets { edges { node { subject organisation { name } creator { name } owner { name }
    followers { name } feed { author { name } subjectUser { name } previousOwner { name } } } } }
  invoices { edges { node { number payerOrganisation { name } } } }
  knowledgeArticles { edges { node { history { author { name } } } } }
}"""
# Where each reference of the supergraph is in EVERY_REFERENCE's answer, below its record.
REFERENCE_PATHS = {
    "Order.customerOrganisation": ("orders", "customerOrganisation"),
    "Order.assigneeOrganisation": ("orders", "assigneeOrganisation"),
    "OrderContact.user": ("orders", "operatorContact", "user"),
    "OrderBooking.employees": ("orders", "bookings", 0, "employees", 0),
    "Ticket.organisation": ("tickets", "organisation"),
    "Ticket.creator": ("tickets", "creator"),
    "Ticket.owner": ("tickets", "owner"),
    "Ticket.followers": ("tickets", "followers", 0),
    # The feed, newest first: follower added, owner changed twice, created.
    "TicketEntry.subjectUser": ("tickets", "feed", 0, "subjectUser"),
    "TicketEntry.previousOwner": ("tickets", "feed", 1, "previousOwner"),
    "TicketEntry.author": ("tickets", "feed", 3, "author"),
    "Invoice.payerOrganisation": ("invoices", "payerOrganisation"),
    "ArticleRevision.author": ("knowledgeArticles", "history", 0, "author"),
}


async def follow_once_tickets_know_the_profile(
    caller: Caller, ticket: dict[str, Any], user: str
) -> None:
    """Adds the follower once tickets' read model has people's product-access event of them."""
    add = """mutation($input: TicketFollowerInput!) { addTicketFollower(input: $input) {
      ticket { id } userErrors { code } } }"""
    for _ in range(100):
        body = await caller.query(
            add, {"input": {"id": ticket["id"], "version": ticket["version"], "userId": user}}
        )
        if body["data"]["addTicketFollower"]["userErrors"] == []:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("tickets never learnt the follower's product access")


@pytest.mark.parametrize("people_answers", ["null", "null with errors", "nothing (down)"])
async def test_every_reference_is_null_alone_when_people_resolves_none(
    people_answers, settings_for, issuer, start_gateway, nats_client, namespace
):
    assert set(REFERENCE_PATHS) == set(cross_service_references(SUPERGRAPH.read_text()))
    async with contextlib.AsyncExitStack() as stack:
        if people_answers == "nothing (down)":
            people = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        else:
            people = await stack.enter_async_context(
                serving(people_who_resolves_no_one(with_errors=people_answers != "null"))
            )
        orders_app = create_orders_app(settings_for(OrdersSettings))
        urls = {
            f"{name}_url": f"{await stack.enter_async_context(serving(app))}/graphql"
            for name, app in (
                ("orders", orders_app),
                ("tickets", create_tickets_app(settings_for(TicketsSettings))),
                ("billing", create_billing_app(settings_for(BillingSettings))),
            )
        }
        await know_organisations(orders_app)
        gw = await stack.enter_async_context(
            start_gateway(people_url=f"{people}/graphql", jwks_url=issuer.url, **urls)
        )
        staff = member(gw, issuer, "avonova", "kari", "avonova-org", "admin", staff=True)
        customer = member(gw, issuer, "avonova", "testweb", "demokunde", "admin")
        await known_to_orders_only(nats_client, namespace, "avonova", "donald", "demokunde")
        await health_check_booking(
            staff,
            "donald",
            customerOrganisationId="demokunde",
            assigneeOrganisationId="legekontoret",
            operatorContact={"userId": "kari", "name": "Kari"},
        )
        await publish_people_event(
            nats_client,
            namespace.event_prefix,
            "avonova",
            "product_access.changed",
            {"holder_kind": "user", "holder_id": "kari", "products": []},
        )
        ticket = (
            await customer.do(
                "createTicket",
                subject="Faktura",
                description="Spørsmål",
                organisationId="demokunde",
            )
        )["ticket"]
        for owner in ("kari", "testweb"):
            ticket = (
                await staff.do(
                    "assignTicket", id=ticket["id"], version=ticket["version"], userId=owner
                )
            )["ticket"]
        await follow_once_tickets_know_the_profile(customer, ticket, "kari")
        await invoice_to_an_organisation_billing_alone_knows(
            staff, nats_client, namespace, "avonova", "demokunde"
        )
        await staff.do(
            "createArticle",
            language="nb",
            title="Faktura",
            body="Om fakturaen.",
            category="general",
            audience="customers",
        )
        answer = await staff.query(EVERY_REFERENCE)

    # An error, if any, is at a reference (or below it), never at a record or a list.
    reference_keys = {path[-1] for path in REFERENCE_PATHS.values() if isinstance(path[-1], str)}
    reference_keys |= {"employees", "followers"}
    for error in answer.get("errors", []):
        assert reference_keys & set(error["path"]), error
    assert ("errors" in answer) == (people_answers != "null"), answer
    for field, (root, *path) in REFERENCE_PATHS.items():
        records = [e["node"] for e in answer["data"][root]["edges"]]
        assert len(records) == 1, (field, answer)
        value: Any = records[0]
        for key in path:
            value = value[key]
        assert value is None, field


# -- a booking takes only the customer's own employees ----------------------------------------


async def test_the_avonova_customer_admin_books_only_its_own_employees(gw, issuer):
    loader, ids = await tenant_with(
        gw,
        issuer,
        "avonova",
        {
            "Avonova Helse AS": "OPERATOR",
            "Demokunde_Test": "CUSTOMER",
            "Annen Kunde AS": "CUSTOMER",
        },
    )
    avonova, customer, other = (
        ids["Avonova Helse AS"],
        ids["Demokunde_Test"],
        ids["Annen Kunde AS"],
    )
    kari = await user_in(loader, avonova, "kundeansvarlig", "Kari", ["admin"])
    testweb = await user_in(loader, customer, "testweb", "Test Bruker", ["admin"])
    # The other customer's employee first: once orders knows Donald (added after), it has
    # read Mikke's event too (one consumer, in the order people published them).
    mikke = await loader.do(
        "addEmployee", organisationId=other, firstName="Mikke", lastName="Mus", email="m@x.example"
    )
    donald = await loader.do(
        "addEmployee",
        organisationId=customer,
        firstName="Donald",
        lastName="Duck",
        email="d@x.example",
    )
    staff = member(gw, issuer, "avonova", kari, avonova, "admin", staff=True)
    await health_check_booking(staff, customerOrganisationId=customer)
    admin = member(gw, issuer, "avonova", testweb, customer, "admin")
    listing = await admin.query("{ orders { edges { node { id version bookings { id } } } } }")
    (order,) = _nodes(listing)
    slot = order["bookings"][0]["id"]

    booked = (
        await book_when_known(admin, order["id"], order["version"], slot, donald["employee"]["id"])
    )["order"]
    for employee in ("made-up-employee", mikke["employee"]["id"]):
        refused = await admin.query(
            "mutation($input: BookEmployeeInput!) { bookEmployee(input: $input) { "
            "order { id } userErrors { field code message } } }",
            {
                "input": {
                    "id": order["id"],
                    "version": booked["version"],
                    "bookingId": slot,
                    "employeeId": employee,
                }
            },
        )
        assert "errors" not in refused, refused
        assert refused["data"]["bookEmployee"]["order"] is None
        (error,) = refused["data"]["bookEmployee"]["userErrors"]
        assert (error["field"], error["code"]) == ("employeeId", "UNKNOWN_EMPLOYEE"), employee
        assert "a moment ago" in error["message"]
    after = await admin.query(AVONOVA_ORDERS.replace("description", "description version"))
    (node,) = _nodes(after)
    assert node["version"] == booked["version"]  # nothing changed
    assert node["bookings"] == [
        {"booked": 1, "employees": [{"firstName": "Donald", "lastName": "Duck"}]}
    ]
