"""Login, rotating refresh tokens, logout, throttling and signing-key rotation."""

from __future__ import annotations

from datetime import timedelta

import jwt
from portal_kit.principal import generate_key_pair
from portal_kit.testing.plugin import make_principal
from portal_people.adapters.tokens import TokenIssuer
from portal_people.domain.organisation import OrganisationKind
from portal_people.domain.user import User, UserMembership
from portal_people.testing import (
    LOG_IN,
    LOG_OUT,
    REFRESH,
    add_user,
    anonymous,
    log_in,
    seed_tenant,
    verified_claims,
)

from .test_people_events import start_partner

PASSWORD = "a long secret phrase"  # add_user's


async def refresh(people, tenant: str, token: str) -> dict:
    data = await people.graphql(
        REFRESH, {"input": {"refreshToken": token}}, principal=anonymous(tenant)
    )
    return data["refreshSession"]


async def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(people):
    jm = await seed_tenant(people, "jm")
    await add_user(people, jm, "ola")
    first = await log_in(people, "jm", "ola")
    assert first["userErrors"] == [] and first["refreshToken"]
    second = await refresh(people, "jm", first["refreshToken"])
    assert second["userErrors"] == []
    assert second["refreshToken"] != first["refreshToken"]
    claims = await verified_claims(people, second["accessToken"])
    assert claims["tenant"] == "jm"
    # The first token was used: showing it again is a theft signal and ends the whole family,
    # so even the newest token of that login stops working.
    replay = await refresh(people, "jm", first["refreshToken"])
    assert replay["userErrors"][0]["code"] == "INVALID_REFRESH_TOKEN"
    newest = await refresh(people, "jm", second["refreshToken"])
    assert newest["userErrors"][0]["code"] == "INVALID_REFRESH_TOKEN"
    # Another login (another family) is untouched.
    other = await log_in(people, "jm", "ola")
    assert (await refresh(people, "jm", other["refreshToken"]))["userErrors"] == []


async def test_log_out_ends_the_session(people):
    jm = await seed_tenant(people, "jm")
    await add_user(people, jm, "kari")
    session = await log_in(people, "jm", "kari")
    out = await people.graphql(
        LOG_OUT, {"input": {"refreshToken": session["refreshToken"]}}, principal=anonymous("jm")
    )
    assert out["logOut"] == {"ok": True, "userErrors": []}
    after = await refresh(people, "jm", session["refreshToken"])
    assert after["userErrors"][0]["code"] == "INVALID_REFRESH_TOKEN"


async def test_refresh_tokens_of_another_tenant_or_garbage_answer_alike(people):
    jm = await seed_tenant(people, "jm")
    await seed_tenant(people, "other")
    await add_user(people, jm, "per")
    session = await log_in(people, "jm", "per")
    for tenant, token in (
        ("other", session["refreshToken"]),
        ("jm", "garbage"),
        ("jm", "0" * 32 + "." + "x" * 43),
    ):
        answer = await refresh(people, tenant, token)
        assert answer["accessToken"] is None
        assert answer["userErrors"] == [
            {
                "field": "refreshToken",
                "code": "INVALID_REFRESH_TOKEN",
                "message": "the session has ended; log in again",
            }
        ]
    assert (await refresh(people, "jm", session["refreshToken"]))["userErrors"] == []


