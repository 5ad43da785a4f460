"""The billing subgraph in-process, against real NATS and MongoDB (or the stand-in)."""

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import orjson
import peppol
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from portal_billing.adapters.repositories import (
    BillableOrderDirectory,
    InvoiceRepository,
    OrganisationDirectory,
)
from portal_billing.app import create_app
from portal_billing.domain.invoice import ListStatus
from portal_billing.domain.money import to_minor
from portal_billing.service_layer.access import InvoiceSight
from portal_billing.service_layer.ports import SORT_COLUMNS, InvoiceFilter, Sort, sort_keys
from portal_billing.settings import BillingSettings
from portal_kit.events import CloudEvent, new_event_id, utc_now
from portal_kit.graphql import encode_cursor
from portal_kit.principal import Principal
from portal_kit.testing.fakes import assert_query_takes_in_what_sights_see
from portal_kit.testing.harness import running_service
from portal_kit.testing.plugin import make_principal
from portal_kit.versioned import BEFORE_ANY_EVENT

STAFF = make_principal("avonova", user="staff-1", staff=True)
PAYER_BILLING = make_principal(
    "avonova", user="ola", memberships={"org-customer": ("billing", "user")}
)
DEPARTMENT_BILLING = make_principal("avonova", user="bo", memberships={"org-dept": ("billing",)})
PAYER_USER = make_principal("avonova", user="kari", memberships={"org-customer": ("user",)})
CONTRACTOR_BILLING = make_principal(
    "avonova", user="per", memberships={"org-contractor": ("billing",)}
)
FOREIGN_STAFF = make_principal("jm", user="staff-jm", staff=True)
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
ORGANISATIONS = {
    "org-customer": ("customer", None, "Testbedriften AS", "974760673"),
    "org-dept": ("customer", "org-customer", "Bergen TEST", None),
    "org-elsewhere": ("customer", None, "Annen Kunde AS", None),
    "org-contractor": ("contractor", None, "Legekontoret", None),
}

INVOICE_FIELDS = """id number payerOrganisationId payerName status listStatus statusLabel
    issueDate dueDate currency netTotal { amount } vatTotal { amount }
    total { amount currency } outstanding { amount currency } paid { amount } overdue
    partlyPaid invoiceMarking paymentReference pdfPath ublPath
    lines { description quantity vatRate unitPrice { amount currency } amount { amount } }
    vatSubtotals { rate net { amount } vat { amount } }
    payments { amount { amount } paidOn reference }
    creditNotes { number amount { amount } issuedOn reason ublPath } createdAt version"""
