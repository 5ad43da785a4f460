"""'Vælg kunde' through the gateway, over the real people, orders, tickets and billing subgraphs:
a user of two customer organisations logs in and sees both customers' orders, tickets and
invoices, as before there was a choice; after `chooseActiveOrganisation` the new access token's
`org` reaches every service in the principal, and the user sees only that customer's (an order
of its department among them), registers orders for it by default and not for the other;
choosing the other shows the other's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_billing.app import create_app as create_billing_app
from portal_billing.settings import BillingSettings
from portal_gateway.testing.serving import serving
from portal_kit.testing.harness import RunningService
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_people.testing import CREATE_ORGANISATION, SeededTenant, add_user, seed_tenant
from portal_tickets.app import create_app as create_tickets_app
from portal_tickets.settings import TicketsSettings

PASSWORD = "a long secret phrase"
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  accessToken userErrors { field code } } }"""
CHOOSE = """mutation($input: ChooseActiveOrganisationInput!) {
  chooseActiveOrganisation(input: $input) {
  user { activeOrganisationId } session { accessToken } userErrors { field code } } }"""
CREATE_ORDER = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  order { number customerOrganisationId } userErrors { field code } } }"""
CREATE_TICKET = """mutation($input: CreateTicketInput!) { createTicket(input: $input) {
  ticket { number } userErrors { field code } } }"""
CREATE_INVOICE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) {
  invoice { id version } userErrors { field code } } }"""
ISSUE_INVOICE = """mutation($input: IssueInvoiceInput!) { issueInvoice(input: $input) {
  invoice { number } userErrors { field code } } }"""
ORGANISATIONS = """{ organisations(first: 50) { edges { node { id } } }
  me { memberships { organisation { id } } } }"""
SEEN = """{
  orders(first: 50) { edges { node { customerOrganisationId } } }
  orderDashboard { total }
  tickets(first: 50) { edges { node { organisationId } } }
  invoices(first: 50) { edges { node { payerOrganisationId } } }
}"""


