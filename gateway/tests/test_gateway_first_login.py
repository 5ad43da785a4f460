"""Familjebostäder's first login through the gateway, as the manual's step 2 shows it: the user
logs in with what they were given, sees Kontaktuppgifter (with 'Företag'), confirms the contact
details and chooses a new password; until then nothing but people answers them, field by field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_gateway.app import first_login_refusal
from portal_gateway.federation.plan import Fetch
from portal_gateway.testing.serving import serving
from portal_kit.testing.harness import RunningService
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_people.testing import SeededTenant, add_user, seed_tenant

GIVEN = "Given-by-us-2019"
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  accessToken firstLoginSteps userErrors { field code } } }"""
COMPLETE = """mutation($input: CompleteFirstLoginInput!) { completeFirstLogin(input: $input) {
  accessToken firstLoginSteps userErrors { field code } } }"""
CHANGE_PASSWORD = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
  accessToken userErrors { field code } } }"""
KONTAKTUPPGIFTER = """{ me { username email mobilePhone firstLoginSteps version
  memberships { organisation { name } } } }"""


@pytest.fixture
async def orders(settings_for: Any) -> AsyncIterator[str]:
    async with serving(create_orders_app(settings_for(OrdersSettings))) as url:
        yield f"{url}/graphql"


@pytest.fixture
async def gateway(
    people_service: tuple[RunningService, str], orders: str, start_gateway: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway in front of people and orders, trusting the tokens people issues."""
    _, url = people_service
    async with start_gateway(
        people_url=f"{url}/graphql",
        orders_url=orders,
        jwks_url=f"{url}/.well-known/jwks.json",
    ) as client:
        yield client


@pytest.fixture
async def familjebostader(people_service: tuple[RunningService, str]) -> SeededTenant:
    """Familjebostäder with the manual's contractor and a user whose first login is pending."""
    service, _ = people_service
    tenant = await seed_tenant(
        service,
        "familjebostader",
        country="SE",
        password_policy={"min_length": 10, "max_length": 30},
    )
    await add_user(
        service,
        tenant,
        "1999/88888",
        email="ny@testmail.example",
        password=GIVEN,
        firstLogin=["contact_details", "password"],
    )
    return tenant


async def call(
    gateway: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    headers = (
        {"Authorization": f"Bearer {token}"} if token else {"X-Portal-Tenant": "familjebostader"}
    )
    response = await gateway.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def log_in(gateway: httpx.AsyncClient, password: str = GIVEN) -> dict[str, Any]:
    body = await call(gateway, LOG_IN, {"input": {"login": "1999/88888", "password": password}})
    session: dict[str, Any] = body["data"]["logIn"]
    assert session["userErrors"] == [], session
    return session


async def test_kontaktuppgifter_shows_the_users_own_organisation_while_the_first_login_is_pending(
    gateway, familjebostader
):
    session = await log_in(gateway)
    assert session["firstLoginSteps"] == ["contact_details", "password"]
    body = await call(gateway, KONTAKTUPPGIFTER, token=session["accessToken"])
    assert "errors" not in body, body
    me = body["data"]["me"]
    assert (me["username"], me["firstLoginSteps"]) == (
        "1999/88888",
        ["contact_details", "password"],
    )
    assert me["memberships"] == [{"organisation": {"name": "familjebostader contractor"}}]
    # Nothing else opens: another organisation, the organisation list, other users.
    for query in (
        f'{{ organisation(id: "{familjebostader.operator}") {{ name }} }}',
        "{ organisations { totalCount } }",
        "{ users { totalCount } }",
    ):
        refused = await call(gateway, query, token=session["accessToken"])
        assert refused["data"] in (None, {"organisation": None}), refused
        assert refused["errors"][0]["extensions"]["code"] == "FIRST_LOGIN_REQUIRED"


async def test_with_a_first_login_pending_me_arrives_and_other_services_fields_are_null(
    gateway, familjebostader
):
    token = (await log_in(gateway))["accessToken"]
    body = await call(gateway, "{ me { username } orders { totalCount } }", token=token)
    assert body["data"] == {"me": {"username": "1999/88888"}, "orders": None}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["orders"], "FIRST_LOGIN_REQUIRED")
    ]
    several = await call(
        gateway,
        "{ me { username } tickets { totalCount } invoices { totalCount }"
        " orderBundles { number } }",
        token=token,
    )
    assert several["data"] == {
        "me": {"username": "1999/88888"},
        "tickets": None,
        "invoices": None,
        "orderBundles": None,
    }
    assert sorted((e["path"][0], e["extensions"]["code"]) for e in several["errors"]) == [
        ("invoices", "FIRST_LOGIN_REQUIRED"),
        ("orderBundles", "FIRST_LOGIN_REQUIRED"),
        ("tickets", "FIRST_LOGIN_REQUIRED"),
    ]
    alone = await call(gateway, "{ orders { totalCount } }", token=token)
    assert alone["data"] == {"orders": None}
    assert alone["errors"][0]["extensions"]["code"] == "FIRST_LOGIN_REQUIRED"


