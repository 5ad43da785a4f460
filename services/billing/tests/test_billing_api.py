"""The billing subgraph in-process, against real NATS and MongoDB (or the stand-in)."""

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_billing.adapters.repositories import InvoiceRepository
from portal_billing.app import create_app
from portal_billing.domain.invoice import Invoice, InvoiceLine, InvoiceStatus
from portal_billing.service_layer.access import InvoiceSight
from portal_billing.settings import BillingSettings
from portal_kit.graphql import encode_cursor
from portal_kit.principal import Principal
from portal_kit.testing.fakes import assert_query_takes_in_what_sights_see
from portal_kit.testing.harness import running_service
from portal_kit.testing.plugin import make_principal

STAFF = make_principal("avonova", user="staff-1", staff=True)
PAYER_BILLING = make_principal(
    "avonova", user="ola", memberships={"org-customer": ("billing", "user")}
)
PAYER_USER = make_principal("avonova", user="kari", memberships={"org-customer": ("user",)})
CONTRACTOR_BILLING = make_principal(
    "avonova", user="per", memberships={"org-contractor": ("billing",)}
)
FOREIGN_STAFF = make_principal("jm", user="staff-jm", staff=True)
# The billing person of two payers ('Vælg kunde'), with one of them chosen or none.
BOTH = {"org-customer": ("billing",), "org-elsewhere": ("billing",), "org-contractor": ("user",)}
LIV = make_principal("avonova", user="liv", memberships=BOTH)
LIV_AT_CUSTOMER = make_principal(
    "avonova", user="liv", memberships=BOTH, active_organisation="org-customer"
)
LIV_AT_ELSEWHERE = make_principal(
    "avonova", user="liv", memberships=BOTH, active_organisation="org-elsewhere"
)
LIV_AT_CONTRACTOR = make_principal(
    "avonova", user="liv", memberships=BOTH, active_organisation="org-contractor"
)
ANONYMOUS = Principal.anonymous("avonova")

INVOICE_FIELDS = """id number payerOrganisationId status issueDate dueDate currency
    total { amount currency } outstanding { amount currency } overdue
    lines { description quantity unitPrice { amount currency } amount { amount currency } }
    createdAt version"""
CREATE = f"""mutation($input: CreateInvoiceInput!) {{ createInvoice(input: $input) {{
    invoice {{ {INVOICE_FIELDS} }} userErrors {{ field code message }} }} }}"""
