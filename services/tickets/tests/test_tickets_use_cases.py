"""The ticket use cases against in-memory fakes of their ports: no MongoDB, NATS or HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
from portal_kit.domain import DomainError, ValidationFailed
from portal_kit.principal import Principal
from portal_kit.sensitive import SENSITIVE_DATA
from portal_kit.testing.fakes import InMemoryCounters, InMemoryFiles
from portal_kit.testing.plugin import make_principal
from portal_tickets.adapters.configuration import shipped_configurations
from portal_tickets.domain.configuration import Category, parse_configuration
from portal_tickets.domain.events import (
    TicketClosed,
    TicketCreated,
    TicketFollowerAdded,
    TicketFollowerRemoved,
    TicketOwnerChanged,
    TicketPostAdded,
    TicketReopened,
    TicketStatusChanged,
)
from portal_tickets.domain.ticket import check_values
from portal_tickets.service_layer.access import TicketView, View
from portal_tickets.service_layer.files import Upload
from portal_tickets.service_layer.tickets import TicketDesk

from .fakes import (
    InMemoryOrganisations,
    InMemoryProductAccess,
    InMemoryTickets,
)

NOON = datetime(2025, 6, 26, 12, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def problems_of(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[str | None, str]]:
    value = error.value
    found = value.problems if isinstance(value, ValidationFailed) else [value]
    return sorted((p.field, p.code) for p in found)


class Tenant:
    """One tenant's tickets, numbers, files and product access, and a desk for any caller."""

    def __init__(self, tenant: str = "visma") -> None:
        self.tenant = tenant
        self.tickets = InMemoryTickets(tenant)
        self.numbers = InMemoryCounters()
        self.files = InMemoryFiles()
        self.access = InMemoryProductAccess()
        self.organisations = InMemoryOrganisations()
        self.now = NOON

    def desk(self, principal: Principal) -> TicketDesk:
        return TicketDesk(
            principal,
            shipped_configurations().of(self.tenant),
            self.tickets,
            self.numbers,
            files=self.files,
            product_access=self.access,
            organisations=self.organisations,
            clock=lambda: self.now,
        )


STAFF = make_principal("visma", user="staff-1", staff=True)
ANNA = make_principal("visma", user="anna", memberships={"org-school": ("user",)})
BO = make_principal("visma", user="bo", memberships={"org-school": ("user",)})

VE = "visma-enterprise"
PATRICK = make_principal(
    VE, user="patrick", memberships={"bpo": ("user",), "kunde-b": ("user",)}, locale="da"
)
PATRICK_AT_BPO = make_principal(
    VE,
    user="patrick",
    memberships={"bpo": ("user",), "kunde-b": ("user",)},
    active_organisation="bpo",
    locale="da",
)
KAREN = make_principal(VE, user="karen", memberships={"bpo": ("user",)}, locale="da")
AGENT = make_principal(VE, user="agent", staff=True, locale="da")

CASE = {
    "organisation": "bpo",
    "service": "visma_lon_abc",
    "ticket_type": "fejl",
    "urgency": "mindre",
    "impact": "users_10_0",
    "topic": "konsulentbistand",
    "title": "Fejl ved oprettelse i visma løn",
    "description": "Ved oprettelse af ny medarbejder får jeg systemfejl",
}


async def open_ticket(desk: TicketDesk, **overrides: object) -> object:
    fields: dict[str, object] = {
        "subject": "Cannot print the timetable",
        "description": "The print button does nothing.",
        "organisation": "org-school",
    }
    fields.update(overrides)
    return await desk.create_ticket(fields)  # type: ignore[arg-type]


async def test_an_opened_ticket_takes_the_next_number_and_announces_itself():
    tenant = Tenant()
    first = await open_ticket(tenant.desk(ANNA))
    second = await open_ticket(tenant.desk(STAFF), organisation="org-other")
    assert [(t.number, t.created_by, t.created_at) for t in (first, second)] == [  # type: ignore[attr-defined]
        ("1", "anna", NOON),
        ("2", "staff-1", NOON),
    ]
    assert [type(e) for e in tenant.tickets.committed] == [TicketCreated, TicketCreated]


async def test_a_refused_ticket_takes_no_number():
    tenant = Tenant()
    with pytest.raises(ValidationFailed):
        await open_ticket(tenant.desk(ANNA), subject="  ", organisation="org-other")
    assert tenant.numbers.values == {}


