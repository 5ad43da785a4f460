"""`python -m portal_tickets.demo` through the gateway, over the real people and tickets
subgraphs: after it, a new user of Visma Enterprise sees what the manual shows right after login
(case 00002196 of BPO Account with its posts, files and owner team), and of Visma InSchool the
school's tickets; a second run changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_gateway.testing.serving import serving
from portal_kit.gateway_client import GatewayClient
from portal_kit.testing.harness import RunningService
from portal_people.testing import CREATE_ORGANISATION, add_user, seed_tenant
from portal_tickets.app import create_app as create_tickets_app
from portal_tickets.demo import TicketDemo
from portal_tickets.demo_data import ENTERPRISE, INSCHOOL
from portal_tickets.settings import TicketsSettings

PASSWORD = "Portal-demo-2026!"
CASES = """{ tickets(first: 20, view: MINE) { edges { node { number heading statusLabel
  ownerTeam { label } organisation { name } } } } }"""
CASE = """query($search: String) { tickets(first: 1, search: $search) { edges { node {
  number private feed { kind text summary } files { filename downloadPath } } } } }"""


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


async def demo_tenants(service: RunningService) -> None:
    """The two tenants as people's demo makes them (the same names, logins and password)."""
    inschool = await seed_tenant(service, "visma-inschool", country="FI")
    school = await organisation(service, inschool.staff, "Exempelskolan i Vasa")
    await add_user(
        service,
        inschool,
        "maria.westerback@visma.example",
        email="maria.westerback@visma.example",
        organisation=inschool.operator,
        roles=("admin",),
        password=PASSWORD,
    )
    await add_user(
        service,
        inschool,
        "rektor@skola.example",
        email="rektor@skola.example",
        organisation=school,
        password=PASSWORD,
    )
    enterprise = await seed_tenant(service, "visma-enterprise", country="DK")
    bpo = await organisation(service, enterprise.staff, "BPO Account")
    kunde_b = await organisation(service, enterprise.staff, "Kunde B ApS")
    await add_user(
        service,
        enterprise,
        "support.agent",
        name="BPO Team 1",
        organisation=enterprise.operator,
        roles=("admin",),
        password=PASSWORD,
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
        password=PASSWORD,
    )


async def organisation(service: RunningService, staff: Any, name: str) -> str:
    as_admin = staff.model_copy(update={"scopes": ("platform:admin",)})
    created = await service.graphql(
        CREATE_ORGANISATION, {"input": {"name": name, "kind": "CUSTOMER"}}, principal=as_admin
    )
    organisation_id: str = created["createOrganisation"]["organisation"]["id"]
    return organisation_id


async def test_the_demo_shows_case_00002196_and_the_schools_tickets(gateway, people_service):
    service, _ = people_service
    await demo_tenants(service)
    client = GatewayClient(f"{gateway.base_url}/graphql", PASSWORD)
    demo = TicketDemo(client)
    loaded = await asyncio.to_thread(demo.load, ENTERPRISE)
    assert loaded == ["00002196", "00002197", "00002198", "00002199"]
    assert await asyncio.to_thread(demo.load, INSCHOOL) == ["1", "2", "3", "4", "5"]
    assert await asyncio.to_thread(demo.load, ENTERPRISE) == []  # again: nothing doubled

    patrick = await asyncio.to_thread(client.call, "visma-enterprise", "patrick.stjerne", CASES)
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
            client.call, "visma-enterprise", "patrick.stjerne", CASE, {"search": "00002196"}
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