PAYLOAD = f"{{ invoice {{ {INVOICE_FIELDS} }} userErrors {{ field code message }} }}"
CREATE = f"mutation($input: CreateInvoiceInput!) {{ createInvoice(input: $input) {PAYLOAD} }}"
ISSUE = f"mutation($input: IssueInvoiceInput!) {{ issueInvoice(input: $input) {PAYLOAD} }}"
PAY = f"mutation($input: RecordPaymentInput!) {{ recordPayment(input: $input) {PAYLOAD} }}"
CREDIT = f"mutation($input: CreditInvoiceInput!) {{ creditInvoice(input: $input) {PAYLOAD} }}"
INVOICE = f"query($id: ID!) {{ invoice(id: $id) {{ {INVOICE_FIELDS} }} }}"
INVOICES = """query($first: Int, $after: String, $filter: InvoiceFilterInput,
    $sort: InvoiceSortInput) { invoices(first: $first, after: $after, filter: $filter,
    sort: $sort) { totalCount edges { cursor node { id number overdue listStatus statusLabel } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
TOTALS = """query($filter: InvoiceFilterInput) { invoiceTotals(filter: $filter) {
    payerOrganisationId payerName outstanding { amount currency } overdue { amount }
    openInvoices overdueInvoices } }"""


def line(description="Helsekontroll 2025", quantity="2", unit_price="1250.50", vat_rate=None):
    values = {"description": description, "quantity": quantity, "unitPrice": unit_price}
    if vat_rate is not None:
        values["vatRate"] = vat_rate
    return values


def invoice_input(**overrides):
    values = {"payerOrganisationId": "org-customer", "currency": "NOK", "lines": [line()]}
    values.update(overrides)
    return values


async def know_organisations(runtime, tenant="avonova"):
    directory = OrganisationDirectory(runtime.database, tenant)
    for organisation_id, (kind, parent, name, number) in ORGANISATIONS.items():
        await directory.upsert(
            organisation_id,
            {
                "kind": kind,
                "parent_id": parent,
                "name": name,
                "organisation_number": number,
                "active": True,
            },
            version=BEFORE_ANY_EVENT,
        )


@pytest.fixture
async def service(settings_for, signer):
    async with running_service(create_app, settings_for(BillingSettings), signer) as svc:
        await know_organisations(svc.runtime)
        yield svc


async def create(svc, principal=STAFF, **overrides):
    data = await svc.graphql(CREATE, {"input": invoice_input(**overrides)}, principal=principal)
    return data["createInvoice"]


async def created(svc, principal=STAFF, **overrides):
    payload = await create(svc, principal, **overrides)
    assert payload["userErrors"] == [], payload
    return payload["invoice"]


async def mutate(svc, mutation, principal=STAFF, **input):
    data = await svc.graphql(mutation, {"input": input}, principal=principal)
    return next(iter(data.values()))


async def issued(svc, issue_date=None, **overrides):
    draft = await created(svc, **overrides)
    payload = await mutate(
        svc, ISSUE, id=draft["id"], version=draft["version"], issueDate=issue_date
    )
    assert payload["userErrors"] == [], payload
    return payload["invoice"]


async def visible_numbers(svc, principal, **variables):
    data = await svc.graphql(INVOICES, {"first": 200, **variables}, principal=principal)
    numbers = [edge["node"]["number"] for edge in data["invoices"]["edges"]]
    assert data["invoices"]["totalCount"] == len(numbers)
    return numbers


async def read(svc, invoice_id, principal):
    return (await svc.graphql(INVOICE, {"id": invoice_id}, principal=principal))["invoice"]


def codes(payload):
    return sorted((e["field"], e["code"]) for e in payload["userErrors"])


async def test_staff_draw_up_a_draft_and_issue_it_with_number_dates_vat_and_kid(service):
    draft = await created(
        service,
        currency=" nok ",
        invoiceMarking="Merkes med 123",
        lines=[line(), line("Reise", "1.5", "99.99", "0"), line("Råd", "1", "0")],
    )
    assert (draft["number"], draft["status"], draft["listStatus"], draft["statusLabel"]) == (
        None,
        "DRAFT",
        "DRAFT",
        "Draft",
    )
    # 2 × 1250.50 at 25 % + 1.5 × 99.99 (149.985, half up to 149.99) without VAT + 0.
    assert (draft["netTotal"], draft["vatTotal"], draft["total"]) == (
        {"amount": "2650.99"},
        {"amount": "625.25"},
        {"amount": "3276.24", "currency": "NOK"},
    )
    assert draft["vatSubtotals"] == [
        {"rate": "0", "net": {"amount": "149.99"}, "vat": {"amount": "0.00"}},
        {"rate": "25", "net": {"amount": "2501.00"}, "vat": {"amount": "625.25"}},
    ]
    assert (draft["pdfPath"], draft["payerName"]) == (None, "Testbedriften AS")
    payload = await mutate(
        service, ISSUE, id=draft["id"], version=draft["version"], issueDate="2017-12-31"
    )
    assert payload["userErrors"] == []
    invoice = payload["invoice"]
    assert (invoice["number"], invoice["issueDate"], invoice["dueDate"]) == (
        "2017-118350",
        "2017-12-31",
        "2018-01-20",
    )
    assert (invoice["status"], invoice["listStatus"], invoice["overdue"]) == (
        "ISSUED",
        "OVERDUE",
        True,
    )
    assert invoice["paymentReference"] == "20171183500"
    assert invoice["pdfPath"] == f"/invoices/{invoice['id']}/pdf"
    assert await read(service, invoice["id"], STAFF) == invoice
    nb = make_principal(
        "avonova", user="ola", memberships={"org-customer": ("billing",)}, locale="nb"
    )
    assert (await read(service, invoice["id"], nb))["statusLabel"] == "Forfalt"


async def test_visibility_drafts_departments_active_organisation_and_another_tenant(service):
    own = await issued(service, payerOrganisationId="org-customer")
    department = await issued(service, payerOrganisationId="org-dept")
    contractors = await issued(service, payerOrganisationId="org-contractor")
    elsewhere = await issued(service, payerOrganisationId="org-elsewhere")
    draft = await created(service, payerOrganisationId="org-customer")
    foreign = await create(service, FOREIGN_STAFF)
    # jm does not bill here: its staff are told so, and nothing is written.
    assert codes(foreign) == [(None, "NOT_CONFIGURED")]

    numbers = {i["id"]: i["number"] for i in (own, department, contractors, elsewhere)}
    assert len(await visible_numbers(service, STAFF)) == 5
    assert await visible_numbers(service, PAYER_BILLING) == [
        numbers[own["id"]],
        numbers[department["id"]],
    ]
    assert await visible_numbers(service, DEPARTMENT_BILLING) == [numbers[department["id"]]]
    assert await visible_numbers(service, CONTRACTOR_BILLING) == [numbers[contractors["id"]]]
    for nobody in (PAYER_USER, ANONYMOUS, FOREIGN_STAFF):
        assert await visible_numbers(service, nobody) == []
    assert await visible_numbers(service, LIV_AT_ELSEWHERE) == [numbers[elsewhere["id"]]]
    assert await visible_numbers(service, LIV_AT_CONTRACTOR) == []
    assert await read(service, draft["id"], PAYER_BILLING) is None
    assert await read(service, draft["id"], STAFF) is not None
    assert await read(service, own["id"], DEPARTMENT_BILLING) is None
    assert await read(service, own["id"], FOREIGN_STAFF) is None

    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Invoice { number payerOrganisation { id } } } }"""
    representations = [{"__typename": "Invoice", "id": i["id"]} for i in (own, contractors, draft)]
    seen = await service.graphql(query, {"r": representations}, principal=PAYER_BILLING)
    assert seen["_entities"] == [
        {"number": own["number"], "payerOrganisation": {"id": "org-customer"}},
        None,
        None,
    ]


