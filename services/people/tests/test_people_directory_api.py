"""The directory through the people subgraph's GraphQL API: tenants, organisations, users."""

from __future__ import annotations

from typing import Any

import jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_kit.testing.plugin import make_principal
from portal_people.testing import (
    ADMIN,
    CREATE_ORGANISATION,
    CREATE_TENANT,
    CREATE_USER,
    configuration,
    seed_tenant,
)

ORGS = "{ organisations(first: 50) { totalCount edges { node { id name kind parentId } } } }"
LOG_IN = """mutation($input: LogInInput!) {
  logIn(input: $input) { accessToken expiresIn userErrors { field code message } } }"""


def names(data: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in data["organisations"]["edges"]]


async def test_platform_admin_creates_tenants_and_sees_them_all(people):
    for tenant, country in (("jm", "NO"), ("familjebostader", "SE")):
        data = await people.graphql(
            CREATE_TENANT,
            {"input": {"id": tenant, "name": tenant, "configuration": configuration(country)}},
            principal=ADMIN,
        )
        assert data["createTenant"]["userErrors"] == []
        assert data["createTenant"]["tenant"] == {
            "id": tenant,
            "name": tenant,
            "country": country,
            "version": 1,
        }
    listed = await people.graphql("{ tenants { id } }", principal=ADMIN)
    assert [t["id"] for t in listed["tenants"]] == ["familjebostader", "jm"]
    own = await people.graphql("{ tenants { id } }", principal=make_principal("jm", staff=True))
    assert own["tenants"] == [{"id": "jm"}]


