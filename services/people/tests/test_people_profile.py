"""The caller's profile, memberships managed by staff and customer admins, the active
organisation."""

from __future__ import annotations

from portal_kit.testing.plugin import make_principal
from portal_people.testing import (
    add_user,
    log_in,
    principal_from_token,
    seed_tenant,
    verified_claims,
)

UPDATE = """mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) {
  user { email name mobilePhone otherPhone locale version } userErrors { field code message } } }"""
SET_MEMBERSHIP = """mutation($input: SetMembershipInput!) { setMembership(input: $input) {
  user { memberships { organisationId roles } version } userErrors { field code } } }"""
CHOOSE = """mutation($input: ChooseActiveOrganisationInput!) {
  chooseActiveOrganisation(input: $input) {
  user { activeOrganisationId } session { accessToken } userErrors { field code } } }"""


async def test_profile_phones_are_normalised_for_the_tenants_country(people):
    avonova = await seed_tenant(people, "avonova")
    user = await add_user(people, avonova, "testweb")
    me = make_principal("avonova", user=user["id"], memberships={avonova.contractor: ("user",)})
    changed = await people.graphql(
        UPDATE,
        {
            "input": {
                "version": user["version"],
                "mobilePhone": "412 44 845",
                "otherPhone": "+46 8 123 456",
                "email": "Test.Bruker@Demokunde.EXAMPLE",
                "locale": "en",
            }
        },
        principal=me,
    )
    assert changed["updateMyProfile"]["userErrors"] == []
    assert changed["updateMyProfile"]["user"] == {
        "email": "Test.Bruker@demokunde.example",
        "name": "Testweb Person",
        "mobilePhone": "+4741244845",
        "otherPhone": "+468123456",
        "locale": "en",
        "version": 2,
    }
    bad = await people.graphql(
        UPDATE,
        {
            "input": {
                "version": 2,
                "mobilePhone": "12",
                "email": "no-at-sign",
                "locale": "de",
                "name": "x" * 500,
            }
        },
        principal=me,
    )
    assert {(e["field"], e["code"]) for e in bad["updateMyProfile"]["userErrors"]} == {
        ("mobilePhone", "INVALID_PHONE"),
        ("email", "INVALID_EMAIL"),
        ("locale", "INVALID"),
        ("name", "TOO_LONG"),
    }
    stale = await people.graphql(UPDATE, {"input": {"version": 1, "name": "Lost"}}, principal=me)
    assert stale["updateMyProfile"]["userErrors"][0]["code"] == "STALE_VERSION"
    now = await people.graphql("{ me { name mobilePhone version } }", principal=me)
    assert now["me"] == {"name": "Testweb Person", "mobilePhone": "+4741244845", "version": 2}


async def test_a_customer_admin_manages_memberships_of_its_own_organisation_only(people):
    avonova = await seed_tenant(people, "avonova")
    member = await add_user(people, avonova, "ansatt", organisation=avonova.department)
    outsider = await add_user(people, avonova, "outsider", organisation=avonova.contractor)
    promoted = await people.graphql(
        SET_MEMBERSHIP,
        {
            "input": {
                "userId": member["id"],
                "version": member["version"],
                "organisationId": avonova.department,
                "roles": ["admin", "user"],
            }
        },
        principal=avonova.customer_admin,
    )
    assert promoted["setMembership"]["user"]["memberships"] == [
        {"organisationId": avonova.department, "roles": ["admin", "user"]}
    ]
    foreign = await people.graphql(
        SET_MEMBERSHIP,
        {
            "input": {
                "userId": outsider["id"],
                "version": outsider["version"],
                "organisationId": avonova.contractor,
                "roles": ["admin"],
            }
        },
        principal=avonova.customer_admin,
    )
    assert foreign["setMembership"]["userErrors"][0]["code"] == "NOT_FOUND"
    by_contractor = await people.graphql(
        SET_MEMBERSHIP,
        {
            "input": {
                "userId": member["id"],
                "version": 2,
                "organisationId": avonova.department,
                "roles": [],
            }
        },
        principal=avonova.contractor_member,
    )
    assert by_contractor["setMembership"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_a_person_in_two_customers_chooses_the_active_one(people):
    visma = await seed_tenant(people, "visma-enterprise", country="DK")
    user = await add_user(people, visma, "patrick.stjerne", organisation=visma.customer)
    added = await people.graphql(
        SET_MEMBERSHIP,
        {
            "input": {
                "userId": user["id"],
                "version": user["version"],
                "organisationId": visma.department,
                "roles": ["user"],
            }
        },
        principal=visma.staff,
    )
    assert added["setMembership"]["userErrors"] == []
    session = await log_in(people, "visma-enterprise", "patrick.stjerne")
    me = principal_from_token(await verified_claims(people, session["accessToken"]))
    assert set(me.organisations) == {visma.customer, visma.department}
    chosen = await people.graphql(
        CHOOSE, {"input": {"organisationId": visma.department}}, principal=me
    )
    assert chosen["chooseActiveOrganisation"]["user"] == {"activeOrganisationId": visma.department}
    claims = await verified_claims(
        people, chosen["chooseActiveOrganisation"]["session"]["accessToken"]
    )
    assert claims["org"] == visma.department
    assert principal_from_token(claims).active_organisation == visma.department
    not_mine = await people.graphql(
        CHOOSE, {"input": {"organisationId": visma.contractor}}, principal=me
    )
    assert not_mine["chooseActiveOrganisation"]["userErrors"] == [
        {"field": "organisationId", "code": "NOT_FOUND"}
    ]