@pytest.fixture
async def gateway(
    people_service: tuple[RunningService, str], settings_for: Any, start_gateway: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway in front of all four services, trusting the tokens people issues."""
    _, url = people_service
    async with (
        serving(create_orders_app(settings_for(OrdersSettings))) as orders,
        serving(create_tickets_app(settings_for(TicketsSettings))) as tickets,
        serving(create_billing_app(settings_for(BillingSettings))) as billing,
        start_gateway(
            people_url=f"{url}/graphql",
            orders_url=f"{orders}/graphql",
            tickets_url=f"{tickets}/graphql",
            billing_url=f"{billing}/graphql",
            jwks_url=f"{url}/.well-known/jwks.json",
        ) as client,
    ):
        yield client


async def call(
    gateway: httpx.AsyncClient, token: str | None, query: str, **variables: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {"X-Portal-Tenant": "avonova"}
    response = await gateway.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def mutate(
    gateway: httpx.AsyncClient, token: str | None, query: str, **input: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = next(iter((await call(gateway, token, query, input=input)).values()))
    return payload


async def log_in(gateway: httpx.AsyncClient, login: str) -> str:
    session = await mutate(gateway, None, LOG_IN, login=login, password=PASSWORD)
    assert session["userErrors"] == [], session
    token: str = session["accessToken"]
    return token


async def choose(gateway: httpx.AsyncClient, token: str, organisation: str) -> str:
    chosen = await mutate(gateway, token, CHOOSE, organisationId=organisation)
    assert chosen["userErrors"] == [], chosen
    assert chosen["user"] == {"activeOrganisationId": organisation}
    new_token: str = chosen["session"]["accessToken"]
    return new_token


def seen(data: dict[str, Any]) -> dict[str, Any]:
    """Whose orders, tickets and invoices an answer holds, and the dashboard's total."""

    def of(connection: str, field: str) -> list[str]:
        return sorted(edge["node"][field] for edge in data[connection]["edges"])

    return {
        "orders": of("orders", "customerOrganisationId"),
        "dashboard": data["orderDashboard"]["total"],
        "tickets": of("tickets", "organisationId"),
        "invoices": of("invoices", "payerOrganisationId"),
    }


async def seen_once_orders_know_the_department(
    gateway: httpx.AsyncClient, token: str, department: str
) -> dict[str, Any]:
    """What the token sees, once orders' read model has people's event of the department (it
    lets the parent's choice take in the department's orders)."""
    for _ in range(100):
        found = seen(await call(gateway, token, SEEN))
        if department in found["orders"]:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("orders never learnt the department from people's events")


async def invoice_issued(gateway: httpx.AsyncClient, staff: str, payer: str) -> None:
    """An issued invoice to `payer`, once billing has people's event of the organisation
    (billing refuses a payer it does not know; drafts are for staff alone)."""
    for _ in range(100):
        draft = await mutate(
            gateway,
            staff,
            CREATE_INVOICE,
            payerOrganisationId=payer,
            lines=[{"description": "Helsekontroll", "quantity": "1", "unitPrice": "900"}],
        )
        if draft["invoice"] is not None:
            issued = await mutate(gateway, staff, ISSUE_INVOICE, **draft["invoice"])
            assert issued["userErrors"] == [], issued
            return
        assert draft["userErrors"] == [{"field": "payerOrganisationId", "code": "NOT_FOUND"}]
        await asyncio.sleep(0.1)
    raise AssertionError("billing never learnt the organisation from people's events")


@pytest.fixture
async def avonova(people_service: tuple[RunningService, str]) -> tuple[SeededTenant, str]:
    """Avonova with a customer (and its department), a second customer, staff, and a user who
    is the admin and billing person of both customers."""
    service, _ = people_service
    tenant = await seed_tenant(service, "avonova")
    as_admin = tenant.staff.model_copy(update={"scopes": ("platform:admin",)})
    created = await service.graphql(
        CREATE_ORGANISATION,
        {"input": {"name": "Nordlys Eiendom AS", "kind": "CUSTOMER"}},
        principal=as_admin,
    )
    second = created["createOrganisation"]["organisation"]["id"]
    await add_user(
        service, tenant, "kundeansvarlig", organisation=tenant.operator, roles=("admin",)
    )
    roles = ["admin", "billing"]
    await add_user(
        service,
        tenant,
        "hr.felles",
        memberships=[
            {"organisationId": tenant.customer, "roles": roles},
            {"organisationId": second, "roles": roles},
        ],
    )
    return tenant, second


async def test_a_user_of_two_customers_sees_the_chosen_ones_orders_tickets_and_invoices(
    gateway, avonova
):
    tenant, second = avonova
    first, department = tenant.customer, tenant.department
    staff = await log_in(gateway, "kundeansvarlig")
    user = await log_in(gateway, "hr.felles")
    for customer in (first, department, second):
        order = await mutate(
            gateway, staff, CREATE_ORDER, customerOrganisationId=customer, description="Samtale"
        )
        assert order["userErrors"] == [], order
        await invoice_issued(gateway, staff, customer)
    for customer in (first, second):
        ticket = await mutate(
            gateway,
            user,
            CREATE_TICKET,
            organisationId=customer,
            ticketType="question",
            subject="Faktura",
            description="Hvor er fakturaen?",
        )
        assert ticket["userErrors"] == [], ticket

    # Not chosen: both customers mixed, as before (the department's order through its parent).
    both = await seen_once_orders_know_the_department(gateway, user, department)
    assert both == {
        "orders": sorted([first, department, second]),
        "dashboard": 3,
        "tickets": sorted([first, second]),
        # A parent's billing members see its departments' invoices too (issue 14).
        "invoices": sorted([first, department, second]),
    }

    at_first = await choose(gateway, user, first)
    assert seen(await call(gateway, at_first, SEEN)) == {
        "orders": sorted([first, department]),
        "dashboard": 2,
        "tickets": [first],
        "invoices": sorted([first, department]),
    }
    # The new-order form starts at the chosen customer; its department may be chosen, the
    # other customer not.
    defaulted = await mutate(gateway, at_first, CREATE_ORDER, description="Støttesamtaler")
    assert defaulted["order"]["customerOrganisationId"] == first
    for_department = await mutate(
        gateway, at_first, CREATE_ORDER, customerOrganisationId=department, description="Bergen"
    )
    assert for_department["userErrors"] == []
    refused = await mutate(
        gateway, at_first, CREATE_ORDER, customerOrganisationId=second, description="Nordlys"
    )
    assert refused == {
        "order": None,
        "userErrors": [{"field": "customerOrganisationId", "code": "NOT_FOUND"}],
    }

    at_second = await choose(gateway, at_first, second)
    assert seen(await call(gateway, at_second, SEEN)) == {
        "orders": [second],
        "dashboard": 1,
        "tickets": [second],
        "invoices": [second],
    }
    # Staff are not narrowed by anything.
    assert seen(await call(gateway, staff, SEEN))["orders"] == sorted(
        [first, first, department, department, second]
    )


async def test_a_user_who_chose_a_customer_lists_only_that_customer_and_its_departments(
    gateway, avonova
):
    tenant, second = avonova
    first, department = tenant.customer, tenant.department
    user = await log_in(gateway, "hr.felles")

    def listed(data: dict[str, Any]) -> dict[str, list[str]]:
        memberships = data["me"]["memberships"]
        return {
            "organisations": sorted(e["node"]["id"] for e in data["organisations"]["edges"]),
            "memberships": sorted(m["organisation"]["id"] for m in memberships),
        }

    before = listed(await call(gateway, user, ORGANISATIONS))
    at_first = listed(await call(gateway, await choose(gateway, user, first), ORGANISATIONS))
    at_second = listed(await call(gateway, await choose(gateway, user, second), ORGANISATIONS))
    assert before == {
        "organisations": sorted([first, department, second]),
        "memberships": sorted([first, second]),
    }
    # The list narrows to the chosen customer (with its department); the memberships still
    # name both, so the user can switch back ('Vælg kunde').
    assert at_first == {
        "organisations": sorted([first, department]),
        "memberships": sorted([first, second]),
    }
    assert at_second == {"organisations": [second], "memberships": sorted([first, second])}
