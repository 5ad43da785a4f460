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


SESSION_FIELDS = (
    "accessToken expiresIn refreshToken firstLoginSteps userErrors { field code message }"
)
LOG_IN = f"""mutation($input: LogInInput!) {{ logIn(input: $input) {{ {SESSION_FIELDS} }} }}"""
REFRESH = f"""mutation($input: RefreshSessionInput!) {{
  refreshSession(input: $input) {{ {SESSION_FIELDS} }} }}"""
LOG_OUT = """mutation($input: RefreshSessionInput!) {
  logOut(input: $input) { ok userErrors { field code message } } }"""


def anonymous(tenant: str) -> Principal:
    return make_principal(tenant, user="anonymous")


def principal_from_token(claims: dict[str, Any]) -> Principal:
    """The principal the gateway would sign for these access-token claims."""
    return make_principal(
        claims["tenant"],
        user=claims["sub"],
        staff=claims["staff"],
        memberships={m["organisation"]: tuple(m["roles"]) for m in claims["memberships"]},
        scopes=tuple(claims["scopes"]),
        locale=claims["locale"],
        active_organisation=claims.get("org"),
    )


async def verified_claims(service: RunningService, token: str) -> dict[str, Any]:
    """Verify an access token exactly as the gateway does: against the published JWKS."""
    import jwt

    jwks = (await service.client.get("/.well-known/jwks.json")).json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    claims: dict[str, Any] = jwt.decode(
        token, jwt.PyJWK(key).key, algorithms=["EdDSA"], audience="portal", issuer="portal-people"
    )
    return claims


async def add_user(
    service: RunningService,
    tenant: SeededTenant,
    username: str,
    *,
    password: str = "a long secret phrase",
    organisation: str | None = None,
    roles: tuple[str, ...] = ("user",),
    email: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data = await service.graphql(
        CREATE_USER,
        {
            "input": {
                "username": username,
                "email": email or f"{username}@example.com",
                "name": f"{username.title()} Person",
                "password": password,
                "memberships": [
                    {"organisationId": organisation or tenant.contractor, "roles": list(roles)}
                ],
                **extra,
            }
        },
        principal=tenant.staff,
    )
    assert not data["createUser"]["userErrors"], data
    user: dict[str, Any] = data["createUser"]["user"]
    return user


async def log_in(
    service: RunningService, tenant: str, login: str, password: str = "a long secret phrase"
) -> dict[str, Any]:
    data = await service.graphql(
        LOG_IN, {"input": {"login": login, "password": password}}, principal=anonymous(tenant)
    )
    result: dict[str, Any] = data["logIn"]
    return result
