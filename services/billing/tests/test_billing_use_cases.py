"""The billing use cases against in-memory fakes of their ports: no MongoDB, NATS or HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from portal_billing.adapters.configuration import shipped_configurations
from portal_billing.domain.events import (
    IncomingInvoiceMatched,
    InvoiceCreated,
    InvoiceCredited,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoicePartPaid,
)
from portal_billing.domain.invoice import InvoiceStatus, LineInput, ListStatus
from portal_billing.service_layer.incoming import IncomingDesk
from portal_billing.service_layer.invoices import InvoiceDesk
from portal_billing.service_layer.overdue import OverdueWatch
from portal_billing.service_layer.ports import InvoiceFilter, Sort
from portal_billing.service_layer.registers import OrderRegister
from portal_kit.domain import (
    DomainError,
    Forbidden,
    NotFound,
    StaleVersion,
    TryAgain,
    ValidationFailed,
)
from portal_kit.principal import Principal
from portal_kit.testing.catalogues import missing_translations, unmarked_messages
from portal_kit.testing.fakes import InMemoryCounters
from portal_kit.testing.plugin import make_principal

from .fakes import (
    FakeFeed,
    InMemoryBillable,
    InMemoryIncoming,
    InMemoryInvoices,
    InMemoryOrganisations,
)

NOON = datetime(2018, 3, 6, 12, 0, tzinfo=UTC)
STAFF = make_principal("avonova", user="staff-1", staff=True)
PARENT_BILLING = make_principal("avonova", user="ola", memberships={"testbedriften": ("billing",)})
BERGEN_BILLING = make_principal("avonova", user="kari", memberships={"bergen": ("billing",)})
PAYER_USER = make_principal("avonova", user="per", memberships={"testbedriften": ("user",)})
OTHER_BILLING = make_principal("avonova", user="liv", memberships={"annen": ("billing",)})


class Tenant:
    """One tenant's invoices, numbers and read models, and desks on them for any caller."""

    def __init__(self, tenant: str = "avonova", now: datetime = NOON) -> None:
        self.tenant = tenant
        self.now = now
        self.invoices = InMemoryInvoices(tenant)
        self.incoming = InMemoryIncoming(tenant)
        self.numbers = InMemoryCounters()
        self.organisations = InMemoryOrganisations()
        self.billable = InMemoryBillable()
        self.order_events = FakeFeed()
        self.organisations.add("testbedriften", "Testbedriften AS", organisation_number="974760673")
        self.organisations.add("bergen", "Bergen TEST", parent_id="testbedriften")
        self.organisations.add("annen", "Annen Kunde AS")
        self.organisations.add("legekontoret", "Legekontoret", kind="contractor")

    def desk(self, principal: Principal) -> InvoiceDesk:
        return InvoiceDesk(
            principal,
            shipped_configurations().get(self.tenant),
            self.invoices,
            self.organisations,
            self.billable,
            self.numbers,
            clock=lambda: self.now,
        )

    def incoming_desk(self, principal: Principal) -> IncomingDesk:
        return IncomingDesk(
            principal,
            shipped_configurations().get(self.tenant),
            self.incoming,
            self.billable,
            self.order_events,
            clock=lambda: self.now,
        )


async def draw_up(desk, payer="testbedriften", lines=None, **extra):
    return await desk.create_invoice(
        payer_organisation_id=payer,
        currency=None,
        lines=lines
        or [
            LineInput("Helsekontroll", "2", "1000", "25"),
            LineInput("Støttesamtale", "1", "500", "0"),
        ],
        **extra,
    )


async def issued(tenant, payer="testbedriften", day=date(2017, 12, 31), lines=None):
    desk = tenant.desk(STAFF)
    draft = await draw_up(desk, payer, lines)
    return await desk.issue_invoice(draft.id, version=draft.version, issue_date=day)


def numbers(page):
    return [i.number for i in page.items]