async def test_the_repository_queries_take_in_what_the_sights_and_filters_say(service):
    """The fast tests' fakes read through `InvoiceSight.sees`, `InvoiceFilter.matches` and
    `sort_keys`; MongoDB through the repository's queries: both take in the same invoices in the
    same order."""
    days = ["2017-12-19", "2017-12-31", "2018-02-28", None]
    for index, payer in enumerate(["org-customer", "org-dept", "org-customer", "org-elsewhere"]):
        lines = [line(unit_price=str(1000 * (index + 1)))]
        invoice = await issued(service, days[index], payerOrganisationId=payer, lines=lines)
        if index == 0:
            await mutate(
                service,
                PAY,
                id=invoice["id"],
                version=invoice["version"],
                amount="100",
                paidOn="2018-01-01",
            )
    await created(service, payerOrganisationId="org-dept")
    repository = InvoiceRepository(service.runtime.database, "avonova")
    everything = InvoiceSight(everything=True, drafts=True)
    sights = [
        everything,
        InvoiceSight(everything=True),
        InvoiceSight(payers=("org-customer", "org-dept")),
        InvoiceSight(payers=("org-dept",), drafts=True),
        InvoiceSight(),
    ]
    await assert_query_takes_in_what_sights_see(repository, everything, sights)
    today = datetime.now(UTC).date()
    every = (await repository.page_for(everything, None, 100)).items
    filters = [
        InvoiceFilter(),
        InvoiceFilter(number="2017"),
        InvoiceFilter(issued_from=date(2017, 12, 20), issued_to=date(2018, 3, 1)),
        InvoiceFilter(statuses=(ListStatus.OVERDUE,)),
        InvoiceFilter(statuses=(ListStatus.UNPAID, ListStatus.DRAFT)),
        InvoiceFilter(payer_organisation_ids=("org-dept",)),
    ]
    for sight in sights:
        for wanted in filters:
            for column in SORT_COLUMNS:
                for descending in (False, True):
                    sort = Sort(column, descending)
                    page = await repository.search(sight, wanted, sort, None, 100, today=today)
                    expected = sorted(
                        (i for i in every if sight.sees(i) and wanted.matches(i, today)),
                        key=lambda i: (sort_keys(i, to_minor)[column], i.id),
                        reverse=descending,
                    )
                    assert [i.id for i in page.items] == [i.id for i in expected], (
                        sight,
                        wanted,
                        sort,
                    )