INVOICE = f"query($id: ID!) {{ invoice(id: $id) {{ {INVOICE_FIELDS} }} }}"
INVOICES = """query($first: Int, $after: String) { invoices(first: $first, after: $after) {
    totalCount edges { cursor node { id number overdue } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""


def line(description="Health check, 2025", quantity="2", unit_price="1250.50"):
    return {"description": description, "quantity": quantity, "unitPrice": unit_price}


def invoice_input(**overrides):
    values = {"payerOrganisationId": "org-customer", "currency": "NOK", "lines": [line()]}
    values.update(overrides)
    return values


@pytest.fixture
async def service(settings_for, signer):
    async with running_service(create_app, settings_for(BillingSettings), signer) as svc:
        yield svc


async def create(svc, principal=STAFF, **overrides):
    data = await svc.graphql(CREATE, {"input": invoice_input(**overrides)}, principal=principal)
    return data["createInvoice"]


async def created(svc, principal=STAFF, **overrides):
    payload = await create(svc, principal, **overrides)
    assert payload["userErrors"] == []
    return payload["invoice"]


async def visible_numbers(svc, principal):
    data = await svc.graphql(INVOICES, {"first": 200}, principal=principal)
    numbers = [edge["node"]["number"] for edge in data["invoices"]["edges"]]
    assert data["invoices"]["totalCount"] == len(numbers)
    return numbers


async def read(svc, invoice_id, principal):
    return (await svc.graphql(INVOICE, {"id": invoice_id}, principal=principal))["invoice"]


def codes(payload):
    return sorted((e["field"], e["code"]) for e in payload["userErrors"])


async def test_staff_create_a_draft_and_read_it_back(service):
    before = datetime.now(UTC).replace(microsecond=0)
    invoice = await created(
        service,
        currency=" nok ",
        lines=[line(), line("Travel", "1.5", "99.99"), line("Free advice", "1", "0")],
    )
    assert (invoice["number"], invoice["status"], invoice["currency"]) == ("1", "DRAFT", "NOK")
    assert (invoice["issueDate"], invoice["dueDate"], invoice["overdue"]) == (None, None, False)
    # 2 × 1250.50 + 1.5 × 99.99 (149.985, rounded half up to 149.99) + 0
    assert invoice["total"] == {"amount": "2650.99", "currency": "NOK"}
    assert invoice["outstanding"] == invoice["total"]
    assert invoice["lines"] == [
        {
            "description": "Health check, 2025",
            "quantity": "2",
            "unitPrice": {"amount": "1250.50", "currency": "NOK"},
            "amount": {"amount": "2501.00", "currency": "NOK"},
        },
        {
            "description": "Travel",
            "quantity": "1.5",
            "unitPrice": {"amount": "99.99", "currency": "NOK"},
            "amount": {"amount": "149.99", "currency": "NOK"},
        },
        {
            "description": "Free advice",
            "quantity": "1",
            "unitPrice": {"amount": "0.00", "currency": "NOK"},
            "amount": {"amount": "0.00", "currency": "NOK"},
        },
    ]
    assert before <= datetime.fromisoformat(invoice["createdAt"]) <= datetime.now(UTC)
    assert invoice["version"] == 1
    assert await read(service, invoice["id"], STAFF) == invoice


async def test_only_staff_create_invoices(service):
    for principal in (PAYER_BILLING, PAYER_USER, ANONYMOUS):
        refused = await create(service, principal)
        assert refused["invoice"] is None
        assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    assert await visible_numbers(service, STAFF) == []


async def test_visibility_for_staff_billing_members_others_and_another_tenant(service):
    customers = await created(service, payerOrganisationId="org-customer")
    contractors = await created(service, payerOrganisationId="org-contractor")
    foreign = await created(service, FOREIGN_STAFF)

    assert await visible_numbers(service, STAFF) == ["1", "2"]
    assert await visible_numbers(service, PAYER_BILLING) == ["1"]
    assert await visible_numbers(service, CONTRACTOR_BILLING) == ["2"]
    assert await visible_numbers(service, PAYER_USER) == []
    assert await visible_numbers(service, ANONYMOUS) == []
    assert await visible_numbers(service, FOREIGN_STAFF) == ["1"]

    assert (await read(service, customers["id"], PAYER_BILLING))["number"] == "1"
    assert await read(service, contractors["id"], PAYER_BILLING) is None
    assert await read(service, customers["id"], PAYER_USER) is None
    # Another tenant's ids answer exactly like ids that do not exist.
    assert await read(service, foreign["id"], STAFF) is None
    assert await read(service, customers["id"], FOREIGN_STAFF) is None
    assert await read(service, "no-such-invoice", STAFF) is None

    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Invoice { number payerOrganisation { id } } } }"""
    representations = [{"__typename": "Invoice", "id": i["id"]} for i in (customers, contractors)]
    seen = await service.graphql(query, {"r": representations}, principal=PAYER_BILLING)
    assert seen["_entities"] == [{"number": "1", "payerOrganisation": {"id": "org-customer"}}, None]


async def test_the_repository_query_takes_in_what_the_sight_sees(service):
    """The fast tests' fakes read through `InvoiceSight.sees`, MongoDB through the repository's
    query: both take in the same invoices."""
    for payer in ("org-customer", "org-contractor", "org-customer", "org-elsewhere"):
        await created(service, payerOrganisationId=payer)
    repository = InvoiceRepository(service.runtime.database, "avonova")
    assert (await repository.page_for(InvoiceSight(everything=True), None, 10)).total == 4
    await assert_query_takes_in_what_sights_see(
        repository,
        InvoiceSight(everything=True),
        [
            InvoiceSight.of(p)
            for p in (
                STAFF,
                PAYER_BILLING,
                PAYER_USER,
                CONTRACTOR_BILLING,
                ANONYMOUS,
                LIV,
                LIV_AT_CUSTOMER,
                LIV_AT_ELSEWHERE,
            )
        ],
    )


