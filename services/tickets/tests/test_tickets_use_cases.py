"""The ticket use cases against in-memory fakes of their ports: no MongoDB, NATS or HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from portal_kit.domain import ValidationFailed
from portal_kit.principal import Principal
from portal_kit.sensitive import SENSITIVE_DATA
from portal_kit.testing.fakes import InMemoryCounters
from portal_kit.testing.plugin import make_principal
from portal_tickets.domain.events import TicketCreated
from portal_tickets.service_layer.tickets import TicketDesk

from .fakes import InMemoryTickets

NOON = datetime(2025, 6, 26, 12, 0, tzinfo=UTC)
STAFF = make_principal("visma", user="staff-1", staff=True)
ANNA = make_principal("visma", user="anna", memberships={"org-school": ("user",)})
BO = make_principal("visma", user="bo", memberships={"org-school": ("user",)})


class Tenant:
    """One tenant's tickets and numbers, and a desk on them for any caller."""

    def __init__(self) -> None:
        self.tickets = InMemoryTickets("visma")
        self.numbers = InMemoryCounters()

    def desk(self, principal: Principal) -> TicketDesk:
        return TicketDesk(principal, self.tickets, self.numbers, clock=lambda: NOON)


async def open_ticket(desk, **overrides):
    fields = {
        "subject": "Cannot print the timetable",
        "description": "The print button does nothing.",
        "organisation_id": "org-school",
    }
    fields.update(overrides)
    return await desk.create_ticket(**fields)


async def test_an_opened_ticket_takes_the_next_number_and_announces_itself():
    tenant = Tenant()
    first = await open_ticket(tenant.desk(ANNA))
    second = await open_ticket(tenant.desk(STAFF), organisation_id="org-other")

    assert [(t.number, t.created_by, t.created_at) for t in (first, second)] == [
        ("1", "anna", NOON),
        ("2", "staff-1", NOON),
    ]
    assert [(type(e), e.ticket_id) for e in tenant.tickets.committed] == [
        (TicketCreated, first.id),
        (TicketCreated, second.id),
    ]


async def test_a_refused_ticket_takes_no_number():
    tenant = Tenant()
    with pytest.raises(ValidationFailed):
        await open_ticket(tenant.desk(ANNA), subject="  ", organisation_id="org-other")
    assert tenant.numbers.values == {}
    assert (await open_ticket(tenant.desk(ANNA))).number == "1"


async def test_a_private_ticket_is_hidden_from_a_colleague():
    tenant = Tenant()
    public = await open_ticket(tenant.desk(ANNA))
    private = await open_ticket(tenant.desk(ANNA), private=True)

    colleague = tenant.desk(BO)
    assert await colleague.ticket(public.id) == public
    assert await colleague.ticket(private.id) is None
    assert [t.number for t in (await colleague.page(size=10, after=None)).items] == ["1"]
    for sighted in (tenant.desk(ANNA), tenant.desk(STAFF)):
        assert await sighted.ticket(private.id) == private
        assert (await sighted.page(size=10, after=None)).total == 2
    assert (await tenant.desk(Principal.anonymous("visma")).page(size=10, after=None)).total == 0


HETU = "131052-308T"  # a valid Finnish henkilötunnus (python-stdnum)


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("subject", f"Oppilas {HETU} ei näe lukujärjestystä"),
        ("description", f"Oppilaan henkilötunnus on {HETU}.\nHän ei näe lukujärjestystä."),
    ],
)
async def test_a_ticket_with_a_national_id_in_its_text_is_refused_and_takes_no_number(field, text):
    tenant = Tenant()
    with pytest.raises(ValidationFailed) as refused:
        await open_ticket(tenant.desk(ANNA), **{field: text})
    assert [(p.field, p.code) for p in refused.value.problems] == [(field, SENSITIVE_DATA)]
    assert HETU[:6] not in str(refused.value)
    assert tenant.numbers.values == {} and tenant.tickets.committed == []


async def test_a_ticket_naming_an_order_number_and_a_phone_number_is_opened():
    tenant = Tenant()
    text = "Ärende om AO 2375 (bunt 64010765-20190819-1-1), ring 070-123 45 67 eller 0701234567"
    ticket = await open_ticket(tenant.desk(ANNA), description=text)
    assert ticket.description == text
