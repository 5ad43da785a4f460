"""Invitations and registration, as JM's manual walks them."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from portal_kit.testing.mailbox import plain_text
from portal_people.testing import add_user, anonymous, log_in, seed_tenant, verified_claims

from .test_people_events import start_partner

INVITE = """mutation($input: InviteUserInput!) { inviteUser(input: $input) {
  invitation { id email status emailSent roles organisationId }
  userErrors { field code message } } }"""
PREVIEW = """query($code: String!) { invitation(code: $code) {
  invitation { email organisationName } userErrors { field code message } } }"""
REGISTER = """mutation($input: RegisterWithInvitationInput!) {
  registerWithInvitation(input: $input) {
    user { id username email memberships { organisationId roles } }
    userErrors { field code message } } }"""
USERS = "{ users { totalCount } }"


def code_in(mail) -> str:
    match = re.search(r"code=([A-Za-z0-9_-]+)", plain_text(mail))
    assert match, plain_text(mail)
    return match.group(1)


async def invite(people, tenant, email="emma@testforetag.example", **extra):
    data = await people.graphql(
        INVITE,
        {
            "input": {
                "email": email,
                "name": "Emma Testare",
                "organisationId": tenant.contractor,
                "roles": ["admin"],
                **extra,
            }
        },
        principal=tenant.staff,
    )
    return data["inviteUser"]


def registration(code: str, **extra):
    return {
        "input": {
            "code": code,
            "email": "emma@testforetag.example",
            "username": "emma.t",
            "password": "Entreprenør-2026!",
            "passwordConfirmation": "Entreprenør-2026!",
            **extra,
        }
    }


async def test_jm_onboarding_from_invitation_to_a_verified_token(people, mailbox):
    jm = await seed_tenant(people, "jm")
    partner, consumer = await start_partner(people, durable="onboarding")
    try:
        sent = await invite(people, jm)
        assert sent["userErrors"] == []
        assert sent["invitation"]["status"] == "pending" and sent["invitation"]["emailSent"]
        mail = await mailbox.wait_for("emma@testforetag.example")
        assert mail["Subject"] == "Invitasjon til JM"
        assert "Løs inn invitasjon" in plain_text(mail)
        code = code_in(mail)

        preview = await people.graphql(PREVIEW, {"code": code}, principal=anonymous("jm"))
        assert preview["invitation"] == {
            "invitation": {
                "email": "emma@testforetag.example",
                "organisationName": "jm contractor",
            },
            "userErrors": [],
        }
        registered = await people.graphql(REGISTER, registration(code), principal=anonymous("jm"))
        assert registered["registerWithInvitation"]["userErrors"] == []
        user = registered["registerWithInvitation"]["user"]
        assert user["memberships"] == [{"organisationId": jm.contractor, "roles": ["admin"]}]

        session = await log_in(people, "jm", "emma.t", "Entreprenør-2026!")
        assert session["userErrors"] == []
        claims = await verified_claims(people, session["accessToken"])
        assert claims["sub"] == user["id"] and claims["tenant"] == "jm"
        assert claims["memberships"] == [{"organisation": jm.contractor, "roles": ["admin"]}]
        assert claims["staff"] is False and claims["locale"] == "nb"

        again = await people.graphql(
            REGISTER, registration(code, username="second.try"), principal=anonymous("jm")
        )
        assert again["registerWithInvitation"]["userErrors"][0]["code"] == "INVALID_CODE"
        await partner.wait_for("portal.people.invitation.redeemed")
        await partner.wait_for("portal.people.user.registered")
        await partner.wait_for("portal.people.invitation.sent")
    finally:
        await consumer.stop()
    redeemed = partner.of_type("portal.people.invitation.redeemed")[0]
    assert redeemed.data["user_id"] == user["id"]
    for event in partner.effects:
        assert "emma" not in event.model_dump_json().lower()


async def test_a_changed_email_at_registration_replaces_the_invited_one(people, mailbox):
    jm = await seed_tenant(people, "jm")
    await invite(people, jm)
    code = code_in(await mailbox.wait_for("emma@testforetag.example"))
    registered = await people.graphql(
        REGISTER, registration(code, email="emma@new-address.example"), principal=anonymous("jm")
    )
    assert registered["registerWithInvitation"]["user"]["email"] == "emma@new-address.example"
    assert (await log_in(people, "jm", "emma@new-address.example", "Entreprenør-2026!"))[
        "userErrors"
    ] == []


async def test_used_expired_and_unknown_codes_get_the_same_error(people, mailbox):
    jm = await seed_tenant(people, "jm")
    await invite(people, jm)
    code = code_in(await mailbox.wait_for("emma@testforetag.example"))
    unknown = await people.graphql(PREVIEW, {"code": "x" * 43}, principal=anonymous("jm"))
    other_tenant = await people.graphql(PREVIEW, {"code": code}, principal=anonymous("other"))
    services = people.app.state.services
    later = services.clock() + timedelta(days=15)
    services.clock = lambda: later
    expired = await people.graphql(PREVIEW, {"code": code}, principal=anonymous("jm"))
    assert unknown == other_tenant == expired
    assert expired["invitation"]["userErrors"] == [
        {
            "field": "code",
            "code": "INVALID_CODE",
            "message": "this invitation code is used, expired or unknown",
        }
    ]
    refused = await people.graphql(REGISTER, registration(code), principal=anonymous("jm"))
    assert refused["registerWithInvitation"]["userErrors"][0]["code"] == "INVALID_CODE"
    assert (await people.graphql(USERS, principal=jm.staff))["users"]["totalCount"] == 0


async def test_bad_registrations_name_every_problem_and_write_nothing(people, mailbox):
    jm = await seed_tenant(people, "jm", password_policy={"min_length": 10, "max_length": 30})
    await add_user(people, jm, "taken", email="taken@example.com")
    await invite(people, jm)
    code = code_in(await mailbox.wait_for("emma@testforetag.example"))
    bad = await people.graphql(
        REGISTER,
        registration(
            code,
            username="taken",
            email="taken@example.com",
            password="x" * 31,
            passwordConfirmation="y" * 31,
        ),
        principal=anonymous("jm"),
    )
    problems = {(e["field"], e["code"]) for e in bad["registerWithInvitation"]["userErrors"]}
    assert problems == {
        ("password", "PASSWORD_TOO_LONG"),
        ("passwordConfirmation", "PASSWORD_MISMATCH"),
        ("username", "DUPLICATE"),
        ("email", "DUPLICATE"),
    }
    personal = await people.graphql(
        REGISTER,
        registration(code, password="emma.t-2026-x", passwordConfirmation="emma.t-2026-x"),
        principal=anonymous("jm"),
    )
    assert personal["registerWithInvitation"]["userErrors"][0]["code"] == "PASSWORD_PERSONAL"
    assert (await people.graphql(USERS, principal=jm.staff))["users"]["totalCount"] == 1
    # The code is still good after refusals.
    fine = await people.graphql(REGISTER, registration(code), principal=anonymous("jm"))
    assert fine["registerWithInvitation"]["userErrors"] == []


async def test_only_staff_invite_and_only_to_organisations_of_their_tenant(people, mailbox):
    jm = await seed_tenant(people, "jm")
    other = await seed_tenant(people, "other")
    contractor = await people.graphql(
        INVITE,
        {"input": {"email": "a@example.com", "name": "A", "organisationId": jm.contractor}},
        principal=jm.contractor_member,
    )
    assert contractor["inviteUser"]["userErrors"][0]["code"] == "FORBIDDEN"
    foreign = await people.graphql(
        INVITE,
        {"input": {"email": "a@example.com", "name": "A", "organisationId": jm.contractor}},
        principal=other.staff,
    )
    assert foreign["inviteUser"]["userErrors"] == [
        {"field": "organisationId", "code": "NOT_FOUND", "message": "no such organisation"}
    ]
    malformed = await people.graphql(
        INVITE,
        {"input": {"email": "nope", "name": " ", "organisationId": jm.contractor, "roles": ["x"]}},
        principal=jm.staff,
    )
    assert {e["code"] for e in malformed["inviteUser"]["userErrors"]} == {
        "INVALID_EMAIL",
        "REQUIRED",
        "UNKNOWN_ROLE",
    }
    assert mailbox.messages == []


async def redeemed_on_stream(people) -> int:
    """How many `invitation.redeemed` events the service's stream holds, after publishing
    whatever any outbox still had."""
    runtime = people.runtime
    await runtime.relay.drain()
    prefix = runtime.settings.event_prefix
    info = await runtime.js.stream_info(
        runtime.names.stream, subjects_filter=f"{prefix}.*.people.invitation.redeemed"
    )
    return sum((info.state.subjects or {}).values())


async def _two_codes(people, mailbox, tenant) -> list[tuple[str, str]]:
    """Two invitations (id, code) for two people."""
    invited = []
    for address in ("anna@testforetag.example", "bo@testforetag.example"):
        sent = await invite(people, tenant, email=address)
        assert sent["userErrors"] == []
        invited.append((sent["invitation"]["id"], code_in(await mailbox.wait_for(address))))
    return invited


async def test_a_user_name_taken_at_the_same_instant_announces_nothing_and_keeps_the_code(
    people, mailbox
):
    jm = await seed_tenant(people, "jm")
    partner, consumer = await start_partner(people, durable="race")
    try:
        (first_id, first), (second_id, second) = await _two_codes(people, mailbox, jm)
        racing = await asyncio.gather(
            *(
                people.graphql(
                    REGISTER,
                    registration(code, email=address, username="same.name"),
                    principal=anonymous("jm"),
                )
                for code, address in (
                    (first, "anna@testforetag.example"),
                    (second, "bo@testforetag.example"),
                )
            )
        )
        answers = [r["registerWithInvitation"] for r in racing]
        winners = [a for a in answers if a["userErrors"] == []]
        losers = [a for a in answers if a["userErrors"]]
        assert len(winners) == 1 and len(losers) == 1
        assert losers[0]["user"] is None
        assert [(e["field"], e["code"]) for e in losers[0]["userErrors"]] == [
            ("username", "DUPLICATE")
        ]
        winner_id = winners[0]["user"]["id"]
        won_with = first_id if winners[0]["user"]["email"].startswith("anna") else second_id
        lost_with, lost_code, lost_address = (
            (second_id, second, "bo@testforetag.example")
            if won_with == first_id
            else (first_id, first, "anna@testforetag.example")
        )

        await partner.wait_for("portal.people.user.registered")
        await partner.wait_for("portal.people.invitation.redeemed")
        assert await redeemed_on_stream(people) == 1
        redeemed = partner.of_type("portal.people.invitation.redeemed")
        assert [(e.subject, e.data["user_id"]) for e in redeemed] == [(won_with, winner_id)]
        assert len(partner.of_type("portal.people.user.registered")) == 1

        # The losing code still answers and redeems, with another user name.
        preview = await people.graphql(PREVIEW, {"code": lost_code}, principal=anonymous("jm"))
        assert preview["invitation"]["invitation"]["email"] == lost_address
        retried = await people.graphql(
            REGISTER,
            registration(lost_code, email=lost_address, username="other.name"),
            principal=anonymous("jm"),
        )
        assert retried["registerWithInvitation"]["userErrors"] == []
        retry_id = retried["registerWithInvitation"]["user"]["id"]
        await partner.wait_for("portal.people.invitation.redeemed", count=2)
        await partner.wait_for("portal.people.user.registered", count=2)
        assert await redeemed_on_stream(people) == 2
    finally:
        await consumer.stop()
    redeemed = partner.of_type("portal.people.invitation.redeemed")
    assert sorted((e.subject, e.data["user_id"]) for e in redeemed) == sorted(
        [(won_with, winner_id), (lost_with, retry_id)]
    )
    assert (await people.graphql(USERS, principal=jm.staff))["users"]["totalCount"] == 2
    assert (await log_in(people, "jm", "other.name", "Entreprenør-2026!"))["userErrors"] == []


async def test_one_code_redeemed_twice_at_the_same_instant_makes_one_account(people, mailbox):
    jm = await seed_tenant(people, "jm")
    partner, consumer = await start_partner(people, durable="same-code")
    try:
        await invite(people, jm)
        code = code_in(await mailbox.wait_for("emma@testforetag.example"))
        racing = await asyncio.gather(
            *(
                people.graphql(
                    REGISTER,
                    registration(code, email=f"{name}@example.com", username=name),
                    principal=anonymous("jm"),
                )
                for name in ("first.one", "second.one")
            )
        )
        answers = [r["registerWithInvitation"] for r in racing]
        assert sorted(len(a["userErrors"]) for a in answers) == [0, 1]
        refused = next(a for a in answers if a["userErrors"])
        assert refused["userErrors"][0]["code"] == "INVALID_CODE"
        await partner.wait_for("portal.people.invitation.redeemed")
        await partner.wait_for("portal.people.user.registered")
        assert await redeemed_on_stream(people) == 1
    finally:
        await consumer.stop()
    assert len(partner.of_type("portal.people.invitation.redeemed")) == 1
    assert len(partner.of_type("portal.people.user.registered")) == 1
    assert (await people.graphql(USERS, principal=jm.staff))["users"]["totalCount"] == 1
    again = await people.graphql(PREVIEW, {"code": code}, principal=anonymous("jm"))
    assert again["invitation"]["userErrors"][0]["code"] == "INVALID_CODE"