async def test_the_billing_person_of_two_payers_who_chose_one_sees_its_invoices_alone(service):
    customer = await created(service, payerOrganisationId="org-customer")
    elsewhere = await created(service, payerOrganisationId="org-elsewhere")
    await created(service, payerOrganisationId="org-contractor")

    assert await visible_numbers(service, LIV) == [customer["number"], elsewhere["number"]]
    assert await visible_numbers(service, LIV_AT_CUSTOMER) == [customer["number"]]
    assert await visible_numbers(service, LIV_AT_ELSEWHERE) == [elsewhere["number"]]
    assert await read(service, elsewhere["id"], LIV_AT_CUSTOMER) is None
    # Working for an organisation where they have no billing role: no invoices at all.
    assert await visible_numbers(service, LIV_AT_CONTRACTOR) == []


async def test_overdue_is_derived_from_status_outstanding_and_due_date(service):
    repository = InvoiceRepository(service.runtime.database, "avonova")
    today = datetime.now(UTC).date()

    def issued(number, due, outstanding, status=InvoiceStatus.ISSUED):
        return Invoice(
            id=f"inv-{number}",
            tenant="avonova",
            sequence=number,
            number=str(number),
            payer_organisation_id="org-customer",
            status=status,
            issue_date=today - timedelta(days=30),
            due_date=due,
            currency="NOK",
            lines=(InvoiceLine("Consulting", Decimal(1), Decimal(100)),),
            total=Decimal(100),
            outstanding=Decimal(outstanding),
            created_at=datetime(2025, 1, 1, tzinfo=UTC),
        )

    for invoice in (
        issued(1, today - timedelta(days=1), "100"),
        issued(2, today, "100"),
        issued(3, today - timedelta(days=1), "0"),
        issued(4, today - timedelta(days=1), "0", InvoiceStatus.PAID),
        issued(5, date(2020, 1, 1), "40.50"),
    ):
        await repository.add(invoice)
    data = await service.graphql(INVOICES, {"first": 10}, principal=PAYER_BILLING)
    assert [(e["node"]["number"], e["node"]["overdue"]) for e in data["invoices"]["edges"]] == [
        ("1", True),
        ("2", False),
        ("3", False),
        ("4", False),
        ("5", True),
    ]
    fifth = await read(service, "inv-5", PAYER_BILLING)
    assert (fifth["status"], fifth["outstanding"]["amount"]) == ("ISSUED", "40.50")


async def test_bad_input_gives_user_errors_writes_nothing_and_emits_nothing(
    service, nats_client, namespace
):
    payload = await create(
        service,
        payerOrganisationId="",
        currency="kroner",
        lines=[
            line("", "0", "-5"),
            line("d" * 501, "1e3", "1.999"),
            line("ok", "1,5", "12,50"),
            line("ok", "0.0001", "1000000000.01"),
        ],
    )
    assert payload["invoice"] is None
    assert codes(payload) == [
        ("currency", "UNKNOWN_CODE"),
        ("lines.0.description", "REQUIRED"),
        ("lines.0.quantity", "INVALID"),
        ("lines.0.unitPrice", "INVALID"),
        ("lines.1.description", "TOO_LONG"),
        ("lines.1.quantity", "INVALID"),
        ("lines.1.unitPrice", "INVALID"),
        ("lines.2.quantity", "INVALID"),
        ("lines.2.unitPrice", "INVALID"),
        ("lines.3.quantity", "INVALID"),
        ("lines.3.unitPrice", "TOO_LARGE"),
        ("payerOrganisationId", "REQUIRED"),
    ]
    assert codes(await create(service, lines=[])) == [("lines", "INVALID")]
    assert codes(await create(service, lines=[line()] * 501)) == [("lines", "TOO_LARGE")]
    assert codes(await create(service, payerOrganisationId="org/../x")) == [
        ("payerOrganisationId", "NOT_FOUND")
    ]
    assert codes(await create(service, lines=[line(quantity="NaN")])) == [
        ("lines.0.quantity", "INVALID")
    ]
    assert await visible_numbers(service, STAFF) == []

    invoice = await created(service)
    assert invoice["number"] == "1"
    js = nats_client.jetstream()
    subscription = await js.subscribe(
        f"{namespace.event_prefix}.avonova.billing.>",
        stream=service.runtime.names.stream,
        ordered_consumer=True,
    )
    event = json.loads((await subscription.next_msg(timeout=10)).data)
    await subscription.unsubscribe()
    assert event["subject"] == invoice["id"]
    assert (await js.stream_info(service.runtime.names.stream)).state.messages == 1