async def test_a_draft_has_vat_totals_and_no_number_and_is_for_staff_alone():
    tenant = Tenant()
    draft = await draw_up(tenant.desk(STAFF), invoice_marking="Merkes med 123")
    assert (draft.status, draft.number, draft.issue_date, draft.due_date) == (
        InvoiceStatus.DRAFT,
        None,
        None,
        None,
    )
    # 2 × 1000 at 25 % and 500 without VAT.
    assert (draft.net_total, draft.vat_total, draft.total) == (
        Decimal("2500.00"),
        Decimal("500.00"),
        Decimal("3000.00"),
    )
    assert (draft.currency, draft.invoice_marking, draft.payer.name) == (
        "NOK",
        "Merkes med 123",
        "Testbedriften AS",
    )
    assert await tenant.desk(PARENT_BILLING).invoice(draft.id) is None
    assert await tenant.desk(STAFF).invoice(draft.id) == draft
    assert [type(e) for e in tenant.invoices.committed] == [InvoiceCreated]


async def test_issuing_numbers_in_the_tenants_format_dates_and_a_kid():
    tenant = Tenant()
    first = await issued(tenant, day=date(2017, 12, 31))
    second = await issued(tenant, "bergen", day=date(2018, 2, 28))
    # Avonova's numbering goes on from 118350; the year is the invoice date's.
    assert (first.number, first.issue_date, first.due_date) == (
        "2017-118350",
        date(2017, 12, 31),
        date(2018, 1, 20),
    )
    assert (second.number, second.due_date) == ("2018-118351", date(2018, 3, 20))
    assert first.payment_reference == "20171183500"  # the number's digits and a MOD10 digit
    from stdnum import luhn

    assert luhn.is_valid(first.payment_reference)
    assert first.status is InvoiceStatus.ISSUED
    issued_events = [e for e in tenant.invoices.committed if isinstance(e, InvoiceIssued)]
    assert [(e.number, e.total, e.vat) for e in issued_events] == [
        ("2017-118350", "3000.00", "500.00"),
        ("2018-118351", "3000.00", "500.00"),
    ]


async def test_a_refused_issue_takes_no_number():
    tenant = Tenant()
    draft = await draw_up(tenant.desk(STAFF))
    with pytest.raises(StaleVersion):
        await tenant.desk(STAFF).issue_invoice(draft.id, version=draft.version + 1)
    with pytest.raises(Forbidden):
        await tenant.desk(PARENT_BILLING).issue_invoice(draft.id, version=draft.version)
    done = await tenant.desk(STAFF).issue_invoice(draft.id, version=draft.version)
    with pytest.raises(DomainError) as refused:
        await tenant.desk(STAFF).issue_invoice(done.id, version=done.version)
    assert refused.value.code == "NOT_A_DRAFT"
    assert tenant.numbers.values == {"invoice": 1}


async def test_part_payments_lower_what_is_outstanding_until_paid():
    tenant = Tenant()
    invoice = await issued(tenant)
    desk = tenant.desk(STAFF)
    invoice = await desk.record_payment(
        invoice.id, version=invoice.version, amount="1000", paid_on=date(2018, 1, 5), reference="b1"
    )
    assert (invoice.outstanding, invoice.status) == (Decimal("2000.00"), InvoiceStatus.ISSUED)
    with pytest.raises(ValidationFailed) as too_much:
        await desk.record_payment(
            invoice.id,
            version=invoice.version,
            amount="2000.01",
            paid_on=date(2018, 1, 6),
            reference="",
        )
    assert [(p.field, p.code) for p in too_much.value.problems] == [("amount", "TOO_LARGE")]
    invoice = await desk.record_payment(
        invoice.id, version=invoice.version, amount="2000", paid_on=date(2018, 1, 7), reference=""
    )
    assert (invoice.outstanding, invoice.status) == (Decimal(0), InvoiceStatus.PAID)
    with pytest.raises(DomainError) as settled:
        await desk.record_payment(
            invoice.id, version=invoice.version, amount="1", paid_on=date(2018, 1, 8), reference=""
        )
    assert settled.value.code == "SETTLED"
    kinds = [type(e) for e in tenant.invoices.committed]
    assert kinds[-2:] == [InvoicePartPaid, InvoicePaid]