async def test_a_private_ticket_is_hidden_from_a_colleague():
    tenant = Tenant()
    public = await open_ticket(tenant.desk(ANNA))
    private = await open_ticket(tenant.desk(ANNA), private=True)
    colleague = tenant.desk(BO)
    assert await colleague.ticket(public.id) == public  # type: ignore[attr-defined]
    assert await colleague.ticket(private.id) is None  # type: ignore[attr-defined]
    assert (await tenant.desk(Principal.anonymous("visma")).page(size=10, after=None)).total == 0


HETU = "131052-308T"  # a valid Finnish henkilötunnus (python-stdnum)


@pytest.mark.parametrize(
    ("field", "text"),
    [("subject", f"Oppilas {HETU} ei näe"), ("description", f"Henkilötunnus {HETU}.")],
)
async def test_a_national_id_in_the_text_is_refused_and_takes_no_number(field, text):
    tenant = Tenant()
    with pytest.raises(ValidationFailed) as refused:
        await open_ticket(tenant.desk(ANNA), **{field: text})
    assert problems_of(refused) == [(field, SENSITIVE_DATA)]
    assert HETU[:6] not in str(refused.value)
    assert tenant.numbers.values == {} and tenant.tickets.committed == []


# -- Visma InSchool ---------------------------------------------------------------------------

SCHOOL = make_principal(
    "visma-inschool", user="rektor", memberships={"skola": ("user",)}, locale="sv"
)


async def test_inschool_requires_service_subject_and_text_and_defaults_to_unclassified():
    tenant = Tenant("visma-inschool")
    desk = tenant.desk(SCHOOL)
    with pytest.raises(ValidationFailed) as refused:
        await desk.create_ticket({"organisation": "skola"})
    assert problems_of(refused) == [
        ("description", "REQUIRED"),
        ("service", "REQUIRED"),
        ("subject", "REQUIRED"),
    ]
    ticket = await desk.create_ticket(
        {
            "organisation": "skola",
            "service": "wilma",
            "sub_service": "wilma_app",
            "subject": "Schemat syns inte",
            "description": "Eleverna ser inte schemat i Wilma-appen.",
        }
    )
    assert (ticket.values.ticket_type, ticket.status, ticket.number) == ("unclassified", "new", "1")
    assert ticket.owner_team == "inschool_support"
    with pytest.raises(ValidationFailed) as wrong:
        await desk.create_ticket(
            {
                "organisation": "skola",
                "service": "kurre",
                "sub_service": "wilma_app",
                "ticket_type": "complaint",
                "urgency": "mindre",
                "subject": "x",
                "description": "y",
            }
        )
    assert problems_of(wrong) == [
        ("subService", "UNKNOWN_CODE"),
        ("ticketType", "UNKNOWN_CODE"),
        ("urgency", "NOT_ON_FORM"),
    ]


async def test_the_form_is_in_the_callers_language():
    tenant = Tenant("visma-inschool")
    form = await tenant.desk(SCHOOL).form()
    assert form.locale == "sv"
    assert [f.label("sv") for f in form.configuration.fields.values()][:3] == [
        "Organisation",
        "Typ",
        "Tjänst",
    ]
    assert form.default_organisation == "skola"
    finnish = await tenant.desk(SCHOOL.model_copy(update={"locale": "fi"})).form()
    assert finnish.locale == "fi"
    danish = await tenant.desk(SCHOOL.model_copy(update={"locale": "da"})).form()
    assert danish.locale == "sv"  # not a locale of the tenant: its first


# -- Visma Enterprise -------------------------------------------------------------------------


async def test_visma_enterprise_requires_every_field_and_numbers_from_00002196():
    tenant = Tenant(VE)
    desk = tenant.desk(PATRICK_AT_BPO)
    with pytest.raises(ValidationFailed) as refused:
        await desk.create_ticket({"organisation": "bpo", "private": True})
    assert [f for f, _ in problems_of(refused)] == [
        "description",
        "impact",
        "service",
        "title",
        "topic",
        "urgency",
    ]
    case = await desk.create_ticket(CASE, [Upload("skærmbillede.png", PNG)])
    assert case.number == "00002196"
    assert case.owner_team == "bpo_team_1"
    assert [f.filename for f in case.files] == ["skærmbillede.png"]
    owner = next(e for e in case.feed if e.activity == "owner_changed")
    assert owner.details["from_user"] == "patrick" and owner.details["by_rule"] == "true"
    # Newest first, also within one moment: the rule acted after the case was opened.
    assert [e.activity for e in desk.feed(case)] == ["owner_changed", "created"]
    assert [type(e) for e in tenant.tickets.committed] == [TicketCreated, TicketOwnerChanged]
    assert (await desk.create_ticket(CASE)).number == "00002197"


