"""The gateway's own answers in the caller's language (its catalogue `portal_gateway`): a missing
tenant and a bad token in the language of Accept-Language, a limit and a pending first login in
the principal's (the token's locale wins over Accept-Language); `extensions.code` is the same in
every language. Every gateway refusal is marked and translated in nb, sv, da and fi."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_gateway.errors import GatewayError
from portal_gateway.limits import LimitExceeded
from portal_kit.principal import FIRST_LOGIN_SCOPE
from portal_kit.testing.catalogues import missing_translations, unmarked_messages


def test_every_gateway_message_exists_in_every_locale() -> None:
    assert unmarked_messages("portal_gateway", (GatewayError, LimitExceeded)) == []
    assert missing_translations("portal_gateway") == []


@pytest.fixture
async def gateway(people: str, issuer: Any, start_gateway: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with start_gateway(people_url=people, jwks_url=issuer.url) as client:
        yield client


def error_of(response: httpx.Response) -> tuple[str, str]:
    body = response.json()
    (error, *_rest) = body["errors"]
    return error["extensions"]["code"], error["message"]


async def test_a_request_without_tenant_or_with_a_bad_token_reads_in_accept_language(gateway):
    for language, expected in (
        ("sv-SE,sv;q=0.9,en;q=0.5", "ingen klient: skicka ett X-Portal-Tenant-huvud"),
        ("da", "ingen lejer: send en X-Portal-Tenant-header"),
        ("de-DE", "no tenant: send an X-Portal-Tenant header"),  # none offered: English
    ):
        response = await gateway.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"Accept-Language": language}
        )
        assert response.status_code == 400
        code, message = error_of(response)
        assert code == "TENANT_REQUIRED" and message.startswith(expected), message

    refused = await gateway.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": "Bearer not-a-token", "Accept-Language": "nb"},
    )
    assert refused.status_code == 401
    assert error_of(refused) == ("UNAUTHENTICATED", "ugyldig token")


async def test_a_limit_and_a_pending_first_login_read_in_the_principals_language(gateway, issuer):
    danish = issuer.token(user="karen", tenant="visma-enterprise", locale="da")
    aliases = " ".join(f"a{n}: __typename" for n in range(31))
    response = await gateway.post(
        "/graphql",
        json={"query": f"{{ {aliases} }}"},
        headers={"Authorization": f"Bearer {danish}", "Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert error_of(response) == (
        "TOO_MANY_ALIASES",
        "forespørgslen bruger 31 aliasser; højst 30 er tilladt",
    )

    pending = issuer.token(
        user="1999/88888", tenant="familjebostader", scopes=[FIRST_LOGIN_SCOPE], locale="fi"
    )
    body = (
        await gateway.post(
            "/graphql",
            json={"query": "{ orders { totalCount } }"},
            headers={"Authorization": f"Bearer {pending}", "Accept-Language": "sv"},
        )
    ).json()
    assert body["data"] == {"orders": None}
    assert [(e["path"], e["extensions"]["code"], e["message"]) for e in body["errors"]] == [
        (["orders"], "FIRST_LOGIN_REQUIRED", "viimeistele ensimmäinen kirjautuminen ensin")
    ]