async def test_failed_logins_lock_the_account_and_the_answer_does_not_reveal_it_exists(people):
    jm = await seed_tenant(people, "jm")
    user = await add_user(people, jm, "target")
    partner, consumer = await start_partner(people, durable="security")
    try:
        for login in ("target", "nobody-here"):
            for _ in range(5):
                wrong = await log_in(people, "jm", login, "wrong password!!")
                assert wrong["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
            locked = await log_in(people, "jm", login, "wrong password!!")
            assert locked["userErrors"][0]["code"] == "LOGIN_THROTTLED"
        # Locked means locked: the right password is refused too, until the lock ends.
        right = await log_in(people, "jm", "target")
        assert right["userErrors"][0]["code"] == "LOGIN_THROTTLED"
        services = people.app.state.services
        later = services.clock() + timedelta(minutes=2)
        services.clock = lambda: later
        assert (await log_in(people, "jm", "target"))["userErrors"] == []
        await partner.wait_for("portal.people.login.locked", 2)
    finally:
        await consumer.stop()
    locks = partner.of_type("portal.people.login.locked")
    assert {e.data["user_id"] for e in locks} == {user["id"], None}
    # No client address reported: the account's key from "nowhere" (the pair) locked.
    assert all(e.data["scope"] == "pair" for e in locks)
    assert "target" not in str([e.data for e in locks])


async def test_failures_from_one_client_address_are_throttled_across_accounts(people):
    jm = await seed_tenant(people, "jm")
    await add_user(people, jm, "victim")
    people.app.state.services.settings = people.app.state.services.settings.model_copy(
        update={"login_address_max_failures": 6}
    )

    async def attempt(login: str, address: str) -> str | None:
        response = await people.client.post(
            "/graphql",
            json={
                "query": LOG_IN,
                "variables": {"input": {"login": login, "password": "not the password"}},
            },
            headers={
                "X-Portal-Principal": people.signer.sign(anonymous("jm")),
                "X-Forwarded-For": f"203.0.113.9, {address}",
            },
        )
        errors = response.json()["data"]["logIn"]["userErrors"]
        return errors[0]["code"] if errors else None

    codes = [await attempt(f"guess-{n}", "198.51.100.7") for n in range(7)]
    assert codes[:6] == ["INVALID_CREDENTIALS"] * 6
    assert codes[6] == "LOGIN_THROTTLED"
    # Another client address is not affected.
    assert await attempt("guess-x", "198.51.100.8") == "INVALID_CREDENTIALS"


async def test_an_attack_does_not_lock_the_owner_out_of_a_login_from_a_known_address(people):
    jm = await seed_tenant(people, "jm")
    await add_user(people, jm, "owner")
    services = people.app.state.services
    services.settings = services.settings.model_copy(
        update={"login_pair_max_failures": 5, "login_account_max_failures": 12}
    )

    async def attempt(address: str, password: str = "not the password") -> str | None:
        response = await people.client.post(
            "/graphql",
            json={
                "query": LOG_IN,
                "variables": {"input": {"login": "owner", "password": password}},
            },
            headers={
                "X-Portal-Principal": people.signer.sign(anonymous("jm")),
                "X-Forwarded-For": address,
            },
        )
        errors = response.json()["data"]["logIn"]["userErrors"]
        return errors[0]["code"] if errors else None

    home = "198.51.100.20"
    assert await attempt(home, PASSWORD) is None  # the owner's address is now known
    # One attacking address locks only itself (the pair) after 5 failures ...
    codes = [await attempt("203.0.113.1") for _ in range(6)]
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["LOGIN_THROTTLED"]
    assert await attempt(home, PASSWORD) is None
    # ... and many addresses exhaust the account's slower budget (12) ...
    for n in range(2, 5):
        for _ in range(4):
            assert await attempt(f"203.0.113.{n}") == "INVALID_CREDENTIALS"
    assert await attempt("203.0.113.9") == "LOGIN_THROTTLED"
    # ... which refuses even the right password from an address the account never used ...
    assert await attempt("192.0.2.77", PASSWORD) == "LOGIN_THROTTLED"
    # ... but the owner at their known address still logs in.
    assert await attempt(home, PASSWORD) is None
    # Their login refilled nothing for the attacker: the account is still locked elsewhere.
    assert await attempt("203.0.113.10") == "LOGIN_THROTTLED"


async def test_a_rotated_signing_key_keeps_earlier_tokens_valid():
    old_private, old_public = generate_key_pair()
    new_private, _ = generate_key_pair()
    user = User(
        id="u1",
        tenant="jm",
        username="ola",
        email="ola@example.com",
        name="Ola",
        locale="nb",
        memberships=[UserMembership("org-1", OrganisationKind.CONTRACTOR, ("user",))],
    )
    old_token, _ = TokenIssuer(old_private).issue_access_token(user)
    rotated = TokenIssuer(new_private, [old_public])
    new_token, _ = rotated.issue_access_token(user)
    keys = {k["kid"]: k for k in rotated.jwks()["keys"]}
    assert len(keys) == 2
    for token in (old_token, new_token):
        kid = jwt.get_unverified_header(token)["kid"]
        claims = jwt.decode(
            token,
            jwt.PyJWK(keys[kid]).key,
            algorithms=["EdDSA"],
            audience="portal",
            issuer="portal-people",
        )
        assert claims["memberships"] == [{"organisation": "org-1", "roles": ["user"]}]
    assert jwt.get_unverified_header(new_token)["kid"] == rotated.kid


async def test_a_password_change_needs_the_current_one_and_ends_other_sessions(people):
    jm = await seed_tenant(people, "jm")
    await add_user(people, jm, "lisa")
    first = await log_in(people, "jm", "lisa")
    claims = await verified_claims(people, first["accessToken"])
    me = make_principal("jm", user=claims["sub"], memberships={jm.contractor: ("user",)})
    mutation = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
        accessToken refreshToken userErrors { field code } } }"""
    wrong = await people.graphql(
        mutation,
        {
            "input": {
                "currentPassword": "not my password",
                "newPassword": "brand new phrase 1",
                "newPasswordConfirmation": "brand new phrase 2",
            }
        },
        principal=me,
    )
    assert {(e["field"], e["code"]) for e in wrong["changePassword"]["userErrors"]} == {
        ("currentPassword", "WRONG_PASSWORD"),
        ("newPasswordConfirmation", "PASSWORD_MISMATCH"),
    }
    assert (await log_in(people, "jm", "lisa"))["userErrors"] == []
    changed = await people.graphql(
        mutation,
        {
            "input": {
                "currentPassword": "a long secret phrase",
                "newPassword": "brand new phrase 1",
                "newPasswordConfirmation": "brand new phrase 1",
            }
        },
        principal=me,
    )
    assert changed["changePassword"]["userErrors"] == []
    assert (await refresh(people, "jm", first["refreshToken"]))["userErrors"][0]["code"] == (
        "INVALID_REFRESH_TOKEN"
    )
    assert (await refresh(people, "jm", changed["changePassword"]["refreshToken"]))[
        "userErrors"
    ] == []
    assert (await log_in(people, "jm", "lisa", "brand new phrase 1"))["userErrors"] == []