async def test_search_pages_by_any_column_with_keyset_cursors(service):
    for amount in ("300", "100", "200"):
        await issued(service, lines=[line(quantity="1", unit_price=amount, vat_rate="0")])
    sort = {"column": "TOTAL", "descending": True}
    first = (await service.graphql(INVOICES, {"first": 2, "sort": sort}, principal=STAFF))[
        "invoices"
    ]
    assert [e["node"]["number"][-1] for e in first["edges"]] == ["0", "2"]
    rest = (
        await service.graphql(
            INVOICES,
            {"first": 2, "sort": sort, "after": first["pageInfo"]["endCursor"]},
            principal=STAFF,
        )
    )["invoices"]
    assert [e["node"]["number"][-1] for e in rest["edges"]] == ["1"]
    assert rest["pageInfo"]["hasNextPage"] is False
    for cursor in ("nope", encode_cursor([True, "x"]), encode_cursor(["text", "x"])):
        response = await service.post_graphql(INVOICES, {"after": cursor}, STAFF)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_payments_credits_and_totals_per_payer(service):
    today = datetime.now(UTC).date()
    late = await issued(
        service, (today - timedelta(days=40)).isoformat(), lines=[line("x", "1", "1500", "0")]
    )
    await issued(service, today.isoformat(), lines=[line("x", "1", "1000", "0")])
    totals = (await service.graphql(TOTALS, {}, principal=PAYER_BILLING))["invoiceTotals"]
    assert totals == [
        {
            "payerOrganisationId": "org-customer",
            "payerName": "Testbedriften AS",
            "outstanding": {"amount": "2500.00", "currency": "NOK"},
            "overdue": {"amount": "1500.00"},
            "openInvoices": 2,
            "overdueInvoices": 1,
        }
    ]
    part = await mutate(
        service,
        PAY,
        id=late["id"],
        version=late["version"],
        amount="500.50",
        paidOn=today.isoformat(),
        reference="bank 1",
    )
    assert part["userErrors"] == []
    invoice = part["invoice"]
    assert (invoice["outstanding"]["amount"], invoice["partlyPaid"], invoice["listStatus"]) == (
        "999.50",
        True,
        "OVERDUE",
    )
    totals = (await service.graphql(TOTALS, {}, principal=PAYER_BILLING))["invoiceTotals"]
    assert (totals[0]["outstanding"], totals[0]["overdue"]) == (
        {"amount": "1999.50", "currency": "NOK"},
        {"amount": "999.50"},
    )
    too_much = await mutate(
        service,
        PAY,
        id=late["id"],
        version=invoice["version"],
        amount="999.51",
        paidOn=today.isoformat(),
    )
    assert (too_much["invoice"], codes(too_much)) == (None, [("amount", "TOO_LARGE")])
    stale = await mutate(
        service, PAY, id=late["id"], version=1, amount="1", paidOn=today.isoformat()
    )
    assert codes(stale) == [("version", "STALE_VERSION")]
    credited = await mutate(
        service, CREDIT, id=late["id"], version=invoice["version"], reason="Avtalt rabatt"
    )
    assert credited["userErrors"] == []
    assert (credited["invoice"]["status"], credited["invoice"]["outstanding"]["amount"]) == (
        "CREDITED",
        "0.00",
    )
    (note,) = credited["invoice"]["creditNotes"]
    assert (note["amount"]["amount"], note["reason"]) == ("999.50", "Avtalt rabatt")
    again = await mutate(
        service, CREDIT, id=late["id"], version=credited["invoice"]["version"], reason="igjen"
    )
    assert codes(again) == [("amount", "SETTLED")]
    refused = await mutate(
        service, PAY, PAYER_BILLING, id=late["id"], version=1, amount="1", paidOn="2018-01-01"
    )
    assert codes(refused) == [(None, "FORBIDDEN")]


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
            line("ok", "1,5", "12,50", "13"),
            line("ok", "0.0001", "1000000000.01", "abc"),
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
        ("lines.2.vatRate", "UNKNOWN_CODE"),
        ("lines.3.quantity", "INVALID"),
        ("lines.3.unitPrice", "TOO_LARGE"),
        ("lines.3.vatRate", "INVALID"),
        ("payerOrganisationId", "REQUIRED"),
    ]
    assert codes(await create(service, lines=[])) == [("lines", "INVALID")]
    assert codes(await create(service, lines=[line()] * 501)) == [("lines", "TOO_LARGE")]
    for payer in ("org/../x", "org-of-another-tenant", "no-such-org"):
        assert codes(await create(service, payerOrganisationId=payer)) == [
            ("payerOrganisationId", "NOT_FOUND")
        ]
    assert codes(await create(service, language="de")) == [("language", "UNKNOWN_CODE")]
    assert await visible_numbers(service, STAFF) == []

    invoice = await created(service)
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


