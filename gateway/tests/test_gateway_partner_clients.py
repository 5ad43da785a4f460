"""Partner clients through the gateway, over the real people and orders subgraphs: a JM
operator administrator creates a client for JM's CRM; the CRM trades its id and secret for a
token at `POST /oauth/token` (RFC 6749 client credentials) and reads JM's orders, nothing of
another tenant's, nothing of a service it has no scope for, and changes nothing; a wrong secret
is `invalid_client`, repeated ones are throttled, and a revoked client's token stops working."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
from portal_gateway.testing.serving import serving
from portal_kit.testing.harness import RunningService
from portal_kit.testing.nats_server import free_port
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_people.testing import SeededTenant, add_user, seed_tenant

PASSWORD = "a long secret phrase"
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  accessToken userErrors { field code } } }"""
CREATE_CLIENT = """mutation($input: CreatePartnerClientInput!) {
  createPartnerClient(input: $input) {
  partnerClient { id clientId name scopes version revokedAt } clientSecret
  userErrors { field code message } } }"""
REVOKE_CLIENT = """mutation($input: RevokePartnerClientInput!) {
  revokePartnerClient(input: $input) {
  partnerClient { revokedAt } clientSecret userErrors { field code } } }"""
CLIENTS = "{ partnerClients { clientId name scopes } }"
CREATE_ORDER = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  order { id } userErrors { field code message } } }"""
ORDERS = "{ orders(first: 50) { edges { node { id } } } }"


@pytest.fixture
async def platform(
    people_service: tuple[RunningService, str], settings_for: Any, start_gateway: Any
) -> AsyncIterator[tuple[RunningService, httpx.AsyncClient]]:
    """People, orders and the gateway, which follows people's events for revocations."""
    service, url = people_service
    settings = service.runtime.settings
    async with (
        serving(create_orders_app(settings_for(OrdersSettings))) as orders,
        start_gateway(
            people_url=f"{url}/graphql",
            orders_url=f"{orders}/graphql",
            jwks_url=f"{url}/.well-known/jwks.json",
            nats_url=settings.nats_url,
            event_prefix=settings.event_prefix,
        ) as client,
    ):
        yield service, client


