"""The two support manuals walked through the gateway, over the real people and tickets subgraphs
(issue 12): Visma InSchool's OTRS portal (shared/seeds/003_…, Swedish and Finnish) and Visma
Enterprise's customer portal (shared/seeds/004_…, Danish). Users log in with people's tokens; the
ticket form, the lists, the feed and the files come back in the caller's language. Last, the demo
loader (`python -m portal_tickets.demo`): after it a new user sees what the manuals show."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from portal_gateway.testing.serving import serving
from portal_kit.gateway_client import GatewayClient
from portal_kit.testing.harness import RunningService
from portal_people.testing import CREATE_ORGANISATION, SeededTenant, add_user, seed_tenant
from portal_tickets.app import create_app as create_tickets_app
from portal_tickets.demo import TicketDemo
from portal_tickets.demo_data import ENTERPRISE, INSCHOOL
from portal_tickets.settings import TicketsSettings

PASSWORD = "a long secret phrase"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x01" * 2048
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  accessToken userErrors { field code } } }"""
CHOOSE = """mutation($input: ChooseActiveOrganisationInput!) {
  chooseActiveOrganisation(input: $input) { session { accessToken } userErrors { code } } }"""
SET_ACCESS = """mutation($input: SetProductAccessInput!) { setProductAccess(input: $input) {
  productAccess { products } userErrors { field code } } }"""
FORM = """{ ticketForm { locale defaultTicketType defaultCustomerId customerIds
  fields { name label help required }
  ticketTypes { code label explanation }
  services { code label subServices { code label } }
  urgencies { code label } impacts { code label } topics { code label }
  statuses { code label category } } }"""
TICKET = """id number version heading subject title description private status statusLabel
  category ticketType type { code label } service { label } subService { label }
  urgency { label } impact { label } topic { label }
  organisationId creator { name } ownerTeam { code label } followers { name }
  nextStatuses { code label }
  feed { kind text authorSide summary activity author { name } previousOwner { name }
    files { filename } }
  files { id filename size contentType downloadPath }"""
CREATE = f"""mutation($input: CreateTicketInput!) {{ createTicket(input: $input) {{
  ticket {{ {TICKET} }} userErrors {{ field code message }} }} }}"""
READ = f"query($id: ID!) {{ ticket(id: $id) {{ {TICKET} }} }}"
LIST = """query($view: TicketListView, $state: TicketStateFilter, $search: String) {
  tickets(first: 50, view: $view, state: $state, search: $search) {
  totalCount edges { node { number heading statusLabel creator { name } } } } }"""


def mutation(name: str, input_type: str) -> str:
    return f"""mutation($input: {input_type}!) {{ {name}(input: $input) {{
      ticket {{ {TICKET} }} userErrors {{ field code message }} }} }}"""


CLOSE = mutation("closeTicket", "TicketVersionInput")
REOPEN = mutation("reopenTicket", "TicketVersionInput")
POST = mutation("addTicketPost", "AddTicketPostInput")
FOLLOW = mutation("addTicketFollower", "TicketFollowerInput")
UNFOLLOW = mutation("removeTicketFollower", "TicketFollowerInput")
STATUS = mutation("changeTicketStatus", "ChangeTicketStatusInput")


@pytest.fixture
async def gateway(
    people_service: tuple[RunningService, str], settings_for: Any, start_gateway: Any
) -> AsyncIterator[httpx.AsyncClient]:
    _, url = people_service
    async with (
        serving(create_tickets_app(settings_for(TicketsSettings))) as tickets,
        start_gateway(
            people_url=f"{url}/graphql",
            tickets_url=f"{tickets}/graphql",
            jwks_url=f"{url}/.well-known/jwks.json",
        ) as client,
    ):
        yield client


