"""Access tokens: verified against the issuer's JWKS, turned into the principal subgraphs see."""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from portal_gateway.authentication import preferred_locale, principal_from_claims
from portal_gateway.errors import AuthenticationFailed
from portal_kit.principal import HEADER, Membership, Principal, PrincipalVerifier
from portal_kit.testing.nats_server import free_port

QUERY = {"query": "{ ok }"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def seen_principal(recorder, principal_keys) -> Principal:
    return PrincipalVerifier(principal_keys[1]).verify(recorder.last_headers[HEADER.lower()])


async def test_a_valid_token_becomes_the_signed_principal(
    issuer, recorder, start_gateway, principal_keys
):
    upstream, url = recorder
    token = issuer.token(
        user="u-42",
        tenant="jm",
        memberships=[{"organisation": "org-1", "roles": ["admin", "user"]}],
        staff=True,
        scopes=["orders:read"],
        locale="nb",
    )
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        response = await gateway.post("/graphql", json=QUERY, headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"data": {"ok": True}}
    assert seen_principal(upstream, principal_keys) == Principal(
        user="u-42",
        tenant="jm",
        memberships=(Membership(organisation="org-1", roles=("admin", "user")),),
        staff=True,
        scopes=("orders:read",),
        locale="nb",
    )
    assert "authorization" not in upstream.last_headers


async def test_anonymous_principal_takes_tenant_and_language_from_headers(
    issuer, recorder, start_gateway, principal_keys
):
    upstream, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        await gateway.post(
            "/graphql",
            json=QUERY,
            headers={"X-Portal-Tenant": "fb", "Accept-Language": "de-DE, sv;q=0.8"},
        )
    assert seen_principal(upstream, principal_keys) == Principal.anonymous("fb", "sv")
    assert issuer.fetches == 0  # anonymous calls never need the keys


@pytest.mark.parametrize(
    ("make_token", "message"),
    [
        (lambda issuer: issuer.token(expires_in=-60), "token expired"),
        (lambda issuer: issuer.token(key=Ed25519PrivateKey.generate()), "invalid token"),
        (lambda issuer: issuer.token(aud="someone-else"), "invalid token"),
        (lambda issuer: issuer.token(iss="someone-else"), "invalid token"),
        (lambda issuer: issuer.token(tenant="Not A Tenant"), "token claims are malformed"),
        (lambda issuer: issuer.token(memberships=[{"roles": ["x"]}]), "token claims are malformed"),
        (
            lambda issuer: jwt.encode(
                {
                    "sub": "u",
                    "aud": "portal",
                    "iss": "portal-people",
                    "tenant": "jm",
                    "exp": int(time.time()) + 60,
                },
                "a-shared-secret-of-reasonable-length!",
                algorithm="HS256",
                headers={"kid": issuer.current},
            ),
            "invalid token",
        ),
        (lambda issuer: "not.a.token", "invalid token"),
        (
            lambda issuer: issuer.token(expires_in=3600),
            "token lifetime exceeds the issuer's maximum",
        ),
    ],
    ids=[
        "expired",
        "other-key",
        "audience",
        "issuer",
        "tenant",
        "membership",
        "hs256",
        "garbage",
        "too-long-lived",
    ],
)
async def test_a_bad_token_is_401_unauthenticated(
    issuer, recorder, start_gateway, graphql_error, make_token, message
):
    upstream, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        response = await gateway.post("/graphql", json=QUERY, headers=bearer(make_token(issuer)))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert graphql_error(response) == ("UNAUTHENTICATED", message)
    assert upstream.requests == []


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwdw==", "Bearer", "Token abc"])
async def test_other_authorization_schemes_are_401(
    issuer, recorder, start_gateway, graphql_error, authorization
):
    _, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        response = await gateway.post(
            "/graphql", json=QUERY, headers={"Authorization": authorization}
        )
    assert response.status_code == 401
    assert graphql_error(response)[0] == "UNAUTHENTICATED"


async def test_keys_are_cached_and_a_new_key_id_refetches_once(issuer, recorder, start_gateway):
    _, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        for _ in range(3):
            response = await gateway.post("/graphql", json=QUERY, headers=bearer(issuer.token()))
            assert response.status_code == 200
        assert issuer.fetches == 1

        issuer.rotate()  # the issuer starts signing with a key the gateway has not seen
        response = await gateway.post("/graphql", json=QUERY, headers=bearer(issuer.token()))
        assert response.status_code == 200
        assert issuer.fetches == 2

        response = await gateway.post("/graphql", json=QUERY, headers=bearer(issuer.token()))
        assert response.status_code == 200
        assert issuer.fetches == 2


async def test_an_unknown_key_id_refetches_exactly_once_then_fails(
    issuer, recorder, start_gateway, graphql_error
):
    _, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        await gateway.post("/graphql", json=QUERY, headers=bearer(issuer.token()))
        assert issuer.fetches == 1
        stranger = Ed25519PrivateKey.generate()
        token = issuer.token(kid="no-such-key", key=stranger)
        response = await gateway.post("/graphql", json=QUERY, headers=bearer(token))
        assert response.status_code == 401
        assert graphql_error(response) == ("UNAUTHENTICATED", "token signed with an unknown key")
        assert issuer.fetches == 2


async def test_concurrent_unknown_key_ids_share_one_refetch(issuer, recorder, start_gateway):
    _, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        await gateway.post("/graphql", json=QUERY, headers=bearer(issuer.token()))
        issuer.rotate()
        token = issuer.token()
        responses = await asyncio.gather(
            *(gateway.post("/graphql", json=QUERY, headers=bearer(token)) for _ in range(10))
        )
    assert {r.status_code for r in responses} == {200}
    assert issuer.fetches == 2


async def test_unknown_key_ids_cannot_flood_the_issuer(issuer, recorder, start_gateway):
    _, url = recorder
    async with start_gateway(
        people_url=url, jwks_url=issuer.url, jwks_min_refetch_seconds=60
    ) as gateway:
        await gateway.post("/graphql", json=QUERY, headers=bearer(issuer.token()))
        for n in range(5):
            token = issuer.token(kid=f"made-up-{n}", key=Ed25519PrivateKey.generate())
            response = await gateway.post("/graphql", json=QUERY, headers=bearer(token))
            assert response.status_code == 401
    assert issuer.fetches == 1


async def test_unreachable_keys_answer_502_not_401(issuer, recorder, start_gateway, graphql_error):
    _, url = recorder
    nowhere = f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"
    async with start_gateway(people_url=url, jwks_url=nowhere) as gateway:
        response = await gateway.post("/graphql", json=QUERY, headers=bearer(issuer.token()))
    assert response.status_code == 502
    assert graphql_error(response)[0] == "SUBGRAPH_UNAVAILABLE"


def test_claims_map_onto_the_principal():
    principal = principal_from_claims(
        {
            "sub": "u1",
            "tenant": "jm",
            "memberships": [{"organisation": "o1", "roles": ["user"], "name": "ignored"}],
            "scope": "a:read b:write",
            "locale": "sv-SE",
        }
    )
    assert principal == Principal(
        user="u1",
        tenant="jm",
        memberships=(Membership(organisation="o1", roles=("user",)),),
        scopes=("a:read", "b:write"),
        locale="sv",
    )
    with pytest.raises(AuthenticationFailed):
        principal_from_claims({"sub": "u1", "tenant": "jm", "memberships": "o1"})
    with pytest.raises(AuthenticationFailed):
        principal_from_claims({"sub": "", "tenant": "jm"})


async def test_the_chosen_organisation_of_the_token_is_the_principals_active_organisation(
    issuer, recorder, start_gateway, principal_keys
):
    upstream, url = recorder
    both = [
        {"organisation": "bpo", "roles": ["user"]},
        {"organisation": "kunde-b", "roles": ["user"]},
    ]
    chosen = issuer.token(user="patrick", tenant="visma-enterprise", memberships=both, org="bpo")
    not_chosen = issuer.token(user="patrick", tenant="visma-enterprise", memberships=both)
    outside = issuer.token(user="patrick", tenant="visma-enterprise", memberships=both, org="x")
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        await gateway.post("/graphql", json=QUERY, headers=bearer(chosen))
        assert seen_principal(upstream, principal_keys).active_organisation == "bpo"
        await gateway.post("/graphql", json=QUERY, headers=bearer(not_chosen))
        assert seen_principal(upstream, principal_keys).active_organisation is None
        refused = await gateway.post("/graphql", json=QUERY, headers=bearer(outside))
    assert refused.status_code == 401
    assert len(upstream.requests) == 2


def test_an_org_claim_outside_the_memberships_or_not_a_name_is_malformed():
    for org in ("kunde-b", 7, ""):
        with pytest.raises(AuthenticationFailed):
            principal_from_claims(
                {
                    "sub": "u1",
                    "tenant": "visma-enterprise",
                    "memberships": [{"organisation": "bpo", "roles": ["user"]}],
                    "org": org,
                }
            )


def test_preferred_locale():
    assert preferred_locale(None) == "en"
    assert preferred_locale("fi-FI,fi;q=0.9") == "fi"
    assert preferred_locale("de, fr") == "en"
    assert preferred_locale("nb-NO") == "nb"