async def call(
    gateway: httpx.AsyncClient, token: str | None, query: str, tenant: str = "jm", **variables: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {"X-Portal-Tenant": tenant}
    response = await gateway.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


async def mutate(gateway: httpx.AsyncClient, token: str | None, query: str, **input: Any) -> Any:
    body = await call(gateway, token, query, input=input)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def staff_token(
    service: RunningService, gateway: httpx.AsyncClient, tenant: SeededTenant, login: str
) -> str:
    await add_user(service, tenant, login, organisation=tenant.operator, roles=("admin",))
    body = await call(
        gateway, None, LOG_IN, tenant.id, input={"login": login, "password": PASSWORD}
    )
    token: str = body["data"]["logIn"]["accessToken"]
    return token


async def an_order(gateway: httpx.AsyncClient, token: str, customer: str, **order: Any) -> str:
    """An order, once orders know the customer from people's events."""
    for _ in range(100):
        created = await mutate(
            gateway, token, CREATE_ORDER, customerOrganisationId=customer, **order
        )
        if created["order"] is not None:
            order_id: str = created["order"]["id"]
            return order_id
        if created["userErrors"] != [
            {"field": "customerOrganisationId", "code": "NOT_FOUND", "message": ANY}
        ]:
            break
        await asyncio.sleep(0.1)
    raise AssertionError(f"no order: {created['userErrors']}")


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


async def token_request(
    gateway: httpx.AsyncClient, form: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await gateway.post("/oauth/token", data=form, headers=headers or {})


@pytest.fixture
async def jm_crm(
    platform: tuple[RunningService, httpx.AsyncClient],
) -> dict[str, Any]:
    """JM and Avonova with an order each; JM's CRM client with orders:read, made by JM's
    operator administrator."""
    service, gateway = platform
    jm, avonova = await seed_tenant(service, "jm"), await seed_tenant(service, "avonova")
    admin = await staff_token(service, gateway, jm, "jm.admin")
    other = await staff_token(service, gateway, avonova, "avonova.admin")
    created = await mutate(gateway, admin, CREATE_CLIENT, name="  JM  CRM ", scopes=["orders:read"])
    assert created["userErrors"] == [], created
    return {
        "admin": admin,
        "client": created["partnerClient"],
        "secret": created["clientSecret"],
        "jm_order": await an_order(
            gateway, admin, jm.customer, orderType="warranty", description="Lekkasje"
        ),
        "avonova_order": await an_order(
            gateway, other, avonova.customer, orderType="health_check", description="Kontroll"
        ),
        "jm": jm,
    }


async def test_a_partner_client_reads_its_tenants_orders_and_nothing_else(
    platform: tuple[RunningService, httpx.AsyncClient], jm_crm: dict[str, Any]
) -> None:
    _, gateway = platform
    client = jm_crm["client"]
    assert client["name"] == "JM CRM" and client["scopes"] == ["orders:read"]
    assert client["clientId"] == f"jm.{client['id']}"

    answer = await token_request(
        gateway, {"grant_type": "client_credentials"}, basic(client["clientId"], jm_crm["secret"])
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    issued = answer.json()
    assert issued["token_type"] == "Bearer" and issued["scope"] == "orders:read"
    assert isinstance(issued["expires_in"], int) and issued["expires_in"] > 0
    token = issued["access_token"]

    orders = await call(gateway, token, ORDERS)
    seen = [edge["node"]["id"] for edge in orders["data"]["orders"]["edges"]]
    assert seen == [jm_crm["jm_order"]]  # JM's order; Avonova's is not there

    # Another tenant's order by id answers as one that does not exist.
    other = await call(
        gateway, token, "query($id: ID!) { order(id: $id) { id } }", id=jm_crm["avonova_order"]
    )
    assert other["data"] == {"order": None}

    # No people:read: people's fields are refused, orders' still answer beside them.
    mixed = await call(gateway, token, "{ me { id } " + ORDERS[1:])
    assert mixed["data"]["me"] is None
    assert [e["extensions"]["code"] for e in mixed["errors"]] == ["SCOPE_REQUIRED"]
    assert len(mixed["data"]["orders"]["edges"]) == 1

    # A partner changes nothing, even where it may read.
    refused = await call(
        gateway, token, CREATE_ORDER, input={"customerOrganisationId": "x", "description": "y"}
    )
    assert refused["data"] is None  # createOrder's payload is not nullable
    assert refused["errors"][0]["extensions"]["code"] == "PARTNER_READ_ONLY"
    after = await call(gateway, jm_crm["admin"], ORDERS)
    assert len(after["data"]["orders"]["edges"]) == 1


async def test_credentials_in_the_body_and_a_narrower_scope_work_a_wider_one_does_not(
    platform: tuple[RunningService, httpx.AsyncClient], jm_crm: dict[str, Any]
) -> None:
    _, gateway = platform
    form = {
        "grant_type": "client_credentials",
        "client_id": jm_crm["client"]["clientId"],
        "client_secret": jm_crm["secret"],
    }
    narrower = await token_request(gateway, {**form, "scope": "orders:read"})
    assert narrower.status_code == 200 and narrower.json()["scope"] == "orders:read"
    wider = await token_request(gateway, {**form, "scope": "orders:read people:read"})
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    ("form", "headers", "status", "error"),
    [
        ({"grant_type": "password"}, None, 400, "unsupported_grant_type"),
        ({}, None, 400, "invalid_request"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        (
            {"grant_type": "client_credentials"},
            {"Authorization": "Basic !!"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "x"},
            {"Authorization": "Basic eDp5"},
            400,
            "invalid_request",
        ),
    ],
    ids=["grant", "no-grant", "no-client", "bad-basic", "both-places"],
)
async def test_a_malformed_token_request_gets_the_rfcs_error(
    platform: tuple[RunningService, httpx.AsyncClient],
    form: dict[str, str],
    headers: dict[str, str] | None,
    status: int,
    error: str,
) -> None:
    _, gateway = platform
    answer = await token_request(gateway, form, headers)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    if status == 401:
        assert answer.headers["www-authenticate"].startswith("Basic")


async def test_a_wrong_secret_or_another_tenants_id_is_invalid_client_and_is_throttled(
    platform: tuple[RunningService, httpx.AsyncClient], jm_crm: dict[str, Any]
) -> None:
    _, gateway = platform
    client_id, secret = jm_crm["client"]["clientId"], jm_crm["secret"]
    grant = {"grant_type": "client_credentials"}
    wrong = await token_request(gateway, grant, basic(client_id, "not-the-secret"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    # Its id under another tenant answers like an unknown client.
    elsewhere = client_id.replace("jm.", "avonova.", 1)
    assert (await token_request(gateway, grant, basic(elsewhere, secret))).status_code == 401
    # Failures from one place lock the client there, even with the right secret.
    statuses = [
        (await token_request(gateway, grant, basic(client_id, f"guess-{n}"))).status_code
        for n in range(6)
    ]
    assert statuses[-1] == 429
    locked = await token_request(gateway, grant, basic(client_id, secret))
    assert locked.status_code == 429 and locked.json()["error"] == "invalid_client"


async def test_only_the_tenants_administrators_manage_clients_and_the_secret_is_shown_once(
    platform: tuple[RunningService, httpx.AsyncClient], jm_crm: dict[str, Any]
) -> None:
    service, gateway = platform
    jm = jm_crm["jm"]
    await add_user(service, jm, "snekker", organisation=jm.contractor)
    body = await call(gateway, None, LOG_IN, input={"login": "snekker", "password": PASSWORD})
    contractor = body["data"]["logIn"]["accessToken"]
    refused = await mutate(gateway, contractor, CREATE_CLIENT, name="Mine", scopes=["orders:read"])
    assert refused["partnerClient"] is None and refused["clientSecret"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    unknown = await mutate(gateway, jm_crm["admin"], CREATE_CLIENT, name="X", scopes=["all"])
    assert [e["code"] for e in unknown["userErrors"]] == ["INVALID_SCOPE"]

    listed = await call(gateway, jm_crm["admin"], CLIENTS)
    assert listed["data"]["partnerClients"] == [
        {"clientId": jm_crm["client"]["clientId"], "name": "JM CRM", "scopes": ["orders:read"]}
    ]
    assert (await call(gateway, contractor, CLIENTS))["data"]["partnerClients"] == []


async def test_a_revoked_clients_token_stops_working_and_it_gets_no_new_one(
    platform: tuple[RunningService, httpx.AsyncClient], jm_crm: dict[str, Any]
) -> None:
    _, gateway = platform
    client = jm_crm["client"]
    credentials = basic(client["clientId"], jm_crm["secret"])
    grant = {"grant_type": "client_credentials"}
    token = (await token_request(gateway, grant, credentials)).json()["access_token"]
    assert "errors" not in await call(gateway, token, ORDERS)

    revoked = await mutate(
        gateway, jm_crm["admin"], REVOKE_CLIENT, id=client["id"], version=client["version"]
    )
    assert revoked["userErrors"] == [] and revoked["partnerClient"]["revokedAt"]
    for _ in range(100):
        response = await gateway.post(
            "/graphql", json={"query": ORDERS}, headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code == 401:
            break
        await asyncio.sleep(0.1)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "token revoked"
    again = await token_request(gateway, grant, credentials)
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"


async def test_without_people_the_token_endpoint_is_temporarily_unavailable(
    start_gateway: Any,
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/graphql"
    async with start_gateway(people_url=nowhere) as gateway:
        form = {"grant_type": "client_credentials", "client_id": "jm." + "a" * 32}
        answer = await token_request(gateway, {**form, "client_secret": "s" * 40})
    assert (answer.status_code, answer.json()["error"]) == (503, "temporarily_unavailable")


EMPLOYEES = "{ employees { edges { node { nationalId nationalIdRevealed } } } }"
ADD_EMPLOYEE = """mutation($input: AddEmployeeInput!) { addEmployee(input: $input) {
  userErrors { code } } }"""


async def test_a_partner_reads_national_ids_masked_unless_granted_the_reveal(
    platform: tuple[RunningService, httpx.AsyncClient], jm_crm: dict[str, Any]
) -> None:
    service, gateway = platform
    jm = jm_crm["jm"]
    added = await service.graphql(
        ADD_EMPLOYEE,
        {
            "input": {
                "organisationId": jm.customer,
                "firstName": "Kari",
                "lastName": "Nordmann",
                "email": "kari.nordmann@example.com",
                "nationalId": "15108695088",
            }
        },
        principal=jm.staff,
    )
    assert added["addEmployee"]["userErrors"] == []

    async def token_with(*scopes: str) -> str:
        created = await mutate(
            gateway, jm_crm["admin"], CREATE_CLIENT, name="HR", scopes=list(scopes)
        )
        form = {"grant_type": "client_credentials"}
        answer = await token_request(
            gateway, form, basic(created["partnerClient"]["clientId"], created["clientSecret"])
        )
        token: str = answer.json()["access_token"]
        return token

    reader = await call(gateway, await token_with("people:read"), EMPLOYEES)
    assert reader["data"]["employees"]["edges"] == [
        {"node": {"nationalId": "151086*****", "nationalIdRevealed": None}}
    ]
    assert reader["errors"][0]["path"][-1] == "nationalIdRevealed"
    revealer = await call(
        gateway, await token_with("people:read", "people:national-id:reveal"), EMPLOYEES
    )
    assert "errors" not in revealer
    assert revealer["data"]["employees"]["edges"][0]["node"]["nationalIdRevealed"] == (
        "15108695088"
    )
