"""Password reset by e-mail (Visma InSchool / OTRS): the mail really goes out over SMTP."""

from __future__ import annotations

import re
from datetime import timedelta

from portal_kit.testing.mailbox import plain_text
from portal_people.testing import REFRESH, add_user, anonymous, log_in, seed_tenant

REQUEST = """mutation($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { ok userErrors { field code message } } }"""
RESET = """mutation($input: ResetPasswordInput!) {
  resetPassword(input: $input) { ok userErrors { field code message } } }"""


def token_in(mail) -> str:
    match = re.search(r"token=([A-Za-z0-9_-]+)", plain_text(mail))
    assert match, plain_text(mail)
    return match.group(1)


async def test_otrs_reset_mails_a_link_and_kills_old_refresh_tokens(people, mailbox):
    school = await seed_tenant(
        people, "visma-inschool", country="FI", locales=["sv", "fi", "en"], default_locale="sv"
    )
    # OTRS: the e-mail is the user name; the first password comes by 'forgot password'.
    await add_user(
        people,
        school,
        "rektor@skola.example",
        email="rektor@skola.example",
        organisation=school.customer,
        locale="sv",
    )
    old = await log_in(people, "visma-inschool", "rektor@skola.example")
    asked = await people.graphql(
        REQUEST, {"input": {"email": "Rektor@Skola.example"}}, principal=anonymous("visma-inschool")
    )
    assert asked["requestPasswordReset"] == {"ok": True, "userErrors": []}
    mail = await mailbox.wait_for("rektor@skola.example")
    assert mail["Subject"] == "Nytt lösenord för VISMA-INSCHOOL"
    assert mail["Content-Language"] == "sv"
    assert "https://portal.example/visma-inschool/reset-password?token=" in plain_text(mail)
    token = token_in(mail)

    mismatch = await people.graphql(
        RESET,
        {"input": {"token": token, "password": "nytt lösenord 2026", "passwordConfirmation": "x"}},
        principal=anonymous("visma-inschool"),
    )
    assert mismatch["resetPassword"]["userErrors"][0]["code"] == "PASSWORD_MISMATCH"
    done = await people.graphql(
        RESET,
        {
            "input": {
                "token": token,
                "password": "nytt lösenord 2026",
                "passwordConfirmation": "nytt lösenord 2026",
            }
        },
        principal=anonymous("visma-inschool"),
    )
    assert done["resetPassword"] == {"ok": True, "userErrors": []}
    dead = await people.graphql(
        REFRESH,
        {"input": {"refreshToken": old["refreshToken"]}},
        principal=anonymous("visma-inschool"),
    )
    assert dead["refreshSession"]["userErrors"][0]["code"] == "INVALID_REFRESH_TOKEN"
    refused = await log_in(people, "visma-inschool", "rektor@skola.example")
    assert refused["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    fresh = await log_in(people, "visma-inschool", "rektor@skola.example", "nytt lösenord 2026")
    assert fresh["userErrors"] == []
    # Single use.
    again = await people.graphql(
        RESET,
        {
            "input": {
                "token": token,
                "password": "third phrase here",
                "passwordConfirmation": "third phrase here",
            }
        },
        principal=anonymous("visma-inschool"),
    )
    assert again["resetPassword"]["userErrors"][0]["code"] == "INVALID_TOKEN"


async def test_unknown_addresses_get_the_same_answer_and_no_mail(people, mailbox):
    jm = await seed_tenant(people, "jm")
    await add_user(people, jm, "known", email="known@example.com")
    answers = []
    for address in ("known@example.com", "unknown@example.com", "not an address"):
        data = await people.graphql(
            REQUEST, {"input": {"email": address}}, principal=anonymous("jm")
        )
        answers.append(data["requestPasswordReset"])
    assert answers == [{"ok": True, "userErrors": []}] * 3
    await mailbox.wait_for("known@example.com")
    other_tenant = await people.graphql(
        REQUEST, {"input": {"email": "known@example.com"}}, principal=anonymous("other")
    )
    assert other_tenant["requestPasswordReset"] == answers[0]
    assert [m["To"] for m in mailbox.messages] == ["known@example.com"]


async def test_an_expired_reset_link_is_refused_and_changes_nothing(people, mailbox):
    jm = await seed_tenant(people, "jm")
    await add_user(people, jm, "slow", email="slow@example.com", locale="en")
    await people.graphql(
        REQUEST, {"input": {"email": "slow@example.com"}}, principal=anonymous("jm")
    )
    mail = await mailbox.wait_for("slow@example.com")
    assert mail["Subject"] == "New password for JM"
    services = people.app.state.services
    later = services.clock() + timedelta(hours=2)
    services.clock = lambda: later
    expired = await people.graphql(
        RESET,
        {
            "input": {
                "token": token_in(mail),
                "password": "never applied phrase",
                "passwordConfirmation": "never applied phrase",
            }
        },
        principal=anonymous("jm"),
    )
    assert expired["resetPassword"]["userErrors"] == [
        {
            "field": "token",
            "code": "INVALID_TOKEN",
            "message": "this link is used, expired or unknown; ask for a new one",
        }
    ]
    assert (await log_in(people, "jm", "slow"))["userErrors"] == []