async def test_only_platform_admins_create_tenants(people):
    staff = make_principal("jm", staff=True)
    data = await people.graphql(
        CREATE_TENANT,
        {"input": {"id": "evil", "name": "x", "configuration": configuration()}},
        principal=staff,
    )
    assert data["createTenant"]["tenant"] is None
    assert data["createTenant"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert (await people.graphql("{ tenants { id } }", principal=ADMIN))["tenants"] == []


async def test_invalid_tenant_configuration_names_each_problem(people):
    data = await people.graphql(
        CREATE_TENANT,
        {
            "input": {
                "id": "x1",
                "name": "X",
                "configuration": {"country": "XX", "locales": [], "default_locale": "nb"},
            }
        },
        principal=ADMIN,
    )
    fields = {e["field"] for e in data["createTenant"]["userErrors"]}
    assert {"configuration.country", "configuration.locales"} <= fields
    assert (await people.graphql("{ tenants { id } }", principal=ADMIN))["tenants"] == []


async def test_duplicate_tenant_is_refused(people):
    variables = {"input": {"id": "jm", "name": "JM", "configuration": configuration()}}
    await people.graphql(CREATE_TENANT, variables, principal=ADMIN)
    again = await people.graphql(CREATE_TENANT, variables, principal=ADMIN)
    assert again["createTenant"]["userErrors"][0]["code"] == "DUPLICATE"


async def test_organisation_visibility_follows_membership(people):
    jm = await seed_tenant(people, "jm")
    staff_view = await people.graphql(ORGS, principal=jm.staff)
    assert staff_view["organisations"]["totalCount"] == 4
    contractor_view = await people.graphql(ORGS, principal=jm.contractor_member)
    assert names(contractor_view) == ["jm contractor"]
    customer_view = await people.graphql(ORGS, principal=jm.customer_admin)
    assert sorted(names(customer_view)) == ["jm customer", "jm department"]


async def test_ids_of_another_tenant_answer_like_missing_ones(people):
    jm = await seed_tenant(people, "jm")
    other = await seed_tenant(people, "other")
    query = "query($id: ID!) { organisation(id: $id) { id name } }"
    foreign = await people.graphql(query, {"id": jm.operator}, principal=other.staff)
    missing = await people.graphql(query, {"id": "does-not-exist"}, principal=other.staff)
    assert foreign == missing == {"organisation": None}
    change = await people.graphql(
        """mutation($input: ChangeOrganisationInput!) { changeOrganisation(input: $input) {
           organisation { id } userErrors { field code message } } }""",
        {"input": {"id": jm.operator, "version": 1, "name": "Hijacked"}},
        principal=other.staff,
    )
    assert change["changeOrganisation"]["userErrors"][0]["code"] == "NOT_FOUND"
    still = await people.graphql(
        "query($id: ID!) { organisation(id: $id) { name } }",
        {"id": jm.operator},
        principal=jm.staff,
    )
    assert still["organisation"]["name"] == "jm operator"
    entities = await people.graphql(
        """query($r: [_Any!]!) { _entities(representations: $r) { ... on Organisation { id } } }""",
        {"r": [{"__typename": "Organisation", "id": jm.operator}]},
        principal=other.staff,
    )
    assert entities["_entities"] == [None]


async def test_stale_version_changes_nothing(people):
    jm = await seed_tenant(people, "jm")
    mutation = """mutation($input: ChangeOrganisationInput!) { changeOrganisation(input: $input) {
        organisation { name version } userErrors { field code } } }"""
    first = await people.graphql(
        mutation,
        {"input": {"id": jm.contractor, "version": 1, "name": "Renamed"}},
        principal=jm.staff,
    )
    assert first["changeOrganisation"]["organisation"] == {"name": "Renamed", "version": 2}
    stale = await people.graphql(
        mutation,
        {"input": {"id": jm.contractor, "version": 1, "name": "Lost update"}},
        principal=jm.staff,
    )
    assert stale["changeOrganisation"]["userErrors"] == [
        {"field": "version", "code": "STALE_VERSION"}
    ]
    now = await people.graphql(
        "query($id: ID!) { organisation(id: $id) { name version } }",
        {"id": jm.contractor},
        principal=jm.staff,
    )
    assert now["organisation"] == {"name": "Renamed", "version": 2}


async def test_an_operator_keeps_an_invoice_address_its_tenants_members_read(people):
    jm = await seed_tenant(people, "jm")
    mutation = """mutation($input: ChangeOrganisationInput!) { changeOrganisation(input: $input) {
        organisation { version invoiceAddress { street postalCode city } }
        userErrors { field code } } }"""
    refused = await people.graphql(
        mutation,
        {
            "input": {
                "id": jm.operator,
                "version": 1,
                "invoiceAddress": {"street": " ", "postalCode": "1" * 21, "city": "Stockholm"},
            }
        },
        principal=jm.staff,
    )
    assert refused["changeOrganisation"]["organisation"] is None
    assert sorted(e["field"] for e in refused["changeOrganisation"]["userErrors"]) == [
        "invoiceAddress.postalCode",
        "invoiceAddress.street",
    ]
    address = {"street": "Box 92100", "postalCode": "120 07", "city": "Stockholm"}
    changed = await people.graphql(
        mutation,
        {"input": {"id": jm.operator, "version": 1, "invoiceAddress": address}},
        principal=jm.staff,
    )
    assert changed["changeOrganisation"] == {
        "organisation": {"version": 2, "invoiceAddress": address},
        "userErrors": [],
    }
    read = "query($id: ID!) { organisation(id: $id) { name invoiceAddress { city } } }"
    # A contractor reads the operator by id (it is named on every order), not another customer.
    by_contractor = await people.graphql(read, {"id": jm.operator}, principal=jm.contractor_member)
    assert by_contractor["organisation"] == {
        "name": "jm operator",
        "invoiceAddress": {"city": "Stockholm"},
    }
    assert await people.graphql(read, {"id": jm.customer}, principal=jm.contractor_member) == {
        "organisation": None
    }
    listed = await people.graphql(ORGS, principal=jm.contractor_member)
    assert names(listed) == ["jm contractor"]


async def test_customer_admin_manages_own_departments_only(people):
    jm = await seed_tenant(people, "jm")
    mine = await people.graphql(
        CREATE_ORGANISATION,
        {"input": {"name": "Avdeling Nord", "kind": "CUSTOMER", "parentId": jm.customer}},
        principal=jm.customer_admin,
    )
    assert mine["createOrganisation"]["organisation"]["parentId"] == jm.customer
    top_level = await people.graphql(
        CREATE_ORGANISATION,
        {"input": {"name": "Rogue", "kind": "CONTRACTOR"}},
        principal=jm.customer_admin,
    )
    assert top_level["createOrganisation"]["userErrors"][0]["code"] == "FORBIDDEN"


async def test_staff_create_users_who_log_in_with_a_verifiable_token(people):
    jm = await seed_tenant(people, "jm")
    created = await people.graphql(
        CREATE_USER,
        {
            "input": {
                "username": "Mejlkontakt",
                "email": "kontakt@emma.example",
                "name": "Mejlkontakt Emmas",
                "password": "a long secret phrase",
                "memberships": [{"organisationId": jm.contractor, "roles": ["user"]}],
            }
        },
        principal=jm.staff,
    )
    user = created["createUser"]["user"]
    assert user["staff"] is False and user["locale"] == "nb"
    assert user["memberships"] == [{"organisationId": jm.contractor, "roles": ["user"]}]
    anonymous = make_principal("jm", user="anonymous")
    for login in ("mejlkontakt", "KONTAKT@emma.example"):
        answer = await people.graphql(
            LOG_IN,
            {"input": {"login": login, "password": "a long secret phrase"}},
            principal=anonymous,
        )
        token = answer["logIn"]["accessToken"]
        jwks = (await people.client.get("/.well-known/jwks.json")).json()
        kid = jwt.get_unverified_header(token)["kid"]
        key = next(k for k in jwks["keys"] if k["kid"] == kid)
        claims = jwt.decode(
            token,
            jwt.PyJWK(key).key,
            algorithms=["EdDSA"],
            audience="portal",
            issuer="portal-people",
        )
        assert claims["sub"] == user["id"] and claims["tenant"] == "jm"
        assert claims["memberships"] == [{"organisation": jm.contractor, "roles": ["user"]}]


async def test_wrong_password_and_unknown_user_get_the_same_answer(people):
    jm = await seed_tenant(people, "jm")
    await people.graphql(
        CREATE_USER,
        {
            "input": {
                "username": "someone",
                "email": "someone@x.example",
                "name": "Some One",
                "password": "correct horse battery",
                "memberships": [{"organisationId": jm.contractor}],
            }
        },
        principal=jm.staff,
    )
    anonymous = make_principal("jm", user="anonymous")
    wrong = await people.graphql(
        LOG_IN, {"input": {"login": "someone", "password": "wrong password!"}}, principal=anonymous
    )
    unknown = await people.graphql(
        LOG_IN, {"input": {"login": "nobody", "password": "wrong password!"}}, principal=anonymous
    )
    assert wrong == unknown
    assert wrong["logIn"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    other_tenant = await people.graphql(
        LOG_IN,
        {"input": {"login": "someone", "password": "correct horse battery"}},
        principal=make_principal("other", user="anonymous"),
    )
    assert other_tenant == unknown


async def test_user_input_errors_are_typed_and_nothing_is_written(people):
    jm = await seed_tenant(people, "jm", password_policy={"min_length": 10, "max_length": 30})
    bad = await people.graphql(
        CREATE_USER,
        {
            "input": {
                "username": "x",
                "email": "not-an-email",
                "name": "  ",
                "locale": "xx",
                "password": "y" * 31,
                "memberships": [{"organisationId": "missing", "roles": ["wizard"]}],
            }
        },
        principal=jm.staff,
    )
    errors = bad["createUser"]["userErrors"]
    assert {(e["field"], e["code"]) for e in errors} >= {
        ("username", "INVALID"),
        ("email", "INVALID_EMAIL"),
        ("name", "REQUIRED"),
        ("memberships", "NOT_FOUND"),
        ("locale", "INVALID"),
    }
    good = {
        "username": "taken",
        "email": "taken@x.example",
        "name": "Taken",
        "memberships": [{"organisationId": jm.contractor}],
    }
    await people.graphql(CREATE_USER, {"input": good}, principal=jm.staff)
    duplicate = await people.graphql(
        CREATE_USER,
        {"input": {**good, "username": "TAKEN", "email": "TAKEN@x.example"}},
        principal=jm.staff,
    )
    assert {(e["field"], e["code"]) for e in duplicate["createUser"]["userErrors"]} == {
        ("username", "DUPLICATE"),
        ("email", "DUPLICATE"),
    }
    too_long = await people.graphql(
        CREATE_USER,
        {"input": {**good, "username": "fresh", "email": "f@x.example", "password": "z" * 31}},
        principal=jm.staff,
    )
    assert too_long["createUser"]["userErrors"][0]["code"] == "PASSWORD_TOO_LONG"
    users = await people.graphql("{ users { totalCount } }", principal=jm.staff)
    assert users["users"]["totalCount"] == 1


async def test_contractor_sees_only_itself_among_users(people):
    jm = await seed_tenant(people, "jm")
    for name in ("anna", "bjorn"):
        await people.graphql(
            CREATE_USER,
            {
                "input": {
                    "username": name,
                    "email": f"{name}@x.example",
                    "name": name.title(),
                    "memberships": [{"organisationId": jm.contractor}],
                }
            },
            principal=jm.staff,
        )
    staff_view = await people.graphql("{ users { totalCount } }", principal=jm.staff)
    assert staff_view["users"]["totalCount"] == 2
    outsider = await people.graphql("{ users { totalCount } }", principal=jm.contractor_member)
    assert outsider["users"]["totalCount"] == 0


async def test_pagination_walks_every_organisation_once(people):
    jm = await seed_tenant(people, "jm")
    seen: list[str] = []
    after = None
    while True:
        page = await people.graphql(
            """query($after: String) { organisations(first: 3, after: $after) {
                 edges { node { id } } pageInfo { hasNextPage endCursor } } }""",
            {"after": after},
            principal=jm.staff,
        )
        seen += [e["node"]["id"] for e in page["organisations"]["edges"]]
        if not page["organisations"]["pageInfo"]["hasNextPage"]:
            break
        after = page["organisations"]["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted({jm.operator, jm.contractor, jm.customer, jm.department})
    bad = await people.post_graphql(
        '{ organisations(after: "garbage!") { totalCount } }', principal=jm.staff
    )
    assert bad.status_code == 200 and bad.json()["errors"][0]["message"] == "invalid cursor"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.one_of(st.text(max_size=300), st.just("x" * 100_000)),
    kind=st.sampled_from(["OPERATOR", "CUSTOMER", "CONTRACTOR"]),
)
async def test_any_organisation_name_gets_an_answer_not_a_crash(people, name, kind):
    tenant = "prop"
    if not (await people.graphql("{ tenants { id } }", principal=ADMIN))["tenants"]:
        await people.graphql(
            CREATE_TENANT,
            {"input": {"id": tenant, "name": "P", "configuration": configuration()}},
            principal=ADMIN,
        )
    staff = make_principal(tenant, staff=True)
    before = (await people.graphql(ORGS, principal=staff))["organisations"]["totalCount"]
    response = await people.post_graphql(
        CREATE_ORGANISATION, {"input": {"name": name, "kind": kind}}, staff
    )
    assert response.status_code == 200
    result = response.json()["data"]["createOrganisation"]
    after = (await people.graphql(ORGS, principal=staff))["organisations"]["totalCount"]
    if result["userErrors"]:
        assert result["organisation"] is None and after == before
    else:
        assert 0 < len(result["organisation"]["name"]) <= 200 and after == before + 1