async def test_credit_notes_reference_the_invoice_and_refuse_a_second_full_credit():
    tenant = Tenant()
    invoice = await issued(tenant)
    desk = tenant.desk(STAFF)
    invoice = await desk.credit_invoice(
        invoice.id, version=invoice.version, amount="500", reason="Feil antall"
    )
    (note,) = invoice.credit_notes
    assert (note.number, note.amount, invoice.outstanding) == (
        "2018-118351",
        Decimal("500.00"),
        Decimal("2500.00"),
    )
    invoice = await desk.credit_invoice(
        invoice.id, version=invoice.version, amount=None, reason="Kansellert"
    )
    assert (invoice.status, invoice.outstanding, invoice.credited) == (
        InvoiceStatus.CREDITED,
        Decimal(0),
        Decimal("3000.00"),
    )
    for amount in (None, "1"):
        with pytest.raises(DomainError) as again:
            await desk.credit_invoice(
                invoice.id, version=invoice.version, amount=amount, reason="x"
            )
        assert again.value.code == "SETTLED"
    with pytest.raises(DomainError):
        await desk.record_payment(
            invoice.id, version=invoice.version, amount="1", paid_on=date(2018, 1, 8), reference=""
        )
    credited = [e for e in tenant.invoices.committed if isinstance(e, InvoiceCredited)]
    assert [(e.amount, e.fully_credited) for e in credited] == [
        ("500.00", False),
        ("2500.00", True),
    ]
    assert tenant.numbers.values == {"invoice": 3}


async def test_payments_and_credits_refuse_drafts_and_bad_amounts_changing_nothing():
    tenant = Tenant()
    desk = tenant.desk(STAFF)
    draft = await draw_up(desk)
    with pytest.raises(DomainError) as on_draft:
        await desk.record_payment(
            draft.id, version=draft.version, amount="1", paid_on=date(2018, 1, 1), reference=""
        )
    assert on_draft.value.code == "NOT_ISSUED"
    invoice = await desk.issue_invoice(draft.id, version=draft.version)
    for amount in ("-5", "abc", "0", "1.001", "1e3", ""):
        with pytest.raises(ValidationFailed):
            await desk.record_payment(
                invoice.id,
                version=invoice.version,
                amount=amount,
                paid_on=date(2018, 1, 1),
                reference="",
            )
    with pytest.raises(StaleVersion):
        await desk.record_payment(
            invoice.id, version=1, amount="1", paid_on=date(2018, 1, 1), reference=""
        )
    assert (await desk.invoice(invoice.id)).outstanding == Decimal("3000.00")


async def test_overdue_and_unpaid_are_derived_and_overdue_is_announced_once():
    tenant = Tenant()
    late = await issued(tenant, day=date(2017, 12, 31))  # due 2018-01-20
    fresh = await issued(tenant, "bergen", day=date(2018, 3, 1))  # due 2018-03-21
    today = date(2018, 3, 6)
    assert (late.list_status(today), fresh.list_status(today)) == (
        ListStatus.OVERDUE,
        ListStatus.UNPAID,
    )
    watch = OverdueWatch(["avonova"], lambda _: tenant.invoices, clock=lambda: NOON)
    assert await watch.check() == 1
    assert await watch.check() == 0
    overdue = [e for e in tenant.invoices.committed if isinstance(e, InvoiceOverdue)]
    assert [(e.number, e.outstanding) for e in overdue] == [("2017-118350", "3000.00")]


async def test_the_parent_sees_its_departments_invoices_never_drafts_or_another_customers():
    tenant = Tenant()
    own = await issued(tenant, "testbedriften")
    department = await issued(tenant, "bergen")
    other = await issued(tenant, "annen")
    await draw_up(tenant.desk(STAFF), "bergen")  # a draft

    everything = InvoiceFilter()
    parent = await tenant.desk(PARENT_BILLING).search(everything, Sort(), size=10, after=None)
    assert numbers(parent) == [own.number, department.number]
    bergen = await tenant.desk(BERGEN_BILLING).search(everything, Sort(), size=10, after=None)
    assert numbers(bergen) == [department.number]
    assert await tenant.desk(BERGEN_BILLING).invoice(own.id) is None
    assert await tenant.desk(PARENT_BILLING).invoice(other.id) is None
    assert (
        await tenant.desk(PAYER_USER).search(everything, Sort(), size=10, after=None)
    ).total == 0
    assert (await tenant.desk(STAFF).search(everything, Sort(), size=10, after=None)).total == 4


async def test_a_payer_of_another_tenant_or_unknown_is_refused():
    tenant = Tenant()
    for payer in ("no-such-org", "org-of-jm", "legekontoret-x"):
        with pytest.raises(NotFound) as refused:
            await draw_up(tenant.desk(STAFF), payer)
        assert refused.value.field == "payerOrganisationId"
    assert tenant.invoices.stored == {}