async def test_the_events_reach_jetstream_without_free_text(service, nats_client, namespace):
    received: asyncio.Queue = asyncio.Queue()

    async def on_message(message):
        await received.put(json.loads(message.data))

    subscription = await nats_client.subscribe(
        f"{namespace.event_prefix}.avonova.billing.>", cb=on_message
    )
    await nats_client.flush()
    invoice = await issued(
        service,
        "2018-03-06",
        invoiceMarking="Ola Nordmann",
        lines=[line("Hørselstest for Ola Nordmann", "3", "500", "0")],
    )
    paid = await mutate(
        service,
        PAY,
        id=invoice["id"],
        version=invoice["version"],
        amount="500",
        paidOn="2018-03-07",
        reference="Fra Ola Nordmann",
    )
    await mutate(
        service,
        PAY,
        id=invoice["id"],
        version=paid["invoice"]["version"],
        amount="1000",
        paidOn="2018-03-08",
    )
    events = [await asyncio.wait_for(received.get(), 10) for _ in range(4)]
    await subscription.unsubscribe()
    assert [e["type"] for e in events] == [
        "portal.billing.invoice.created",
        "portal.billing.invoice.issued",
        "portal.billing.invoice.part_paid",
        "portal.billing.invoice.paid",
    ]
    assert events[1]["data"] == {
        "invoice_id": invoice["id"],
        "payer_organisation_id": "org-customer",
        "number": "2018-118350",
        "issue_date": "2018-03-06",
        "due_date": "2018-03-26",
        "currency": "NOK",
        "total": "1500.00",
        "vat": "0.00",
        "order_ids": [],
    }
    assert events[2]["data"]["outstanding"] == "1000.00"
    assert "Nordmann" not in json.dumps(events)


