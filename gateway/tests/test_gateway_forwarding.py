"""The gateway in front of the real people subgraph."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from portal_kit.principal import HEADER, generate_key_pair
from portal_kit.testing.nats_server import free_port
from portal_kit.testing.plugin import make_principal

CREATE_TENANT = """
mutation($id: String!, $name: String!, $c: JSON!) {
  createTenant(input: {id: $id, name: $name, configuration: $c}) {
    tenant { id name } userErrors { code message }
  }
}"""
CONFIGURATION = {"country": "NO", "locales": ["nb", "en"], "default_locale": "nb"}


def create_tenant(tenant: str) -> dict[str, object]:
    return {
        "query": CREATE_TENANT,
        "variables": {"id": tenant, "name": tenant.upper(), "c": CONFIGURATION},
    }


TENANTS = {"query": "{ tenants { id } }"}


async def create_tenants(gateway: httpx.AsyncClient, issuer: Any, *tenants: str) -> None:
    admin = issuer.token(user="root", tenant="platform", scopes=["platform:admin"])
    for tenant in tenants:
        response = await gateway.post(
            "/graphql", json=create_tenant(tenant), headers={"Authorization": f"Bearer {admin}"}
        )
        assert response.json()["data"]["createTenant"]["userErrors"] == [], response.text


async def test_platform_admin_creates_and_lists_tenants(people, issuer, start_gateway):
    admin = issuer.token(user="root", tenant="platform", scopes=["platform:admin"])
    bearer = {"Authorization": f"Bearer {admin}"}
    async with start_gateway(people_url=people, jwks_url=issuer.url) as gateway:
        for tenant in ("jm", "fb"):
            response = await gateway.post("/graphql", json=create_tenant(tenant), headers=bearer)
            assert response.status_code == 200, response.text
            payload = response.json()["data"]["createTenant"]
            assert payload == {"tenant": {"id": tenant, "name": tenant.upper()}, "userErrors": []}

        response = await gateway.post("/graphql", json=TENANTS, headers=bearer)
        assert response.json() == {"data": {"tenants": [{"id": "fb"}, {"id": "jm"}]}}


async def test_anonymous_caller_is_in_the_tenant_it_names(people, issuer, start_gateway):
    async with start_gateway(
        people_url=people, jwks_url=issuer.url, default_tenant="fb"
    ) as gateway:
        await create_tenants(gateway, issuer, "jm", "fb")
        named = await gateway.post("/graphql", json=TENANTS, headers={"X-Portal-Tenant": "jm"})
        assert named.json() == {"data": {"tenants": [{"id": "jm"}]}}
        defaulted = await gateway.post("/graphql", json=TENANTS)
        assert defaulted.json() == {"data": {"tenants": [{"id": "fb"}]}}
        denied = await gateway.post(
            "/graphql", json=create_tenant("x1"), headers={"X-Portal-Tenant": "jm"}
        )
        assert denied.json()["data"]["createTenant"]["tenant"] is None
        assert denied.json()["data"]["createTenant"]["userErrors"]


@pytest.mark.parametrize("dev_mode", [True, False])
async def test_in_dev_mode_an_anonymous_caller_naming_no_tenant_is_in_the_dev_default_tenant(
    people, issuer, start_gateway, graphql_error, dev_mode
):
    # What GraphiQL sends on opening: the full introspection query, without tenant or token.
    schema_request = {"query": get_introspection_query(), "operationName": "IntrospectionQuery"}
    async with start_gateway(
        people_url=people, jwks_url=issuer.url, dev_mode=dev_mode, dev_default_tenant="jm"
    ) as gateway:
        await create_tenants(gateway, issuer, "jm", "fb")
        schema = await gateway.post("/graphql", json=schema_request)
        defaulted = await gateway.post("/graphql", json=TENANTS)
        named = await gateway.post("/graphql", json=TENANTS, headers={"X-Portal-Tenant": "fb"})
    assert named.json() == {"data": {"tenants": [{"id": "fb"}]}}
    if dev_mode:
        assert schema.status_code == 200, schema.text
        answered = schema.json()["data"]["__schema"]
        assert answered["queryType"]["name"] == "Query"
        assert {"Order", "User", "Organisation"} <= {t["name"] for t in answered["types"]}
        assert defaulted.json() == {"data": {"tenants": [{"id": "jm"}]}}
    else:
        for refused in (schema, defaulted):
            assert refused.status_code == 400
            assert graphql_error(refused)[0] == "TENANT_REQUIRED"


async def test_anonymous_caller_without_tenant_is_refused(
    people, issuer, start_gateway, graphql_error
):
    async with start_gateway(people_url=people, jwks_url=issuer.url) as gateway:
        response = await gateway.post("/graphql", json=TENANTS)
        assert response.status_code == 400
        assert graphql_error(response)[0] == "TENANT_REQUIRED"
        invalid = await gateway.post("/graphql", json=TENANTS, headers={"X-Portal-Tenant": "J M"})
        assert invalid.status_code == 400


async def test_a_principal_sent_by_the_client_is_ignored(people, issuer, signer, start_gateway):
    """Even a principal signed with the gateway's own key: only the gateway may attach one."""
    forged = signer.sign(make_principal("jm", user="root", scopes=("platform:admin",)))
    headers = {HEADER: forged, "X-Portal-Tenant": "jm"}
    async with start_gateway(people_url=people, jwks_url=issuer.url) as gateway:
        response = await gateway.post("/graphql", json=create_tenant("evil"), headers=headers)
        assert response.status_code == 200
        payload = response.json()["data"]["createTenant"]
        assert payload["tenant"] is None
        assert payload["userErrors"][0]["code"]

        admin = issuer.token(user="root", tenant="platform", scopes=["platform:admin"])
        listed = await gateway.post(
            "/graphql", json=TENANTS, headers={"Authorization": f"Bearer {admin}"}
        )
        assert listed.json() == {"data": {"tenants": []}}


