"""Through the gateway over our own people and orders subgraphs (in-process, real HTTP): a JM
contractor's orders with each order's contact person resolved from people; another tenant sees
nothing of JM; a subgraph called without the gateway's signature answers 401."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_gateway.testing.serving import serving
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings

CONFIGURATION = {"country": "NO", "locales": ["nb", "en"], "default_locale": "nb"}


@pytest.fixture
async def orders(settings_for: Any) -> AsyncIterator[str]:
    async with serving(create_orders_app(settings_for(OrdersSettings))) as url:
        yield f"{url}/graphql"


async def payload(
    client: httpx.AsyncClient, token: str, field: str, input_type: str, **input: Any
) -> dict[str, Any]:
    selection = {
        "createTenant": "tenant { id }",
        "createOrganisation": "organisation { id }",
        "createUser": "user { id }",
        "createOrder": "order { id version }",
        "assignOrder": "order { id version }",
        "addEmployee": "employee { id }",
    }[field]
    response = await client.post(
        "/graphql",
        json={
            "query": f"mutation($input: {input_type}!) {{ {field}(input: $input) "
            f"{{ {selection} userErrors {{ code message }} }} }}",
            "variables": {"input": input},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    assert result["userErrors"] == [], result
    return result


ORDERS = """{ orders { edges { node { number description
  operatorContact { name user { username name } }
  assigneeContact { name user { username name } } } } } }"""


async def test_a_contractor_sees_its_orders_with_contact_people_from_people(
    people, orders, issuer, start_gateway
):
    admin = issuer.token(user="root", tenant="platform", scopes=["platform:admin"])
    async with start_gateway(people_url=people, orders_url=orders, jwks_url=issuer.url) as gw:
        for tenant in ("jm", "fb"):
            await payload(
                gw,
                admin,
                "createTenant",
                "CreateTenantInput",
                id=tenant,
                name=tenant.upper(),
                configuration=CONFIGURATION,
            )
        jm_admin = issuer.token(user="root", tenant="jm", staff=True, scopes=["platform:admin"])
        organisations = {}
        for name, kind in (
            ("JM", "OPERATOR"),
            ("Emma", "CONTRACTOR"),
            ("Other", "CONTRACTOR"),
            ("Housing", "CUSTOMER"),
        ):
            created = await payload(
                gw, jm_admin, "createOrganisation", "CreateOrganisationInput", name=name, kind=kind
            )
            organisations[name] = created["organisation"]["id"]
        pm = await payload(
            gw,
            jm_admin,
            "createUser",
            "CreateUserInput",
            username="pm.testare",
            email="pm@jm.example",
            name="PM Testare",
            memberships=[{"organisationId": organisations["JM"], "roles": ["admin"]}],
        )
        pm_id = pm["user"]["id"]
        emma_user = await payload(
            gw,
            jm_admin,
            "createUser",
            "CreateUserInput",
            username="mejlkontakt",
            email="mejl@emma.example",
            name="Mejlkontakt Emmas",
            memberships=[{"organisationId": organisations["Emma"], "roles": ["user"]}],
        )
        emma_id = emma_user["user"]["id"]
        staff = issuer.token(user=pm_id, tenant="jm", staff=True)
        for description, assignee in (("for Emma", "Emma"), ("for Other", "Other")):
            order = await payload(
                gw,
                staff,
                "createOrder",
                "CreateOrderInput",
                orderType="billable",
                description=description,
                customerOrganisationId=organisations["Housing"],
                operatorContact={"userId": pm_id, "name": "PM", "email": "pm@jm.example"},
            )
            await payload(
                gw,
                staff,
                "assignOrder",
                "AssignOrderInput",
                id=order["order"]["id"],
                version=order["order"]["version"],
                assigneeOrganisationId=organisations[assignee],
                assigneeContact={"userId": emma_id, "name": "Mejlkontakt"},
            )

        emma = issuer.token(
            user=emma_id,
            tenant="jm",
            memberships=[{"organisation": organisations["Emma"], "roles": ["user"]}],
        )
        seen = await gw.post("/graphql", json={"query": ORDERS}, headers=bearer(emma))
        by_staff = await gw.post("/graphql", json={"query": ORDERS}, headers=bearer(staff))
        fb = issuer.token(user="fb-1", tenant="fb", staff=True)
        other_tenant = await gw.post("/graphql", json={"query": ORDERS}, headers=bearer(fb))

    assert seen.status_code == 200, seen.text
    nodes = [e["node"] for e in seen.json()["data"]["orders"]["edges"]]
    assert [n["description"] for n in nodes] == ["for Emma"]
    assert nodes[0]["assigneeContact"] == {
        "name": "Mejlkontakt",
        "user": {"username": "mejlkontakt", "name": "Mejlkontakt Emmas"},
    }
    staff_nodes = [e["node"] for e in by_staff.json()["data"]["orders"]["edges"]]
    assert sorted(n["description"] for n in staff_nodes) == ["for Emma", "for Other"]
    for node in staff_nodes:
        assert node["operatorContact"]["user"] == {"username": "pm.testare", "name": "PM Testare"}
    assert other_tenant.json() == {"data": {"orders": {"edges": []}}}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_subgraph_refuses_a_call_without_the_gateways_signature(orders, people):
    async with httpx.AsyncClient() as client:
        for url in (orders, people):
            response = await client.post(url, json={"query": "{ __typename }"})
            assert response.status_code == 401
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


EMPLOYEES = (
    "{ employees { totalCount edges { node { firstName nationalId nationalIdRevealed } } } }"
)


async def test_a_field_behind_requires_scopes_is_null_with_an_error_and_the_rest_arrives(
    people, issuer, start_gateway
):
    admin = issuer.token(user="root", tenant="platform", scopes=["platform:admin"])
    async with start_gateway(people_url=people, jwks_url=issuer.url) as gw:
        await payload(
            gw,
            admin,
            "createTenant",
            "CreateTenantInput",
            id="avonova",
            name="Avonova",
            configuration=CONFIGURATION,
        )
        staff = issuer.token(user="root", tenant="avonova", staff=True, scopes=["platform:admin"])
        customer = await payload(
            gw,
            staff,
            "createOrganisation",
            "CreateOrganisationInput",
            name="Demokunde_Test",
            kind="CUSTOMER",
        )
        await payload(
            gw,
            staff,
            "addEmployee",
            "AddEmployeeInput",
            organisationId=customer["organisation"]["id"],
            firstName="Donald",
            lastName="Duck",
            email="donald.duck@testeren.example",
            nationalId="15108695088",
        )
        without_scope = issuer.token(user="staff-2", tenant="avonova", staff=True)
        response = await gw.post(
            "/graphql",
            json={"query": EMPLOYEES},
            headers={"Authorization": f"Bearer {without_scope}"},
        )
        body = response.json()
        node = body["data"]["employees"]["edges"][0]["node"]
        assert node == {
            "firstName": "Donald",
            "nationalId": "151086*****",
            "nationalIdRevealed": None,
        }
        assert [e["path"] for e in body["errors"]] == [
            ["employees", "edges", 0, "node", "nationalIdRevealed"]
        ]
        revealer = issuer.token(
            user="staff-3", tenant="avonova", staff=True, scopes=["people:national-id:reveal"]
        )
        revealed = await gw.post(
            "/graphql", json={"query": EMPLOYEES}, headers={"Authorization": f"Bearer {revealer}"}
        )
        assert "errors" not in revealed.json()
        assert revealed.json()["data"]["employees"]["edges"][0]["node"]["nationalIdRevealed"] == (
            "15108695088"
        )