async def test_a_password_mismatch_names_the_new_password_confirmation_field(
    gateway, familjebostader
):
    pending = await log_in(gateway)
    me = (await call(gateway, KONTAKTUPPGIFTER, token=pending["accessToken"]))["data"]["me"]
    details = {
        "version": me["version"],
        "mobilePhone": "0721234567",
        "otherPhone": "08-123456",
        "currentPassword": GIVEN,
        "newPassword": "Mitt-eget-2026",
    }
    mismatch = await call(
        gateway,
        COMPLETE,
        {"input": {**details, "newPasswordConfirmation": "Mitt-eget-2027"}},
        token=pending["accessToken"],
    )
    assert mismatch["data"]["completeFirstLogin"]["userErrors"] == [
        {"field": "newPasswordConfirmation", "code": "PASSWORD_MISMATCH"}
    ]
    still = await call(gateway, KONTAKTUPPGIFTER, token=pending["accessToken"])
    assert still["data"]["me"]["mobilePhone"] is None
    done = await call(
        gateway,
        COMPLETE,
        {"input": {**details, "newPasswordConfirmation": "Mitt-eget-2026"}},
        token=pending["accessToken"],
    )
    completed = done["data"]["completeFirstLogin"]
    assert completed["userErrors"] == [] and completed["firstLoginSteps"] == []

    changed = await call(
        gateway,
        CHANGE_PASSWORD,
        {
            "input": {
                "currentPassword": "Mitt-eget-2026",
                "newPassword": "Ett-annat-2026",
                "newPasswordConfirmation": "Ett-annat-2027",
            }
        },
        token=completed["accessToken"],
    )
    assert changed["data"]["changePassword"]["userErrors"] == [
        {"field": "newPasswordConfirmation", "code": "PASSWORD_MISMATCH"}
    ]
    assert (await log_in(gateway, "Mitt-eget-2026"))["firstLoginSteps"] == []


def test_an_entity_fetch_refused_for_a_first_login_names_each_entitys_fields():
    """Were another service to add fields to people's entities (`me { orders }`), each entity's
    fields would be null with the error at their path; `_entities` paths are re-pathed by the
    executor to where the entity sits."""
    fetch = Fetch(id=2, graph="orders", path=("me",), entity_keys=["openOrders", "lastOrder"])
    body = {"query": "...", "variables": {"representations": [{"id": "u1"}, {"id": "u2"}]}}
    refusal = first_login_refusal(fetch, body)
    assert refusal["data"] is None
    assert [e["path"] for e in refusal["errors"]] == [
        ["_entities", 0, "openOrders"],
        ["_entities", 0, "lastOrder"],
        ["_entities", 1, "openOrders"],
        ["_entities", 1, "lastOrder"],
    ]
    assert {e["extensions"]["code"] for e in refusal["errors"]} == {"FIRST_LOGIN_REQUIRED"}