async def test_a_customer_only_offers_and_takes_its_products():
    tenant = Tenant(VE)
    await tenant.access.record(
        "organisation", "bpo", frozenset({"visma_lon_abc"}), version="1:000000000001.0000"
    )
    form = await tenant.desk(PATRICK_AT_BPO).form()
    assert [s.code for s in form.services] == ["visma_lon_abc"]
    with pytest.raises(ValidationFailed) as refused:
        await tenant.desk(PATRICK_AT_BPO).create_ticket({**CASE, "service": "visma_hr"})
    assert problems_of(refused) == [("service", "NO_PRODUCT_ACCESS")]
    # Not chosen: two customers, no default customer, every product.
    both = await tenant.desk(PATRICK).form()
    assert both.default_organisation is None and both.organisations == ("bpo", "kunde-b")


async def test_followers_need_product_access_and_a_public_ticket():
    tenant = Tenant(VE)
    await tenant.access.record(
        "user", "karen", frozenset({"visma_lon_abc"}), version="1:000000000001.0000"
    )
    await tenant.access.record(
        "user", "lars", frozenset({"visma_hr"}), version="1:000000000001.0000"
    )
    desk = tenant.desk(PATRICK_AT_BPO)
    case = await desk.create_ticket(CASE)
    with pytest.raises(DomainError) as no_access:
        await desk.add_follower(case.id, case.version, "lars")
    assert problems_of(no_access) == [("userId", "NO_PRODUCT_ACCESS")]
    with pytest.raises(DomainError) as unknown:
        await desk.add_follower(case.id, case.version, "nobody")
    assert problems_of(unknown) == [("userId", "NO_PRODUCT_ACCESS")]
    followed = await desk.add_follower(case.id, case.version, "karen")
    assert followed.followers == ["karen"]
    karen = tenant.desk(make_principal(VE, user="karen", memberships={"kunde-b": ("user",)}))
    assert [t.id for t in (await karen.page(size=5, after=None)).items] == [case.id]
    followed_view = TicketView(view=View.FOLLOWED)
    assert (await karen.page(size=5, after=None, view=followed_view)).total == 1
    with pytest.raises(DomainError) as stale:
        await desk.add_follower(case.id, case.version, "karen")
    assert problems_of(stale) == [("version", "STALE_VERSION")]
    removed = await desk.remove_follower(followed.id, followed.version, "karen")
    assert removed.followers == []
    private = await desk.create_ticket({**CASE, "private": True})
    with pytest.raises(DomainError) as refused:
        await desk.add_follower(private.id, private.version, "karen")
    assert problems_of(refused) == [("userId", "PRIVATE_TICKET")]
    kinds = [type(e) for e in tenant.tickets.committed]
    assert TicketFollowerAdded in kinds and TicketFollowerRemoved in kinds


async def test_close_reopen_within_the_window_and_staff_statuses():
    tenant = Tenant(VE)
    desk = tenant.desk(PATRICK_AT_BPO)
    case = await desk.create_ticket(CASE)
    with pytest.raises(DomainError) as refused:
        await desk.change_status(case.id, case.version, "afventer_kunde")
    assert problems_of(refused) == [("status", "TRANSITION_NOT_ALLOWED")]
    waiting = await tenant.desk(AGENT).change_status(case.id, case.version, "afventer_kunde")
    closed = await desk.close(waiting.id, waiting.version)
    assert (closed.status, closed.category, closed.closed_at) == ("lukket", Category.CLOSED, NOON)
    with pytest.raises(DomainError) as no_post:
        await desk.add_post(closed.id, closed.version, "Hej")
    assert problems_of(no_post) == [("id", "CLOSED")]
    # A colleague sees the case, but only its creator (and staff) may close and reopen it.
    with pytest.raises(DomainError) as colleague:
        await tenant.desk(KAREN).reopen(closed.id, closed.version)
    assert problems_of(colleague) == [("status", "TRANSITION_NOT_ALLOWED")]
    tenant.now = NOON + timedelta(days=11)
    with pytest.raises(DomainError) as late:
        await desk.reopen(closed.id, closed.version)
    assert problems_of(late) == [("status", "REOPEN_WINDOW_PASSED")]
    tenant.now = NOON + timedelta(days=9)
    reopened = await desk.reopen(closed.id, closed.version)
    assert (reopened.status, reopened.closed_at) == ("under_behandling", None)
    kinds = [type(e) for e in tenant.tickets.committed]
    assert kinds.count(TicketStatusChanged) == 3
    assert TicketClosed in kinds and TicketReopened in kinds