async def test_numbers_are_unique_and_gap_free_when_issued_at_once(service):
    drafts = [await created(service) for _ in range(6)]
    results = await asyncio.gather(
        *[
            mutate(service, ISSUE, id=d["id"], version=d["version"], issueDate="2018-01-02")
            for d in drafts
        ]
    )
    assert sorted(r["invoice"]["number"] for r in results) == [
        f"2018-{118350 + i}" for i in range(6)
    ]


async def test_the_overdue_check_announces_each_overdue_invoice_once(
    service, nats_client, namespace
):
    late = await issued(service, "2018-01-02")
    await issued(service, datetime.now(UTC).date().isoformat())
    watch = service.app.state.service.overdue_watch()
    assert await watch.check() == 1
    assert await watch.check() == 0
    js = nats_client.jetstream()
    subscription = await js.subscribe(
        f"{namespace.event_prefix}.avonova.billing.invoice.overdue",
        stream=service.runtime.names.stream,
        ordered_consumer=True,
    )
    event = json.loads((await subscription.next_msg(timeout=10)).data)
    await subscription.unsubscribe()
    assert (event["data"]["number"], event["data"]["due_date"]) == (late["number"], "2018-01-22")


UBL_SCHEMA = Path(peppol.__file__).parent / "schema" / "maindoc" / "UBL-Invoice-2.1.xsd"


async def test_the_pdf_and_the_ubl_document_are_for_those_who_see_the_invoice(service):
    invoice = await issued(
        service,
        "2018-03-06",
        invoiceMarking="Avd. Bergen",
        lines=[line("Helsekontroll", "2", "900", "0"), line("Kurs – førstehjelp", "1", "3000")],
    )
    draft = await created(service)

    async def download(path, principal):
        headers = {"x-portal-principal": service.signer.sign(principal)}
        return await service.client.get(path, headers=headers)

    pdf = await download(invoice["pdfPath"], PAYER_BILLING)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert "2018-118350.pdf" in pdf.headers["content-disposition"]
    ubl = await download(invoice["ublPath"], STAFF)
    assert ubl.status_code == 200
    schema = etree.XMLSchema(etree.parse(str(UBL_SCHEMA)))
    document = etree.fromstring(ubl.content)
    assert schema.validate(document), schema.error_log
    ns = {
        "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
        "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    }
    assert document.findtext("cbc:ID", namespaces=ns) == "2018-118350"
    assert (
        document.findtext("cac:PaymentMeans/cbc:PaymentID", namespaces=ns)
        == (invoice["paymentReference"])
    )
    assert document.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=ns) == (
        "5550.00"
    )
    assert (
        document.findtext("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=ns)
        == "974760673"
    )
    for path, principal in (
        (invoice["pdfPath"], DEPARTMENT_BILLING),
        (invoice["ublPath"], PAYER_USER),
        (invoice["pdfPath"], FOREIGN_STAFF),
        (f"/invoices/{draft['id']}/pdf", STAFF),
        (f"/invoices/{invoice['id']}/docx", STAFF),
        ("/invoices/no-such/pdf", STAFF),
    ):
        assert (await download(path, principal)).status_code == 404, (path, principal.user)
    assert (await service.client.get(invoice["pdfPath"])).status_code == 401

    # A credit note, as a UBL CreditNote referring to the invoice, its amount split by VAT rate.
    credited = await mutate(
        service,
        CREDIT,
        id=invoice["id"],
        version=invoice["version"],
        amount="1350",
        reason="Kurset ble avlyst",
    )
    assert credited["userErrors"] == []
    (note,) = credited["invoice"]["creditNotes"]
    assert note["ublPath"] == f"/invoices/{invoice['id']}/credit-1"
    answer = await download(note["ublPath"], PAYER_BILLING)
    assert answer.status_code == 200
    credit_schema = etree.XMLSchema(etree.parse(str(UBL_SCHEMA.parent / "UBL-CreditNote-2.1.xsd")))
    credit = etree.fromstring(answer.content)
    assert credit_schema.validate(credit), credit_schema.error_log
    assert credit.findtext("cbc:ID", namespaces=ns) == note["number"]
    assert (
        credit.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=ns)
        == "2018-118350"
    )
    # 1350 of 5550 (1800 without VAT, 3750 with 25 %): 437.84 + 912.16 (729.73 + 182.43 VAT).
    assert credit.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=ns) == "1350.00"
    assert credit.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=ns) == "182.43"
    for path, principal in (
        (f"/invoices/{invoice['id']}/credit-2", STAFF),
        (f"/invoices/{invoice['id']}/credit-0", STAFF),
        (note["ublPath"], DEPARTMENT_BILLING),
    ):
        assert (await download(path, principal)).status_code == 404


