"""The invoice use cases against in-memory fakes of their ports: no MongoDB, NATS or HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from portal_billing.domain.events import InvoiceCreated
from portal_billing.domain.invoice import InvoiceStatus, LineInput
from portal_billing.service_layer.invoices import InvoiceDesk
from portal_kit.domain import Forbidden
from portal_kit.principal import Principal
from portal_kit.testing.fakes import InMemoryCounters
from portal_kit.testing.plugin import make_principal

from .fakes import InMemoryInvoices

NOON = datetime(2025, 6, 26, 12, 0, tzinfo=UTC)
STAFF = make_principal("avonova", user="staff-1", staff=True)
PAYER_BILLING = make_principal("avonova", user="ola", memberships={"org-customer": ("billing",)})
PAYER_USER = make_principal("avonova", user="kari", memberships={"org-customer": ("user",)})


class Tenant:
    """One tenant's invoices and numbers, and a desk on them for any caller."""

    def __init__(self) -> None:
        self.invoices = InMemoryInvoices("avonova")
        self.numbers = InMemoryCounters()

    def desk(self, principal: Principal) -> InvoiceDesk:
        return InvoiceDesk(principal, self.invoices, self.numbers, clock=lambda: NOON)


async def draw_up(desk, payer="org-customer"):
    return await desk.create_invoice(
        payer_organisation_id=payer,
        currency="NOK",
        lines=[LineInput("Health check, 2025", "2", "1250.50"), LineInput("Travel", "1", "99")],
    )


async def test_staff_create_a_numbered_draft_and_announce_it():
    tenant = Tenant()
    first = await draw_up(tenant.desk(STAFF))
    second = await draw_up(tenant.desk(STAFF), payer="org-contractor")

    assert [(i.number, i.status, i.created_at) for i in (first, second)] == [
        ("1", InvoiceStatus.DRAFT, NOON),
        ("2", InvoiceStatus.DRAFT, NOON),
    ]
    assert (first.total, first.outstanding) == (Decimal("2600.00"), Decimal("2600.00"))
    assert [(type(e), e.invoice_id, e.total) for e in tenant.invoices.committed] == [
        (InvoiceCreated, first.id, "2600.00"),
        (InvoiceCreated, second.id, "2600.00"),
    ]
    assert tenant.desk(STAFF).today() == date(2025, 6, 26)


async def test_a_customer_cannot_create_an_invoice_and_takes_no_number():
    tenant = Tenant()
    for principal in (PAYER_BILLING, PAYER_USER, Principal.anonymous("avonova")):
        with pytest.raises(Forbidden):
            await draw_up(tenant.desk(principal))
    assert tenant.numbers.values == {}
    assert tenant.invoices.stored == {}


async def test_the_payers_billing_members_see_its_invoices():
    tenant = Tenant()
    customers = await draw_up(tenant.desk(STAFF))
    contractors = await draw_up(tenant.desk(STAFF), payer="org-contractor")

    billing = tenant.desk(PAYER_BILLING)
    assert await billing.invoice(customers.id) == customers
    assert await billing.invoice(contractors.id) is None
    assert [i.number for i in (await billing.page(size=10, after=None)).items] == ["1"]
    assert (await tenant.desk(PAYER_USER).page(size=10, after=None)).total == 0
    assert (await tenant.desk(STAFF).page(size=10, after=None)).total == 2