async def test_posts_notes_and_files_by_who_may_see_them():
    tenant = Tenant(VE)
    desk = tenant.desk(PATRICK_AT_BPO)
    case = await desk.create_ticket(CASE, [Upload("log.txt", b"ERROR 42\n")])
    staff = tenant.desk(AGENT)
    with_note = await staff.add_post(case.id, case.version, "Kunden ringede", internal=True)
    answered = await staff.add_post(
        with_note.id, with_note.version, "Vi kigger på det", uploads=[Upload("svar.png", PNG)]
    )
    with pytest.raises(DomainError) as refused:
        await desk.add_post(answered.id, answered.version, "intern?", internal=True)
    assert problems_of(refused) == [("internal", "FORBIDDEN")]
    seen = await tenant.desk(KAREN).ticket(case.id)
    assert seen is not None
    colleague = tenant.desk(KAREN)
    texts = [e.text for e in colleague.feed(seen) if e.kind.value == "post"]
    assert texts == ["Vi kigger på det"]
    assert "Kunden ringede" in [e.text for e in staff.feed(seen)]
    assert [e.text for e in colleague.feed(seen, search="KIGGER")] == ["Vi kigger på det"]
    assert sorted(f.filename for f in colleague.related_files(seen)) == ["log.txt", "svar.png"]
    for f in seen.files:
        found = await colleague.file(f.id)
        assert found is not None
    assert (
        await tenant.desk(make_principal(VE, user="x", memberships={"kunde-b": ()})).file(
            seen.files[0].id
        )
        is None
    )
    with pytest.raises(ValidationFailed) as bad:
        await desk.add_post(
            answered.id,
            answered.version,
            "filer",
            uploads=[
                Upload("big.png", PNG + b"\x00" * 10485760),
                Upload("x.exe", b"MZ\x90\x00", 1),
            ],
        )
    assert problems_of(bad) == [
        ("attachments.0.file", "TOO_LARGE"),
        ("attachments.1.file", "FORBIDDEN_TYPE"),
    ]
    assert [type(e) for e in tenant.tickets.committed].count(TicketPostAdded) == 2


async def test_staff_assign_to_a_team_and_views_follow_the_active_customer():
    tenant = Tenant(VE)
    at_bpo = await tenant.desk(PATRICK_AT_BPO).create_ticket(CASE)
    at_b = await tenant.desk(PATRICK).create_ticket({**CASE, "organisation": "kunde-b"})
    assigned = await tenant.desk(AGENT).assign(at_b.id, at_b.version, team="loen_team", user=None)
    assert assigned.owner_team == "loen_team"
    with pytest.raises(DomainError) as refused:
        await tenant.desk(PATRICK).assign(at_b.id, 1, team="loen_team", user=None)
    assert problems_of(refused) == [(None, "FORBIDDEN")]
    with pytest.raises(ValidationFailed) as unknown:
        await tenant.desk(AGENT).assign(assigned.id, assigned.version, team="x", user=None)
    assert problems_of(unknown) == [("teamCode", "UNKNOWN_CODE")]
    mine = TicketView(view=View.MINE)
    both = await tenant.desk(PATRICK).page(size=10, after=None, view=mine)
    assert {t.id for t in both.items} == {at_bpo.id, at_b.id}
    chosen = await tenant.desk(PATRICK_AT_BPO).page(size=10, after=None, view=mine)
    assert [t.id for t in chosen.items] == [at_bpo.id]
    closed = TicketView(view=View.MINE, category=Category.CLOSED)
    assert (await tenant.desk(PATRICK).page(size=10, after=None, view=closed)).total == 0
    by_number = TicketView(search="2196")
    assert [
        t.number for t in (await tenant.desk(AGENT).page(size=5, after=None, view=by_number)).items
    ] == ["00002196"]


