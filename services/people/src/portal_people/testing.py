"""Test helpers for the people service, shared by its own, the gateway's and end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal_kit.principal import Principal
from portal_kit.testing.harness import RunningService
from portal_kit.testing.plugin import make_principal

ADMIN = make_principal("platform", user="platform-admin", scopes=("platform:admin",))

CREATE_TENANT = """mutation($input: CreateTenantInput!) {
  createTenant(input: $input) {
    tenant { id name country version } userErrors { field code message } } }"""
CREATE_ORGANISATION = """mutation($input: CreateOrganisationInput!) {
  createOrganisation(input: $input) {
    organisation { id name kind parentId version active } userErrors { field code message } } }"""
CREATE_USER = """mutation($input: CreateUserInput!) {
  createUser(input: $input) {
    user { id username email name staff locale version memberships { organisationId roles } }
    userErrors { field code message } } }"""


def configuration(country: str = "NO", **extra: Any) -> dict[str, Any]:
    locale = {"NO": "nb", "SE": "sv", "DK": "da", "FI": "fi"}[country]
    return {"country": country, "locales": [locale, "en"], "default_locale": locale, **extra}


@dataclass
class SeededTenant:
    id: str
    operator: str
    contractor: str
    customer: str
    department: str
    staff: Principal
    contractor_member: Principal
    customer_admin: Principal


async def seed_tenant(service: RunningService, tenant: str, **config: Any) -> SeededTenant:
    await service.graphql(
        CREATE_TENANT,
        {"input": {"id": tenant, "name": tenant.upper(), "configuration": configuration(**config)}},
        principal=ADMIN,
    )
    as_admin = make_principal(tenant, user="loader", scopes=("platform:admin",))
    ids: dict[str, str] = {}
    for key, name, kind, parent in (
        ("operator", f"{tenant} operator", "OPERATOR", None),
        ("contractor", f"{tenant} contractor", "CONTRACTOR", None),
        ("customer", f"{tenant} customer", "CUSTOMER", None),
        ("department", f"{tenant} department", "CUSTOMER", "customer"),
    ):
        data = await service.graphql(
            CREATE_ORGANISATION,
            {"input": {"name": name, "kind": kind, "parentId": ids.get(parent or "")}},
            principal=as_admin,
        )
        assert not data["createOrganisation"]["userErrors"]
        ids[key] = data["createOrganisation"]["organisation"]["id"]
    return SeededTenant(
        id=tenant,
        operator=ids["operator"],
        contractor=ids["contractor"],
        customer=ids["customer"],
        department=ids["department"],
        staff=make_principal(
            tenant, user="staff-1", staff=True, memberships={ids["operator"]: ("admin",)}
        ),
        contractor_member=make_principal(
            tenant, user="contractor-1", memberships={ids["contractor"]: ("user",)}
        ),
        customer_admin=make_principal(
            tenant, user="customer-admin", memberships={ids["customer"]: ("admin",)}
        ),
    )