async def test_readiness_names_every_subgraph_that_does_not_answer(people, issuer, start_gateway):
    async with start_gateway(people_url=people, jwks_url=issuer.url) as gateway:
        health = await gateway.get("/healthz")
        assert health.json() == {"status": "up", "service": "gateway"}
        ready = await gateway.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "not ready",
            "checks": {"billing": False, "orders": False, "people": True, "tickets": False},
        }


async def test_people_down_answers_502_subgraph_unavailable(issuer, start_gateway, graphql_error):
    nowhere = f"http://127.0.0.1:{free_port()}/graphql"
    async with start_gateway(people_url=nowhere, jwks_url=issuer.url) as gateway:
        response = await gateway.post("/graphql", json=TENANTS, headers={"X-Portal-Tenant": "jm"})
        assert response.status_code == 502
        assert graphql_error(response) == ("SUBGRAPH_UNAVAILABLE", "people service unavailable")
        ready = await gateway.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["people"] is False


@pytest.mark.parametrize("anonymous", [True, False])
async def test_a_gateway_with_the_wrong_key_gets_502_not_401(
    people, issuer, start_gateway, graphql_error, anonymous
):
    """People refuses principals signed with another key; callers must not see that as their
    own authentication failing."""
    other_private, _ = generate_key_pair()
    headers = (
        {"X-Portal-Tenant": "jm"}
        if anonymous
        else {"Authorization": f"Bearer {issuer.token(tenant='jm')}"}
    )
    async with start_gateway(
        people_url=people, jwks_url=issuer.url, principal_private_key=other_private.decode()
    ) as gateway:
        response = await gateway.post("/graphql", json=TENANTS, headers=headers)
        assert response.status_code == 502
        assert graphql_error(response)[0] == "SUBGRAPH_UNAVAILABLE"