async def test_search_by_number_dates_status_and_sort_by_every_column():
    tenant = Tenant()
    a = await issued(
        tenant, "testbedriften", date(2017, 12, 31), [LineInput("x", "1", "1500", "0")]
    )
    b = await issued(tenant, "bergen", date(2017, 12, 19), [LineInput("x", "1", "3000", "0")])
    c = await issued(tenant, "bergen", date(2018, 2, 28), [LineInput("x", "1", "1000", "0")])
    desk = tenant.desk(PARENT_BILLING)

    async def search(sort=Sort(), **wanted):
        return numbers(await desk.search(InvoiceFilter(**wanted), sort, size=10, after=None))

    assert await search(number="2017-118350") == [a.number]
    assert await search(number="2017") == [a.number, b.number]
    assert await search(issued_from=date(2017, 12, 20), issued_to=date(2018, 1, 31)) == [a.number]
    assert await search(statuses=(ListStatus.OVERDUE,)) == [a.number, b.number]
    assert await search(statuses=(ListStatus.UNPAID,)) == [c.number]
    assert await search(payer_organisation_ids=("bergen",)) == [b.number, c.number]
    assert await search(Sort("ISSUE_DATE")) == [b.number, a.number, c.number]
    assert await search(Sort("TOTAL", descending=True)) == [b.number, a.number, c.number]
    by_payer = await search(Sort("PAYER"))  # Bergen TEST, then Testbedriften AS
    assert (set(by_payer[:2]), by_payer[2]) == ({b.number, c.number}, a.number)
    assert await search(Sort("DUE_DATE", descending=True)) == [c.number, a.number, b.number]
    assert await search(Sort("STATUS")) == [b.number, a.number, c.number]
    assert await search(Sort("OUTSTANDING")) == [c.number, a.number, b.number]


async def test_totals_per_payer_follow_part_payments():
    tenant = Tenant()
    late = await issued(tenant, "testbedriften", date(2017, 12, 31))
    await issued(tenant, "bergen", date(2018, 3, 1))
    desk = tenant.desk(PARENT_BILLING)
    before = {t.payer_organisation_id: t for t in await desk.totals(InvoiceFilter())}
    assert (before["testbedriften"].outstanding, before["testbedriften"].overdue) == (
        Decimal("3000.00"),
        Decimal("3000.00"),
    )
    assert (before["bergen"].outstanding, before["bergen"].overdue) == (Decimal("3000.00"), 0)
    await tenant.desk(STAFF).record_payment(
        late.id, version=late.version, amount="1200", paid_on=date(2018, 3, 1), reference=""
    )
    after = {t.payer_organisation_id: t for t in await desk.totals(InvoiceFilter())}
    assert after["testbedriften"].overdue == Decimal("1800.00")


LATER = "1:000000000002.0000"


async def completed(tenant, order_id, number, order_type, customer, **extra):
    await OrderRegister(tenant.billable).completed(
        order_id,
        number=number,
        order_type=order_type,
        customer_organisation_id=customer,
        assignee_organisation_id=extra.get("assignee"),
        invoice_reference=extra.get("reference"),
        invoice_marking=extra.get("marking", ""),
        completed_at=extra.get("at", datetime(2018, 2, 1, tzinfo=UTC)),
        version=extra.get("version", "1:000000000001.0000"),
    )


async def test_an_invoice_run_bills_each_completed_billable_order_once():
    tenant = Tenant()
    await completed(tenant, "o1", "307390", "support_talks", "testbedriften", marking="Merkes 123")
    await completed(tenant, "o2", "307391", "course", "testbedriften", marking="Merkes 123")
    await completed(tenant, "o3", "307392", "course", "bergen")
    await completed(tenant, "o4", "307393", "not-billable", "bergen")
    await completed(tenant, "o5", "307394", "course", "bergen", at=datetime(2018, 4, 1, tzinfo=UTC))
    desk = tenant.desk(STAFF)
    made = await desk.run_invoices(up_to=date(2018, 2, 28))
    assert sorted((i.payer_organisation_id, i.invoice_marking, len(i.lines)) for i in made) == [
        ("bergen", "", 1),
        ("testbedriften", "Merkes 123", 2),
    ]
    first = next(i for i in made if i.payer_organisation_id == "testbedriften")
    assert [(line.description, line.order_id) for line in first.lines] == [
        ("Støttesamtaler 307390", "o1"),
        ("Kurs 307391", "o2"),
    ]
    assert first.total == Decimal("1500.00") + Decimal("3750.00")
    # Again, and after the orders' events came again: nothing more.
    await completed(tenant, "o1", "307390", "support_talks", "testbedriften", marking="Merkes 123")
    assert await desk.run_invoices(up_to=date(2018, 2, 28)) == []
    assert len(tenant.invoices.stored) == 2
    later = await desk.run_invoices(up_to=date(2018, 4, 30), payer_organisation_id="bergen")
    assert [i.order_ids for i in later] == [["o5"]]
    with pytest.raises(Forbidden):
        await tenant.desk(PARENT_BILLING).run_invoices(up_to=date(2018, 4, 30))