async def test_the_created_event_reaches_jetstream_without_line_texts(
    service, nats_client, namespace
):
    received: asyncio.Queue = asyncio.Queue()

    async def on_message(message):
        await received.put(json.loads(message.data))

    subscription = await nats_client.subscribe(
        f"{namespace.event_prefix}.avonova.billing.>", cb=on_message
    )
    await nats_client.flush()
    invoice = await created(service, lines=[line("Hearing test for Ola Nordmann", "3", "500")])
    event = await asyncio.wait_for(received.get(), 10)
    await subscription.unsubscribe()

    assert event["type"] == "portal.billing.invoice.created"
    assert (event["specversion"], event["source"], event["tenant"], event["subject"]) == (
        "1.0",
        "/portal/billing",
        "avonova",
        invoice["id"],
    )
    assert event["data"] == {
        "invoice_id": invoice["id"],
        "number": "1",
        "payer_organisation_id": "org-customer",
        "status": "draft",
        "currency": "NOK",
        "total": "1500.00",
        "line_count": 1,
    }
    assert "Nordmann" not in json.dumps(event)


async def test_numbers_are_unique_and_sequential_under_concurrency(service):
    results = await asyncio.gather(*[create(service) for _ in range(8)])
    assert sorted(int(r["invoice"]["number"]) for r in results) == list(range(1, 9))


async def test_pages_follow_the_number_with_keyset_cursors(service):
    for _ in range(3):
        await created(service)
    first = (await service.graphql(INVOICES, {"first": 2}, principal=STAFF))["invoices"]
    assert [e["node"]["number"] for e in first["edges"]] == ["1", "2"]
    rest = (
        await service.graphql(
            INVOICES, {"first": 2, "after": first["pageInfo"]["endCursor"]}, principal=STAFF
        )
    )["invoices"]
    assert [e["node"]["number"] for e in rest["edges"]] == ["3"]
    assert rest["pageInfo"]["hasNextPage"] is False
    for cursor in ("nope", encode_cursor([True, "x"])):
        response = await service.post_graphql(INVOICES, {"after": cursor}, STAFF)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


_amount = st.one_of(
    st.text(max_size=30),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(min_value=0, max_value=10**6, places=2).map(str),
    st.floats().map(str),
)
_line = st.one_of(
    st.just(line()),
    st.fixed_dictionaries(
        {
            "description": st.one_of(st.text(), st.text(min_size=495, max_size=505)),
            "quantity": _amount,
            "unitPrice": _amount,
        }
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payer=st.one_of(st.text(max_size=80), st.just("org-customer")),
    currency=st.one_of(st.text(max_size=5), st.sampled_from(["NOK", "sek", "EUR"])),
    lines=st.lists(_line, max_size=4),
)
async def test_any_create_input_is_answered_with_an_invoice_or_user_errors(
    service, payer, currency, lines
):
    before = (await service.graphql(INVOICES, {"first": 0}, principal=STAFF))["invoices"]
    response = await service.post_graphql(
        CREATE,
        {"input": {"payerOrganisationId": payer, "currency": currency, "lines": lines}},
        STAFF,
    )
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert "errors" not in body, body["errors"]
    payload = body["data"]["createInvoice"]
    after = (await service.graphql(INVOICES, {"first": 0}, principal=STAFF))["invoices"]
    if payload["invoice"] is None:
        assert payload["userErrors"]
        assert after["totalCount"] == before["totalCount"]
    else:
        assert payload["userErrors"] == []
        assert after["totalCount"] == before["totalCount"] + 1
        invoice = payload["invoice"]
        assert invoice["number"] == str(after["totalCount"])
        assert Decimal(invoice["total"]["amount"]) == sum(
            Decimal(line["amount"]["amount"]) for line in invoice["lines"]
        )