class Session:
    """A user logged in through the gateway."""

    def __init__(self, gateway: httpx.AsyncClient, token: str) -> None:
        self.gateway = gateway
        self.token = token

    async def call(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.gateway.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def do(self, query: str, **input: Any) -> dict[str, Any]:
        payload: dict[str, Any] = next(iter((await self.call(query, input=input)).values()))
        return payload

    async def done(self, query: str, **input: Any) -> dict[str, Any]:
        payload = await self.do(query, **input)
        assert payload["userErrors"] == [], payload
        ticket: dict[str, Any] = payload["ticket"]
        return ticket

    async def numbers(self, **variables: Any) -> list[str]:
        found = (await self.call(LIST, **variables))["tickets"]
        return sorted(edge["node"]["number"] for edge in found["edges"])

    async def download(self, path: str) -> httpx.Response:
        return await self.gateway.get(path, headers={"Authorization": f"Bearer {self.token}"})


async def log_in(gateway: httpx.AsyncClient, tenant: str, login: str) -> Session:
    response = await gateway.post(
        "/graphql",
        json={"query": LOG_IN, "variables": {"input": {"login": login, "password": PASSWORD}}},
        headers={"X-Portal-Tenant": tenant},
    )
    session = response.json()["data"]["logIn"]
    assert session["userErrors"] == [], session
    return Session(gateway, session["accessToken"])


def codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((e["field"], e["code"]) for e in payload["userErrors"])


# -- Visma InSchool -------------------------------------------------------------------------------


@pytest.fixture
async def inschool(people_service: tuple[RunningService, str]) -> SeededTenant:
    service, _ = people_service
    tenant = await seed_tenant(
        service, "visma-inschool", country="FI", locales=["sv", "fi", "en"], default_locale="sv"
    )
    await add_user(
        service,
        tenant,
        "maria.westerback@visma.example",
        email="maria.westerback@visma.example",
        name="Maria Westerback",
        organisation=tenant.operator,
        roles=("admin",),
    )
    for login, name, locale in (
        ("rektor@skola.example", "Rektor Exempel", "sv"),
        ("opettaja@skola.example", "Opettaja Esimerkki", "fi"),
    ):
        await add_user(
            service,
            tenant,
            login,
            email=login,
            name=name,
            organisation=tenant.customer,
            locale=locale,
        )
    return tenant


async def test_inschool_manual_new_ticket_my_and_organisation_tickets_and_an_answer(
    gateway, inschool
):
    # "Ange ditt användarnamn, som är den e-postadress som du använder"
    rektor = await log_in(gateway, "visma-inschool", "rektor@skola.example")
    colleague = await log_in(gateway, "visma-inschool", "opettaja@skola.example")
    support = await log_in(gateway, "visma-inschool", "maria.westerback@visma.example")

    # Nytt ärende: the form in Swedish, built from the tenant's configuration.
    form = (await rektor.call(FORM))["ticketForm"]
    assert form["locale"] == "sv" and form["defaultTicketType"] == "unclassified"
    assert form["defaultCustomerId"] == inschool.customer
    assert [(f["name"], f["label"], f["required"]) for f in form["fields"]] == [
        ("organisationId", "Organisation", True),
        ("ticketType", "Typ", True),
        ("service", "Tjänst", True),
        ("subService", "Deltjänst", False),
        ("subject", "Ämne", True),
        ("description", "Text", True),
        ("attachments", "Bilagor", False),
    ]
    types = {t["code"]: t for t in form["ticketTypes"]}
    assert types["unclassified"]["label"] == "Unclassified"
    assert types["incident"]["explanation"] == "Störning i programmen"
    assert types["request_for_change"]["label"] == "Request for Change (General)"
    assert types["user_support"]["explanation"].startswith("Normalt supportbehov")
    assert [(s["label"], [c["label"] for c in s["subServices"]]) for s in form["services"]] == [
        ("SaaS", []),
        ("Kurre", []),
        ("Primus", ["PrimusQuery"]),
        ("Wilma", ["Wilma-appen"]),
    ]
    # The same form in Finnish for a Finnish-speaking user.
    finnish = (await colleague.call(FORM))["ticketForm"]
    assert [f["label"] for f in finnish["fields"]][1:3] == ["Tyyppi", "Palvelu"]
    assert {t["code"]: t["explanation"] for t in finnish["ticketTypes"]}[
        "incident"
    ] == "Häiriö ohjelmissa"

    # Type, service, subject and text are required; a refusal is in Swedish.
    refused = await rektor.do(CREATE)
    assert codes(refused) == [
        ("description", "REQUIRED"),
        ("service", "REQUIRED"),
        ("subject", "REQUIRED"),
    ]
    assert refused["userErrors"][0]["message"] == "detta är obligatoriskt"

    unclassified = await rektor.done(
        CREATE,
        service="wilma",
        subService="wilma_app",
        subject="Schemat syns inte i appen",
        description="Eleverna ser inte veckans schema i Wilma-appen.",
    )
    assert (unclassified["type"], unclassified["status"], unclassified["statusLabel"]) == (
        {"code": "unclassified", "label": "Unclassified"},
        "new",
        "Ny",
    )
    assert (unclassified["service"], unclassified["subService"]) == (
        {"label": "Wilma"},
        {"label": "Wilma-appen"},
    )
    incident = await rektor.done(
        CREATE,
        ticketType="incident",
        service="primus",
        subService="primus_query",
        subject="PrimusQuery svarar inte",
        description="Frågorna tar timeout sedan i morse.",
    )
    by_colleague = await colleague.done(
        CREATE,
        ticketType="user_support",
        service="kurre",
        subject="Kurre-rapport",
        description="Hur skriver man ut rapporten?",
    )

    # Mina ärenden: all, open, closed (the customer closes their own ticket).
    closed = await rektor.done(CLOSE, id=incident["id"], version=incident["version"])
    assert (closed["category"], closed["statusLabel"]) == ("CLOSED", "Avslutad")
    assert await rektor.numbers(view="MINE") == ["1", "2"]
    assert await rektor.numbers(view="MINE", state="OPEN") == ["1"]
    assert await rektor.numbers(view="MINE", state="CLOSED") == ["2"]
    # Organisationens ärenden, with who wrote them.
    listed = (await colleague.call(LIST, view="ORGANISATION"))["tickets"]
    assert sorted((e["node"]["number"], e["node"]["creator"]["name"]) for e in listed["edges"]) == [
        ("1", "Rektor Exempel"),
        ("2", "Rektor Exempel"),
        ("3", "Opettaja Esimerkki"),
    ]
    assert [e["node"]["statusLabel"] for e in listed["edges"]][-1] == "Uusi"  # in Finnish
    # Search by number and by text.
    assert await rektor.numbers(search="3") == ["3"]
    assert await rektor.numbers(search="primusquery") == ["2"]

    # Support answers; the answer is on the ticket for the customer, the internal note is not.
    answered = await support.done(
        POST,
        id=unclassified["id"],
        version=unclassified["version"],
        text="Hej! Uppdatera appen till den senaste versionen.",
    )
    await support.done(
        POST,
        id=answered["id"],
        version=answered["version"],
        text="Känt fel i version 4.2",
        internal=True,
    )
    seen = (await rektor.call(READ, id=unclassified["id"]))["ticket"]
    posts = [e for e in seen["feed"] if e["kind"] == "POST"]
    assert [(p["text"], p["authorSide"], p["author"]["name"]) for p in posts] == [
        ("Hej! Uppdatera appen till den senaste versionen.", "STAFF", "Maria Westerback")
    ]
    assert all(e["kind"] != "NOTE" for e in seen["feed"])
    staff_seen = (await support.call(READ, id=unclassified["id"]))["ticket"]
    assert [e["text"] for e in staff_seen["feed"] if e["kind"] == "NOTE"] == [
        "Känt fel i version 4.2"
    ]
    # A closed ticket takes no post until it is reopened.
    on_closed = await rektor.do(POST, id=closed["id"], version=closed["version"], text="Hallå?")
    assert codes(on_closed) == [("id", "CLOSED")]
    reopened = await rektor.done(REOPEN, id=closed["id"], version=closed["version"])
    assert reopened["statusLabel"] == "Öppen"
    assert by_colleague["number"] == "3"


# -- Visma Enterprise -----------------------------------------------------------------------------


async def create_customer(service: RunningService, tenant: SeededTenant, name: str) -> str:
    as_admin = tenant.staff.model_copy(update={"scopes": ("platform:admin",)})
    created = await service.graphql(
        CREATE_ORGANISATION, {"input": {"name": name, "kind": "CUSTOMER"}}, principal=as_admin
    )
    organisation_id: str = created["createOrganisation"]["organisation"]["id"]
    return organisation_id


async def visma_enterprise(service: RunningService) -> tuple[SeededTenant, str, dict[str, str]]:
    tenant = await seed_tenant(service, "visma-enterprise", country="DK")
    second = await create_customer(service, tenant, "Kunde B ApS")
    await add_user(
        service,
        tenant,
        "support.agent",
        name="BPO Team 1",
        organisation=tenant.operator,
        roles=("admin",),
    )
    ids = {}
    ids["patrick"] = (
        await add_user(
            service,
            tenant,
            "patrick.stjerne",
            name="Patrick Stjerne",
            memberships=[
                {"organisationId": tenant.customer, "roles": ["user"]},
                {"organisationId": second, "roles": ["user"]},
            ],
        )
    )["id"]
    for login, name in (("karen", "Karen Kollega"), ("lars", "Lars Larsen")):
        user = await add_user(service, tenant, login, name=name, organisation=tenant.customer)
        ids[login] = user["id"]
    return tenant, second, ids


def case_input(**overrides: Any) -> dict[str, Any]:
    values = {
        "service": "visma_lon_abc",
        "ticketType": "fejl",
        "urgency": "mindre",
        "impact": "users_10_0",
        "topic": "konsulentbistand",
        "title": "Fejl ved oprettelse i visma løn",
        "description": "Ved oprettelse af ny medarbejder får jeg systemfejl",
    }
    values.update(overrides)
    return values


async def create_with_files(session: Session, files: list[tuple[str, bytes]], **input: Any) -> Any:
    """'Add Files … Upload filer': a GraphQL multipart request through the gateway."""
    variables = {
        "input": {**input, "attachments": [{"filename": n, "file": None} for n, _ in files]}
    }
    response = await session.gateway.post(
        "/graphql",
        data={
            "operations": orjson.dumps({"query": CREATE, "variables": variables}).decode(),
            "map": orjson.dumps(
                {str(i): [f"variables.input.attachments.{i}.file"] for i in range(len(files))}
            ).decode(),
        },
        files={str(i): (name, data, "image/png") for i, (name, data) in enumerate(files)},
        headers={"Authorization": f"Bearer {session.token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["createTicket"]


async def form_once_tickets_know_the_products(session: Session, count: int) -> dict[str, Any]:
    for _ in range(100):
        form: dict[str, Any] = (await session.call(FORM))["ticketForm"]
        if len(form["services"]) == count:
            return form
        await asyncio.sleep(0.1)
    raise AssertionError("tickets never learnt the customer's products from people's events")


async def follow_once_known(session: Session, ticket: dict[str, Any], user: str) -> Any:
    for _ in range(100):
        payload = await session.do(FOLLOW, id=ticket["id"], version=ticket["version"], userId=user)
        if payload["userErrors"] == []:
            return payload["ticket"]
        await asyncio.sleep(0.1)
    raise AssertionError(f"tickets never learnt the product access of {user}")


async def test_visma_enterprise_manual_case_followers_switch_customer_posts_and_files(
    gateway, people_service
):
    service, _ = people_service
    tenant, second, ids = await visma_enterprise(service)
    agent = await log_in(gateway, "visma-enterprise", "support.agent")
    patrick = await log_in(gateway, "visma-enterprise", "patrick.stjerne")
    karen = await log_in(gateway, "visma-enterprise", "karen")
    lars = await log_in(gateway, "visma-enterprise", "lars")
    for kind, holder, products in (
        ("ORGANISATION", tenant.customer, ["visma_lon_abc", "visma_hr"]),
        ("ORGANISATION", second, ["visma_lonservice"]),
        ("USER", ids["karen"], ["visma_lon_abc"]),
        ("USER", ids["lars"], ["visma_hr"]),
    ):
        granted = await agent.do(SET_ACCESS, holderKind=kind, holderId=holder, products=products)
        assert granted["userErrors"] == [], granted

    # 'Vælg kunde': Patrick works for BPO Account; the form offers its products, in Danish.
    chosen = await patrick.do(CHOOSE, organisationId=tenant.customer)
    at_bpo = Session(gateway, chosen["session"]["accessToken"])
    form = await form_once_tickets_know_the_products(at_bpo, 2)
    assert (form["locale"], form["defaultCustomerId"]) == ("da", tenant.customer)
    required = [(f["name"], f["label"]) for f in form["fields"] if f["required"]]
    assert required == [
        ("organisationId", "Kunde"),
        ("service", "Produkt"),
        ("ticketType", "Type"),
        ("urgency", "Haster"),
        ("impact", "Indvirkning"),
        ("topic", "Emne"),
        ("title", "Titel"),
        ("description", "Beskrivelse"),
    ]
    private_field = next(f for f in form["fields"] if f["name"] == "private")
    assert private_field["help"].startswith('Hvis du vælger "Privat"')
    assert [s["label"] for s in form["services"]] == ["Visma Løn ABC", "Visma HR"]
    assert {u["label"] for u in form["urgencies"]} >= {"Mindre fejl"}
    assert {i["label"] for i in form["impacts"]} >= {"10-0% users affected"}
    assert {t["label"] for t in form["topics"]} >= {"Konsulentbistand"}

    # Every field marked with a red star is required.
    missing = await at_bpo.do(CREATE, title="Fejl")
    assert [f for f, _ in codes(missing)] == [
        "description",
        "impact",
        "service",
        "topic",
        "urgency",
    ]
    not_licensed = await at_bpo.do(CREATE, **case_input(service="visma_lonservice"))
    assert codes(not_licensed) == [("service", "NO_PRODUCT_ACCESS")]

    # Opret en sag, with files; 'Gem'. Case 00002196, owner set by the assignment rule.
    created = await create_with_files(
        at_bpo, [("skaermbillede.png", PNG), ("fejl.png", PNG)], **case_input()
    )
    assert created["userErrors"] == [], created
    case = created["ticket"]
    assert case["number"] == "00002196"
    assert (case["type"]["label"], case["urgency"]["label"], case["topic"]["label"]) == (
        "Fejl",
        "Mindre fejl",
        "Konsulentbistand",
    )
    assert case["ownerTeam"] == {"code": "bpo_team_1", "label": "BPO Team 1"}
    rule = next(e for e in case["feed"] if e["activity"] == "owner_changed")
    assert rule["summary"] == "Sagsejer (ved brug af tildelingsregel) ændret til BPO Team 1"
    assert rule["previousOwner"] == {"name": "Patrick Stjerne"}
    assert case["creator"] == {"name": "Patrick Stjerne"}  # 'Kontakt navn'
    assert sorted(f["filename"] for f in case["files"]) == ["fejl.png", "skaermbillede.png"]

    # 'Privat': only Patrick and Visma Enterprise see it.
    private = await at_bpo.done(CREATE, **case_input(title="Løn", private=True))
    assert await karen.numbers() == ["00002196"]
    assert (await karen.call(READ, id=private["id"]))["ticket"] is None
    assert (await agent.call(READ, id=private["id"]))["ticket"]["private"] is True

    # Følgere: only with a profile with access to the case's product; a private case takes none.
    no_access = await at_bpo.do(FOLLOW, id=case["id"], version=case["version"], userId=ids["lars"])
    assert codes(no_access) == [("userId", "NO_PRODUCT_ACCESS")]
    on_private = await at_bpo.do(
        FOLLOW, id=private["id"], version=private["version"], userId=ids["karen"]
    )
    assert codes(on_private) == [("userId", "PRIVATE_TICKET")]
    followed = await follow_once_known(at_bpo, case, ids["karen"])
    assert followed["followers"] == [{"name": "Karen Kollega"}]
    stale = await at_bpo.do(FOLLOW, id=case["id"], version=case["version"], userId=ids["karen"])
    assert codes(stale) == [("version", "STALE_VERSION")]
    assert await karen.numbers(view="FOLLOWED") == ["00002196"]
    assert await lars.numbers(view="FOLLOWED") == []

    # Indlæg: staff write, everyone with access reads; a picture goes with a post.
    posted = await agent.done(
        POST, id=followed["id"], version=followed["version"], text="Vi undersøger fejlen."
    )
    reply = await karen.done(
        POST,
        id=posted["id"],
        version=posted["version"],
        text="Det sker også for os: https://status.example/visma",
    )
    for reader in (at_bpo, karen, agent):
        feed = (await reader.call(READ, id=case["id"]))["ticket"]["feed"]
        assert [e["text"] for e in feed if e["kind"] == "POST"] == [
            "Det sker også for os: https://status.example/visma",
            "Vi undersøger fejlen.",
        ]
    # Relaterede: the files, downloadable by those who see the case, 404 for anyone else.
    files = (await karen.call(READ, id=case["id"]))["ticket"]["files"]
    download = await karen.download(files[0]["downloadPath"])
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert (await lars.download("/ticket-files/000000000000000000000000")).status_code == 404
    # Lars is a colleague at BPO: he sees the public case and its files, but not Kunde B's.
    assert (await lars.download(files[0]["downloadPath"])).status_code == 200

    # Select view: all, open, followed; closed after Patrick closes it.
    closed = await at_bpo.done(CLOSE, id=reply["id"], version=reply["version"])
    assert closed["statusLabel"] == "Lukket"
    assert await at_bpo.numbers(view="MINE") == ["00002196", "00002197"]
    assert await at_bpo.numbers(view="MINE", state="OPEN") == ["00002197"]
    assert await at_bpo.numbers(view="MINE", state="CLOSED") == ["00002196"]

    # Switch customer: the lists and the form follow the choice.
    switched = await patrick.do(CHOOSE, organisationId=second)
    at_b = Session(gateway, switched["session"]["accessToken"])
    assert await at_b.numbers(view="MINE") == []
    # Working for Kunde B, BPO Account's case and its files are out of sight.
    assert (await at_b.download(files[0]["downloadPath"])).status_code == 404
    form_b = await form_once_tickets_know_the_products(at_b, 1)
    assert (form_b["defaultCustomerId"], [s["code"] for s in form_b["services"]]) == (
        second,
        ["visma_lonservice"],
    )
    for_b = await at_b.done(CREATE, **case_input(service="visma_lonservice"))
    assert for_b["organisationId"] == second
    assert for_b["ownerTeam"]["code"] == "bpo_team_1"
    assert await at_b.numbers(view="MINE") == ["00002198"]
    refused = await at_b.do(CREATE, **case_input(organisationId=tenant.customer))
    assert codes(refused) == [("organisationId", "NOT_FOUND")]
    # Staff move it along the workflow; a customer may not set staff statuses.
    waiting = await agent.done(
        STATUS, id=for_b["id"], version=for_b["version"], status="afventer_kunde"
    )
    assert waiting["statusLabel"] == "Afventer kunde"
    assert [s["label"] for s in waiting["nextStatuses"]] == [
        "Under behandling",
        "Løst",
        "Lukket",
    ]
    customer_sees = (await at_b.call(READ, id=waiting["id"]))["ticket"]["nextStatuses"]
    assert customer_sees == [{"code": "lukket", "label": "Lukket"}]
    not_yours = await at_b.do(STATUS, id=waiting["id"], version=waiting["version"], status="loest")
    assert codes(not_yours) == [("status", "TRANSITION_NOT_ALLOWED")]


# -- the demo (python -m portal_tickets.demo) -----------------------------------------------------

DEMO_PASSWORD = "Portal-demo-2026!"
DEMO_CASES = """{ tickets(first: 20, view: MINE) { edges { node { number heading statusLabel
  ownerTeam { label } organisation { name } } } } }"""
DEMO_CASE = """query($search: String) { tickets(first: 1, search: $search) { edges { node {
  number private feed { kind text summary } files { filename downloadPath } } } } }"""


async def demo_tenants(service: RunningService) -> None:
    """The two tenants as people's demo makes them (the same names, logins and password)."""
    inschool = await seed_tenant(service, "visma-inschool", country="FI")
    school = await demo_organisation(service, inschool.staff, "Exempelskolan i Vasa")
    await add_user(
        service,
        inschool,
        "maria.westerback@visma.example",
        email="maria.westerback@visma.example",
        organisation=inschool.operator,
        roles=("admin",),
        password=DEMO_PASSWORD,
    )
    await add_user(
        service,
        inschool,
        "rektor@skola.example",
        email="rektor@skola.example",
        organisation=school,
        password=DEMO_PASSWORD,
    )
    enterprise = await seed_tenant(service, "visma-enterprise", country="DK")
    bpo = await demo_organisation(service, enterprise.staff, "BPO Account")
    kunde_b = await demo_organisation(service, enterprise.staff, "Kunde B ApS")
    await add_user(
        service,
        enterprise,
        "support.agent",
        name="BPO Team 1",
        organisation=enterprise.operator,
        roles=("admin",),
        password=DEMO_PASSWORD,
    )
    await add_user(
        service,
        enterprise,
        "patrick.stjerne",
        name="Patrick Stjerne",
        memberships=[
            {"organisationId": bpo, "roles": ["user"]},
            {"organisationId": kunde_b, "roles": ["user"]},
        ],
        password=DEMO_PASSWORD,
    )


async def demo_organisation(service: RunningService, staff: Any, name: str) -> str:
    as_admin = staff.model_copy(update={"scopes": ("platform:admin",)})
    created = await service.graphql(
        CREATE_ORGANISATION, {"input": {"name": name, "kind": "CUSTOMER"}}, principal=as_admin
    )
    organisation_id: str = created["createOrganisation"]["organisation"]["id"]
    return organisation_id


async def test_the_demo_shows_case_00002196_and_the_schools_tickets(gateway, people_service):
    service, _ = people_service
    await demo_tenants(service)
    client = GatewayClient(f"{gateway.base_url}/graphql", DEMO_PASSWORD)
    demo = TicketDemo(client)
    loaded = await asyncio.to_thread(demo.load, ENTERPRISE)
    assert loaded == ["00002196", "00002197", "00002198", "00002199"]
    assert await asyncio.to_thread(demo.load, INSCHOOL) == ["1", "2", "3", "4", "5"]
    assert await asyncio.to_thread(demo.load, ENTERPRISE) == []  # again: nothing doubled

    patrick = await asyncio.to_thread(
        client.call, "visma-enterprise", "patrick.stjerne", DEMO_CASES
    )
    cases = {e["node"]["number"]: e["node"] for e in patrick["tickets"]["edges"]}
    assert cases["00002196"] == {
        "number": "00002196",
        "heading": "Test",
        "statusLabel": "Under behandling",
        "ownerTeam": {"label": "BPO Team 1"},
        "organisation": {"name": "BPO Account"},
    }
    case = (
        await asyncio.to_thread(
            client.call, "visma-enterprise", "patrick.stjerne", DEMO_CASE, {"search": "00002196"}
        )
    )["tickets"]["edges"][0]["node"]
    assert [e["text"] for e in case["feed"] if e["kind"] == "POST"] == [
        "Tak, vi undersøger fejlen og vender tilbage i dag.",
        "Ved oprettelse af ny medarbejder får jeg systemfejl. Se vedhæftet log.",
    ]
    assert "Sagsejer (ved brug af tildelingsregel) ændret til BPO Team 1" in [
        e["summary"] for e in case["feed"]
    ]
    assert sorted(f["filename"] for f in case["files"]) == ["fejllog.txt", "skaermbillede.png"]

    rektor = await asyncio.to_thread(
        client.call,
        "visma-inschool",
        "rektor@skola.example",
        "{ tickets(first: 20, state: CLOSED) { edges { node { heading } } } }",
    )
    assert [e["node"]["heading"] for e in rektor["tickets"]["edges"]] == [
        "Uppdatering av SaaS-miljön",
        "PrimusQuery svarar inte",
    ]


async def test_a_follower_of_another_customer_and_the_case_s_colleagues_read_each_others_names(
    gateway, people_service
):
    # People show contact cards of staff and of one's own organisations' members; on a ticket
    # they also show whoever shares it: the creator and followers, and to a follower the
    # members of the ticket's organisation (its post authors). Nobody else gains anything.
    service, _ = people_service
    tenant, second, _ = await visma_enterprise(service)
    nina = await add_user(service, tenant, "nina", name="Nina Nabo", organisation=second)
    agent = await log_in(gateway, "visma-enterprise", "support.agent")
    for kind, holder in (("ORGANISATION", tenant.customer), ("USER", nina["id"])):
        granted = await agent.do(
            SET_ACCESS, holderKind=kind, holderId=holder, products=["visma_lon_abc"]
        )
        assert granted["userErrors"] == [], granted
    karen = await log_in(gateway, "visma-enterprise", "karen")
    await form_once_tickets_know_the_products(karen, 1)
    case = await karen.done(CREATE, **case_input())
    followed = await follow_once_known(karen, case, nina["id"])
    lars = await log_in(gateway, "visma-enterprise", "lars")
    await lars.done(POST, id=followed["id"], version=followed["version"], text="Også hos mig.")
    as_nina = await log_in(gateway, "visma-enterprise", "nina")
    seen: dict[str, Any] = {}
    for _ in range(100):  # until people have taken in the ticket's events
        seen = (await as_nina.call(READ, id=case["id"]))["ticket"]
        if seen["creator"] is not None and seen["feed"][0]["author"] is not None:
            break
        await asyncio.sleep(0.1)
    assert seen["creator"] == {"name": "Karen Kollega"}
    assert seen["followers"] == [{"name": "Nina Nabo"}]
    post = next(e for e in seen["feed"] if e["kind"] == "POST")
    assert post["author"] == {"name": "Lars Larsen"}
    # The case's colleagues read the outside follower's name.
    assert (await lars.call(READ, id=case["id"]))["ticket"]["followers"] == [{"name": "Nina Nabo"}]
    # Someone of a third customer shares no ticket with her: her card stays unreadable.
    third = await create_customer(service, tenant, "Kunde C ApS")
    await add_user(service, tenant, "ole", name="Ole Olsen", organisation=third)
    ole = await log_in(gateway, "visma-enterprise", "ole")
    card = await ole.call("query($id: ID!) { user(id: $id) { name } }", id=nina["id"])
    assert card["user"] is None
    assert (await ole.call(READ, id=case["id"]))["ticket"] is None