FB_STAFF = make_principal("familjebostader", user="fb-staff", staff=True)
CONTRACTOR = make_principal("familjebostader", user="ue", memberships={"ue-1": ("user",)})
OTHER_CONTRACTOR = make_principal("familjebostader", user="ue2", memberships={"ue-2": ("user",)})


async def test_a_contractors_invoice_with_the_exact_ao_reference_matches_its_done_work_order():
    tenant = Tenant("familjebostader")
    await completed(tenant, "wo-2375", "2375", "fel", "fb", assignee="ue-1", reference="AO2375")
    await completed(tenant, "wo-2376", "2376", "fel", "fb", assignee="ue-2", reference="AO2376")
    desk = tenant.incoming_desk(CONTRACTOR)

    async def register(reference, number="F-1001", principal=CONTRACTOR, **extra):
        return await tenant.incoming_desk(principal).register(
            contractor_organisation_id=extra.get("contractor"),
            invoice_number=number,
            amount="12500.00",
            currency=None,
            invoice_date=date(2019, 8, 30),
            reference=reference,
        )

    for wrong in ("AO 2375", "AO-2375", "ao2375", "2375", "A02375", "AO2375x"):
        with pytest.raises(ValidationFailed) as refused:
            await register(wrong)
        (problem,) = refused.value.problems
        assert (problem.field, problem.code) == ("reference", "INVALID_REFERENCE"), wrong
        assert "AO2375" in problem.message
    for unknown in ("AO9999", "AO2376"):  # none, and another contractor's
        with pytest.raises(NotFound):
            await register(unknown)
    assert tenant.incoming.stored == {}

    matched = await register("AO2375")
    assert (matched.order_id, matched.reference, matched.currency) == ("wo-2375", "AO2375", "SEK")
    (event,) = tenant.incoming.committed
    assert isinstance(event, IncomingInvoiceMatched)
    assert (event.order_id, event.order_number, event.amount) == ("wo-2375", "2375", "12500.00")
    with pytest.raises(DomainError) as twice:
        await register("AO2375", number="F-1002")
    assert twice.value.code == "ALREADY_INVOICED"
    assert await desk.incoming_invoice(matched.id) == matched
    assert await tenant.incoming_desk(OTHER_CONTRACTOR).incoming_invoice(matched.id) is None
    # The operator's ERP registers for a contractor through the API.
    staff_made = await register("AO2376", principal=FB_STAFF, contractor="ue-2")
    assert staff_made.contractor_organisation_id == "ue-2"


async def test_a_work_order_billing_has_not_heard_of_yet_is_waited_for_not_called_missing():
    tenant = Tenant("familjebostader")

    async def register(reference="AO2375", principal=CONTRACTOR):
        return await tenant.incoming_desk(principal).register(
            contractor_organisation_id=None,
            invoice_number="F-1001",
            amount="100",
            currency=None,
            invoice_date=date(2019, 8, 30),
            reference=reference,
        )

    # Orders' 'completed' event is still on its way and does not come while the desk waits.
    tenant.order_events.current = False
    for reference in ("AO2375", "AO9999"):  # the answer is the same for any number
        with pytest.raises(TryAgain) as later:
            await register(reference)
        assert (later.value.field, later.value.code) == ("reference", "TRY_AGAIN")
        assert reference in later.value.message
    assert tenant.incoming.stored == {}

    # It arrives while the desk waits: the invoice matches at once.
    async def arrives():
        await completed(tenant, "wo-1", "2375", "fel", "fb", assignee="ue-1", reference="AO2375")

    tenant.order_events.arrives = arrives
    matched = await register()
    assert matched.order_id == "wo-1"
    # Caught up: a number no event named is missing; another contractor's order reads the same.
    tenant.order_events.arrives = None
    with pytest.raises(NotFound):
        await register("AO9999")
    with pytest.raises(NotFound):
        await register("AO2375", principal=OTHER_CONTRACTOR)


