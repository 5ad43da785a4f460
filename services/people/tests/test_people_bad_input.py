"""Random, unicode and oversized values at every mutation: never a fault, and a refusal writes
nothing and emits nothing (docs/architecture.md: bad input)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_kit.testing.plugin import make_principal
from portal_people.adapters.auth_repositories import THROTTLES
from portal_people.adapters.repositories import OUTBOX_COLLECTIONS
from portal_people.testing import add_user, anonymous, seed_tenant

FNR = "15108695088"
TEXT = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.just("x" * 100_000),
    st.sampled_from(
        ["", " ", "@", "ola@example.com", "0721234567", FNR, "<ORG>", "<USER>", "<EMP>", "null"]
    ),
)
NUMBER = st.one_of(st.integers(-3, 5), st.integers(-(2**31), 2**31 - 1))

Builder = Callable[[list[str], int], dict[str, Any]]
# name: (input type, who calls, how the input is built from random texts t and a number n)
MUTATIONS: dict[str, tuple[str, str, Builder]] = {
    "createOrganisation": (
        "CreateOrganisationInput",
        "staff",
        lambda t, n: {
            "name": t[0],
            "kind": "CUSTOMER",
            "parentId": t[1],
            "invoiceAddress": {"street": t[2], "postalCode": t[3], "city": t[4]},
        },
    ),
    "changeOrganisation": (
        "ChangeOrganisationInput",
        "staff",
        lambda t, n: {
            "id": t[0],
            "version": n,
            "name": t[1],
            "invoiceAddress": {"street": t[2], "postalCode": t[3], "city": t[4]},
        },
    ),
    "reconfigureTenant": (
        "ReconfigureTenantInput",
        "staff",
        lambda t, n: {"id": "prop", "version": n, "configuration": {"country": t[0], "x": t[1]}},
    ),
    "createUser": (
        "CreateUserInput",
        "staff",
        lambda t, n: {
            "username": t[0],
            "email": t[1],
            "name": t[2],
            "password": t[3],
            "locale": t[4],
            "memberships": [{"organisationId": t[5], "roles": [t[0]]}],
            "firstLogin": [t[2]],
        },
    ),
    "changeUser": (
        "ChangeUserInput",
        "staff",
        lambda t, n: {"id": t[0], "version": n, "email": t[1], "name": t[2], "locale": t[3]},
    ),
    "setMembership": (
        "SetMembershipInput",
        "staff",
        lambda t, n: {"userId": t[0], "version": n, "organisationId": t[1], "roles": [t[2]]},
    ),
    "logIn": ("LogInInput", "anonymous", lambda t, n: {"login": t[0], "password": t[1]}),
    "refreshSession": ("RefreshSessionInput", "anonymous", lambda t, n: {"refreshToken": t[0]}),
    "logOut": ("RefreshSessionInput", "anonymous", lambda t, n: {"refreshToken": t[0]}),
    "changePassword": (
        "ChangePasswordInput",
        "user",
        lambda t, n: {
            "currentPassword": t[0],
            "newPassword": t[1],
            "newPasswordConfirmation": t[2],
        },
    ),
    "completeFirstLogin": (
        "CompleteFirstLoginInput",
        "user",
        lambda t, n: {
            "version": n,
            "email": t[0],
            "mobilePhone": t[1],
            "currentPassword": t[2],
            "newPassword": t[3],
            "newPasswordConfirmation": t[3],
        },
    ),
    "requireFirstLogin": (
        "RequireFirstLoginInput",
        "staff",
        lambda t, n: {"userId": t[0], "version": n, "steps": [t[1]]},
    ),
    "requestPasswordReset": (
        "RequestPasswordResetInput",
        "anonymous",
        lambda t, n: {"email": t[0]},
    ),
    "resetPassword": (
        "ResetPasswordInput",
        "anonymous",
        lambda t, n: {"token": t[0], "password": t[1], "passwordConfirmation": t[2]},
    ),
    "inviteUser": (
        "InviteUserInput",
        "staff",
        lambda t, n: {
            "email": t[0],
            "name": t[1],
            "organisationId": t[2],
            "roles": [t[3]],
            "locale": t[4],
        },
    ),
    "registerWithInvitation": (
        "RegisterWithInvitationInput",
        "anonymous",
        lambda t, n: {
            "code": t[0],
            "email": t[1],
            "username": t[2],
            "password": t[3],
            "passwordConfirmation": t[4],
        },
    ),
    "updateMyProfile": (
        "UpdateMyProfileInput",
        "user",
        lambda t, n: {
            "version": n,
            "email": t[0],
            "name": t[1],
            "mobilePhone": t[2],
            "otherPhone": t[3],
            "locale": t[4],
        },
    ),
    "chooseActiveOrganisation": (
        "ChooseActiveOrganisationInput",
        "user",
        lambda t, n: {"organisationId": t[0]},
    ),
    "addEmployee": (
        "AddEmployeeInput",
        "staff",
        lambda t, n: {
            "organisationId": t[0],
            "firstName": t[1],
            "lastName": t[2],
            "email": t[3],
            "mobile": t[4],
            "nationalId": t[5],
        },
    ),
    "editEmployee": (
        "EditEmployeeInput",
        "staff",
        lambda t, n: {
            "id": t[0],
            "version": n,
            "firstName": t[1],
            "email": t[2],
            "mobile": t[3],
            "nationalId": t[4],
            "organisationId": t[5],
        },
    ),
    "deactivateEmployee": ("EmployeeStatusInput", "staff", lambda t, n: {"id": t[0], "version": n}),
    "reactivateEmployee": ("EmployeeStatusInput", "staff", lambda t, n: {"id": t[0], "version": n}),
}


async def world(people) -> dict[str, Any]:
    """One seeded tenant per test, reused by every example."""
    state = people.app.state
    if getattr(state, "world", None) is None:
        tenant = await seed_tenant(people, "prop")
        user = await add_user(people, tenant, "someone")
        employee = await people.graphql(
            """mutation($input: AddEmployeeInput!) { addEmployee(input: $input) {
                 employee { id } } }""",
            {
                "input": {
                    "organisationId": tenant.customer,
                    "firstName": "Kari",
                    "lastName": "Nordmann",
                    "email": "kari@example.com",
                    "nationalId": FNR,
                }
            },
            principal=tenant.staff,
        )
        state.world = {
            "<ORG>": tenant.customer,
            "<USER>": user["id"],
            "<EMP>": employee["addEmployee"]["employee"]["id"],
            "staff": tenant.staff,
            "user": make_principal(
                "prop", user=user["id"], memberships={tenant.contractor: ("user",)}
            ),
            "anonymous": anonymous("prop"),
        }
    seeded: dict[str, Any] = state.world
    return seeded


async def snapshot(people) -> dict[str, list[dict[str, Any]]]:
    database = people.runtime.database
    found = {}
    for name in OUTBOX_COLLECTIONS:
        if name == THROTTLES:  # counting failed logins is the point of a failed login
            continue
        documents = (
            await database.system_collection(name)
            .find({"tenant": "prop"}, {"outbox": 0})
            .to_list(length=None)
        )
        found[name] = sorted(documents, key=lambda d: str(d["_id"]))
    return found


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=st.lists(TEXT, min_size=6, max_size=6), number=NUMBER)
async def test_no_input_causes_a_fault_or_a_partial_write(people, mutation, texts, number):
    input_type, caller, build = MUTATIONS[mutation]
    seeded = await world(people)
    # Only the placeholders stand for seeded ids (a text "user" is just a text).
    values = [seeded[t] if t.startswith("<") and t in seeded else t for t in texts]
    query = (
        f"mutation($input: {input_type}!) {{ {mutation}(input: $input) "
        "{ userErrors { field code message } } }"
    )
    before = await snapshot(people)
    response = await people.post_graphql(query, {"input": build(values, number)}, seeded[caller])
    assert response.status_code == 200, response.text
    body = response.json()
    for error in body.get("errors") or []:
        assert error["message"] != "Internal server error", body
    payload = (body.get("data") or {}).get(mutation)
    if payload is None or payload["userErrors"]:
        for problem in payload["userErrors"] if payload else []:
            assert problem["code"] and problem["message"]
        assert await snapshot(people) == before


async def test_ids_copied_across_tenants_answer_like_missing_ones(people):
    jm = await seed_tenant(people, "jm")
    other = await seed_tenant(people, "other")
    user = await add_user(people, jm, "ola")
    by_id = "query($id: ID!) { user(id: $id) { id } }"
    assert await people.graphql(by_id, {"id": user["id"]}, principal=other.staff) == {"user": None}
    mutations = {
        "changeUser": ("ChangeUserInput", {"id": user["id"], "version": 1, "name": "Hijack"}),
        "setMembership": (
            "SetMembershipInput",
            {"userId": user["id"], "version": 1, "organisationId": other.operator, "roles": []},
        ),
        "requireFirstLogin": ("RequireFirstLoginInput", {"userId": user["id"], "version": 1}),
        "inviteUser": (
            "InviteUserInput",
            {"email": "a@example.com", "name": "A", "organisationId": jm.contractor},
        ),
        "addEmployee": (
            "AddEmployeeInput",
            {
                "organisationId": jm.customer,
                "firstName": "A",
                "lastName": "B",
                "email": "a@example.com",
            },
        ),
    }
    for name, (input_type, variables) in mutations.items():
        query = (
            f"mutation($input: {input_type}!) {{ {name}(input: $input) "
            "{ userErrors { field code } } }"
        )
        data = await people.graphql(query, {"input": variables}, principal=other.staff)
        assert [e["code"] for e in data[name]["userErrors"]] == ["NOT_FOUND"], name
    mine = await people.graphql(
        by_id.replace("id }", "name version }"), {"id": user["id"]}, principal=jm.staff
    )
    assert mine["user"] == {"name": "Ola Person", "version": 1}
