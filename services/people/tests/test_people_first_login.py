"""First login (Familjebostäder): confirm contact details and change the password first."""

from __future__ import annotations

from portal_people.testing import (
    add_user,
    log_in,
    principal_from_token,
    seed_tenant,
    verified_claims,
)

COMPLETE = """mutation($input: CompleteFirstLoginInput!) { completeFirstLogin(input: $input) {
  accessToken refreshToken firstLoginSteps userErrors { field code message } } }"""


async def test_familjebostader_first_login_then_normal_access(people):
    fb = await seed_tenant(
        people,
        "familjebostader",
        country="SE",
        password_policy={"min_length": 10, "max_length": 30},
    )
    user = await add_user(
        people,
        fb,
        "1999/99999",
        email="test@testmail.example",
        password="Given-by-us-2019",
        firstLogin=["contact_details", "password"],
    )
    session = await log_in(people, "familjebostader", "1999/99999", "Given-by-us-2019")
    assert session["userErrors"] == []
    assert session["firstLoginSteps"] == ["contact_details", "password"]
    claims = await verified_claims(people, session["accessToken"])
    # Until done, the token opens nothing: no memberships, no staff flag, one marker scope.
    assert claims["memberships"] == [] and claims["scopes"] == ["people:first-login-required"]
    pending = principal_from_token(claims)

    for query in (
        "{ organisations { totalCount } }",
        "{ tenants { id } }",
        "{ me { id } users { totalCount } }",
    ):
        refused = await people.post_graphql(query, principal=pending)
        body = refused.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FIRST_LOGIN_REQUIRED"
    me = await people.graphql(
        "{ me { username email firstLoginSteps version memberships { organisation { name } } } }",
        principal=pending,
    )
    assert me["me"]["firstLoginSteps"] == ["contact_details", "password"]
    # Kontaktuppgifter shows 'Företag': the user's own organisation, though the token names none.
    assert me["me"]["memberships"] == [{"organisation": {"name": "familjebostader contractor"}}]

    too_long = await people.graphql(
        COMPLETE,
        {
            "input": {
                "version": me["me"]["version"],
                "mobilePhone": "0721234567",
                "otherPhone": "08-123456",
                "currentPassword": "Given-by-us-2019",
                "newPassword": "z" * 31,
                "newPasswordConfirmation": "z" * 31,
            }
        },
        principal=pending,
    )
    assert too_long["completeFirstLogin"]["userErrors"][0]["code"] == "PASSWORD_TOO_LONG"
    still = await people.graphql("{ me { firstLoginSteps mobilePhone } }", principal=pending)
    assert still["me"] == {"firstLoginSteps": ["contact_details", "password"], "mobilePhone": None}

    done = await people.graphql(
        COMPLETE,
        {
            "input": {
                "version": me["me"]["version"],
                "mobilePhone": "0721234567",
                "otherPhone": "08-123456",
                "currentPassword": "Given-by-us-2019",
                "newPassword": "Mitt-eget-2026",
                "newPasswordConfirmation": "Mitt-eget-2026",
            }
        },
        principal=pending,
    )
    result = done["completeFirstLogin"]
    assert result["userErrors"] == [] and result["firstLoginSteps"] == []
    normal = principal_from_token(await verified_claims(people, result["accessToken"]))
    assert normal.memberships[0].organisation == fb.contractor
    me = await people.graphql(
        "{ me { mobilePhone otherPhone firstLoginSteps } organisations { totalCount } }",
        principal=normal,
    )
    assert me["me"] == {
        "mobilePhone": "+46721234567",
        "otherPhone": "+468123456",
        "firstLoginSteps": [],
    }
    assert me["organisations"]["totalCount"] == 1
    assert (await log_in(people, "familjebostader", "1999/99999", "Given-by-us-2019"))[
        "userErrors"
    ][0]["code"] == "INVALID_CREDENTIALS"
    again = await log_in(people, "familjebostader", user["username"], "Mitt-eget-2026")
    assert again["firstLoginSteps"] == []


async def test_staff_can_require_a_first_login_again(people):
    fb = await seed_tenant(people, "familjebostader", country="SE")
    user = await add_user(people, fb, "anders")
    data = await people.graphql(
        """mutation($input: RequireFirstLoginInput!) { requireFirstLogin(input: $input) {
             user { firstLoginSteps } userErrors { code } } }""",
        {"input": {"userId": user["id"], "version": user["version"], "steps": ["password"]}},
        principal=fb.staff,
    )
    assert data["requireFirstLogin"] == {
        "user": {"firstLoginSteps": ["password"]},
        "userErrors": [],
    }
    assert (await log_in(people, "familjebostader", "anders"))["firstLoginSteps"] == ["password"]
    refused = await people.graphql(
        """mutation($input: RequireFirstLoginInput!) { requireFirstLogin(input: $input) {
             user { id } userErrors { code } } }""",
        {"input": {"userId": user["id"], "version": 2, "steps": ["password"]}},
        principal=fb.contractor_member,
    )
    assert refused["requireFirstLogin"]["userErrors"][0]["code"] == "NOT_FOUND"