async def test_a_parent_organisations_member_sees_its_departments_tickets():
    tenant = Tenant()
    await tenant.organisations.record(
        "org-dept", parent_id="org-school", version="1:000000000001.0000"
    )
    department = make_principal("visma", user="dora", memberships={"org-dept": ("user",)})
    public = await open_ticket(tenant.desk(department), organisation="org-dept")
    private = await open_ticket(tenant.desk(department), organisation="org-dept", private=True)
    parent = tenant.desk(ANNA)
    assert await parent.ticket(public.id) == public  # type: ignore[attr-defined]
    assert await parent.ticket(private.id) is None  # type: ignore[attr-defined]
    organisation = TicketView(view=View.ORGANISATION)
    assert (await parent.page(size=5, after=None, view=organisation)).total == 1
    # ... and opens tickets for it; the department does not see the parent's.
    for_department = await open_ticket(parent, organisation="org-dept")
    assert for_department.organisation_id == "org-dept"  # type: ignore[attr-defined]
    own = await open_ticket(parent)
    assert await tenant.desk(department).ticket(own.id) is None  # type: ignore[attr-defined]


async def test_each_side_edits_the_fields_the_tenant_lets_it_and_a_stale_version_changes_nothing():
    tenant = Tenant(VE)
    desk = tenant.desk(PATRICK_AT_BPO)
    case = await desk.create_ticket(CASE)
    edited = await desk.edit_ticket(case.id, case.version, {"urgency": "kritisk"})
    assert edited.values.urgency == "kritisk"
    assert next(e for e in edited.feed if e.activity == "edited").details == {"fields": "urgency"}
    with pytest.raises(ValidationFailed) as refused:
        await desk.edit_ticket(edited.id, edited.version, {"service": "visma_hr", "title": " "})
    assert problems_of(refused) == [("service", "FORBIDDEN")]
    with pytest.raises(DomainError) as stale:
        await desk.edit_ticket(case.id, case.version, {"urgency": "mindre"})
    assert problems_of(stale) == [("version", "STALE_VERSION")]
    with pytest.raises(ValidationFailed) as unknown:
        await tenant.desk(AGENT).edit_ticket(
            edited.id, edited.version, {"service": "visma_hr", "topic": "nothing"}
        )
    assert problems_of(unknown) == [("topic", "UNKNOWN_CODE")]
    moved = await tenant.desk(AGENT).edit_ticket(edited.id, edited.version, {"service": "visma_hr"})
    assert moved.values.service == "visma_hr"
    assert (await tenant.tickets.get(case.id)).values.service == "visma_hr"  # type: ignore[union-attr]


async def test_a_file_of_an_internal_note_is_for_staff_alone():
    tenant = Tenant(VE)
    case = await tenant.desk(PATRICK_AT_BPO).create_ticket(CASE)
    noted = await tenant.desk(AGENT).add_post(
        case.id, case.version, "Log fra kunden", internal=True, uploads=[Upload("intern.png", PNG)]
    )
    [file] = noted.files
    seen = await tenant.desk(KAREN).ticket(case.id)
    assert seen is not None
    assert tenant.desk(KAREN).related_files(seen) == []
    assert await tenant.desk(KAREN).file(file.id) is None
    assert await tenant.desk(AGENT).file(file.id) is not None


async def test_another_customers_ticket_answers_like_a_missing_one():
    tenant = Tenant(VE)
    case = await tenant.desk(PATRICK_AT_BPO).create_ticket(CASE)
    stranger = make_principal(VE, user="x", memberships={"kunde-c": ("user",)})
    # (Another tenant's are not even in reach: each tenant has its own repository.)
    with pytest.raises(DomainError) as refused:
        await tenant.desk(stranger).add_post(case.id, case.version, "hej")
    assert problems_of(refused) == [("id", "NOT_FOUND")]
    assert [type(e) for e in tenant.tickets.committed].count(TicketPostAdded) == 0


def test_an_inactive_code_is_refused_for_new_tickets_and_kept_on_old_ones():
    path = resources.files("portal_tickets.configuration") / f"{VE}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["topics"][0]["active"] = False
    configuration = parse_configuration(document)
    given = {**CASE}
    with pytest.raises(ValidationFailed) as refused:
        check_values(configuration, given)
    assert problems_of(refused) == [("topic", "UNKNOWN_CODE")]
    kept = configuration.choice("topic", "konsulentbistand")
    assert kept is not None and kept.label("da") == "Konsulentbistand"