async def publish(nats_client, prefix, tenant, service_name, event_type, data, event_id=None):
    aggregate, name = event_type.rsplit(".", 1)
    event = CloudEvent(
        id=event_id or new_event_id(),
        source=f"/portal/{service_name}",
        type=f"portal.{service_name}.{aggregate}.{name}",
        subject=str(data.get(f"{aggregate}_id", aggregate)),
        time=utc_now(),
        data=data,
        tenant=tenant,
    )
    await nats_client.jetstream().publish(
        f"{prefix}.{tenant}.{service_name}.{aggregate}.{name}", event.model_dump_json().encode()
    )


async def eventually(check, tries=100):
    for _ in range(tries):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError("the read model never caught up")


RUN = """mutation($input: RunInvoicesInput!) { runInvoices(input: $input) {
    invoices { payerOrganisationId invoiceMarking total { amount }
      lines { description orderNumber } }
    userErrors { field code } } }"""


async def test_read_models_follow_people_and_orders_and_an_invoice_run_bills_once(
    service, nats_client, namespace
):
    prefix = namespace.event_prefix
    await publish(
        nats_client,
        prefix,
        "avonova",
        "people",
        "organisation.created",
        {
            "organisation_id": "org-new",
            "kind": "customer",
            "parent_id": None,
            "display_name": "Ny Kunde AS",
            "organisation_number": "974760673",
        },
    )

    async def accepted():
        payload = await create(service, payerOrganisationId="org-new")
        return payload if payload["invoice"] else None

    made = await eventually(accepted)
    assert made["invoice"]["payerName"] == "Ny Kunde AS"
    completed = {
        "order_id": "order-1",
        "number": "307390",
        "order_type": "support_talks",
        "status": "delivered",
        "customer_organisation_id": "org-customer",
        "assignee_organisation_id": None,
        "invoice_reference": None,
        "invoice_marking": "Merkes med 123",
        "completed_at": "2018-02-01T10:00:00+00:00",
    }
    event_id = new_event_id()
    await publish(nats_client, prefix, "avonova", "orders", "order.completed", completed, event_id)
    await publish(
        nats_client,
        prefix,
        "avonova",
        "orders",
        "order.completed",
        completed | {"order_id": "order-2", "number": "307391", "order_type": "general"},
    )

    orders = BillableOrderDirectory(service.runtime.database, "avonova")

    async def both_known():
        return all([await orders.by_number("307390"), await orders.by_number("307391")])

    await eventually(both_known)
    first = await mutate(service, RUN, upTo="2018-02-28")
    ((invoice,),) = [first["invoices"]]
    assert invoice["invoiceMarking"] == "Merkes med 123"
    assert sorted(line["orderNumber"] for line in invoice["lines"]) == ["307390", "307391"]
    assert invoice["total"] == {"amount": "2750.00"}  # 1500 without VAT, 1000 + 25 %
    # The same event again (a redelivery the dedup window missed), and another run: no new line.
    await publish(nats_client, prefix, "avonova", "orders", "order.completed", completed)
    await asyncio.sleep(0.5)
    again = await mutate(service, RUN, upTo="2018-02-28")
    assert again == {"invoices": [], "userErrors": []}


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
    max_examples=30,
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
        assert Decimal(invoice["netTotal"]["amount"]) == sum(
            Decimal(line["amount"]["amount"]) for line in invoice["lines"]
        )