def test_every_billing_message_exists_in_every_locale():
    assert unmarked_messages("portal_billing") == []
    assert missing_translations("portal_billing") == []


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["pay", "credit", "credit-all"]),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal(4000), places=2),
        ),
        max_size=12,
    )
)
def test_outstanding_is_total_less_payments_and_credits_and_never_below_zero(steps):
    from portal_billing.adapters.configuration import shipped_configurations as shipped
    from portal_billing.domain.invoice import Invoice, InvoiceRequest, Payer

    configuration = shipped()["avonova"]
    request = InvoiceRequest.parse(
        payer_organisation_id="testbedriften",
        currency="NOK",
        lines=[LineInput("x", "3", "999.99", "25")],
        configuration=configuration,
    )
    invoice = Invoice.draft("avonova", Payer("testbedriften"), request, created_at=NOON)
    invoice.issue(configuration, 1, issue_date=date(2018, 1, 1))
    paid = credited = Decimal(0)
    for kind, amount in steps:
        before = (invoice.outstanding, invoice.status)
        try:
            if kind == "pay":
                invoice.record_payment(
                    amount=str(amount), paid_on=date(2018, 1, 2), reference="", now=NOON
                )
                paid += amount
            else:
                value = invoice.check_credit(None if kind == "credit-all" else str(amount))
                invoice.credit(number="c", amount=value, reason="r", on=date(2018, 1, 2), now=NOON)
                credited += value
        except DomainError:
            assert (invoice.outstanding, invoice.status) == before
        assert invoice.outstanding >= 0
        assert invoice.outstanding == invoice.total - paid - credited
        assert (invoice.outstanding == 0) == (invoice.status is not InvoiceStatus.ISSUED)


async def test_cancelled_or_invoiced_orders_are_billed_and_matched_no_more():
    tenant = Tenant()
    register = OrderRegister(tenant.billable)
    await completed(tenant, "o1", "1", "course", "bergen")
    await completed(tenant, "o2", "2", "course", "bergen")
    await register.moved("o1", "cancelled", version=LATER)
    await register.moved("o2", "open", version=LATER)  # other moves change nothing
    made = await tenant.desk(STAFF).run_invoices(up_to=date(2018, 3, 1))
    assert [i.order_ids for i in made] == [["o2"]]

    fb = Tenant("familjebostader")
    await completed(fb, "wo-1", "2375", "fel", "fb", assignee="ue-1", reference="AO2375")
    await OrderRegister(fb.billable).moved("wo-1", "invoiced", version=LATER)
    with pytest.raises(DomainError) as refused:
        await fb.incoming_desk(CONTRACTOR).register(
            contractor_organisation_id=None,
            invoice_number="F-1",
            amount="100",
            currency=None,
            invoice_date=date(2019, 8, 30),
            reference="AO2375",
        )
    assert refused.value.code == "ALREADY_INVOICED"
    assert fb.incoming.stored == {}


async def test_a_run_that_stopped_before_storing_its_invoice_loses_no_order():
    tenant = Tenant()
    await completed(tenant, "o1", "1", "course", "bergen")
    await completed(tenant, "o2", "2", "course", "bergen")
    # A run claimed o1 for an invoice it never stored (it crashed), and o2 for a stored one
    # whose claim it did not confirm.
    earlier = NOON - timedelta(hours=1)
    await tenant.billable.claim_for_invoice("o1", "never-stored", earlier)
    stored = await issued(tenant, "bergen")
    await tenant.billable.claim_for_invoice("o2", stored.id, earlier)
    made = await tenant.desk(STAFF).run_invoices(up_to=date(2018, 3, 1))
    assert [i.order_ids for i in made] == [["o1"]]
    assert tenant.billable.pending == {}
    assert await tenant.desk(STAFF).run_invoices(up_to=date(2018, 3, 1)) == []
