"""What an attacker found at the public door (issue 10): deep variables, persisted queries
stored before they were parsed, fragment graphs that double per level. Each is refused with its
own code before any subgraph is called, and a concurrent /healthz is answered meanwhile."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
import pytest
from portal_gateway.revocations import Revocations
from portal_people.testing import add_user, seed_tenant

TENANT = {"X-Portal-Tenant": "jm"}
QUERY = "query($u: String!) { product(upc: $u) { name } }"


async def post(client: httpx.AsyncClient, body: Any, **headers: str) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={**TENANT, **headers})


def nested(levels: int) -> Any:
    value: Any = "x"
    for level in range(levels):
        value = {"a": value} if level % 2 else [value]
    return value


def code_of(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


# -- 3. deep and large variables ------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"u": "p1", "deep": nested(300)}, "VARIABLES_TOO_DEEP"),
        ({"u": "p1", "deep": nested(254)}, "VARIABLES_TOO_DEEP"),
        ({"u": "p1", "deep": nested(32)}, "VARIABLES_TOO_DEEP"),
        ({"u": "p1", "many": list(range(20_000))}, "VARIABLES_TOO_LARGE"),
    ],
    ids=["300-levels", "254-levels", "just-past-the-limit", "20000-values"],
)
async def test_deep_or_large_variables_get_a_coded_400_before_anything_else(
    fixture_gateway, variables, code
):
    async with fixture_gateway() as (client, subgraphs):
        anonymous = await post(client, {"query": QUERY, "variables": variables})
        # Refused before the token is even looked at.
        bad_token = await post(
            client, {"query": QUERY, "variables": variables}, authorization="Bearer nonsense"
        )
    for response in (anonymous, bad_token):
        assert response.status_code == 400, response.text
        assert code_of(response) == code
    assert all(not r.bodies for r in subgraphs.values())


async def test_variables_within_the_limits_pass(fixture_gateway):
    async with fixture_gateway() as (client, _):
        response = await post(
            client, {"query": QUERY, "variables": {"u": "p1", "extra": nested(30)}}
        )
    assert response.json() == {"data": {"product": {"name": "Table"}}}


# -- 1. fragment graphs -------------------------------------------------------------------


def doubling_fragments(levels: int) -> str:
    """Each fragment spreads the next twice: 2**levels fields once expanded, ~80 bytes a level."""
    fragments = [f"fragment F{i} on Product {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Product {{ name }}")
    return '{ product(upc: "p1") { ...F0 } } ' + " ".join(fragments)


async def test_a_fragment_graph_is_refused_while_a_concurrent_healthz_is_answered(
    fixture_gateway,
):
    query = doubling_fragments(21)
    assert len(query) < 2_000
    async with fixture_gateway() as (client, subgraphs):
        attack = asyncio.gather(*(post(client, {"query": query}) for _ in range(5)))
        health = await client.get("/healthz")
        refused = await attack
    assert health.status_code == 200
    for response in refused:
        assert response.status_code == 400
        assert code_of(response) == "QUERY_TOO_LARGE"
    assert all(not r.bodies for r in subgraphs.values())


async def test_fragments_reused_within_the_budget_are_answered(fixture_gateway):
    query = doubling_fragments(6)  # 64 fields once expanded
    async with fixture_gateway() as (client, _):
        response = await post(client, {"query": query})
    assert response.json() == {"data": {"product": {"name": "Table"}}}
    async with fixture_gateway(max_fields=20) as (client, _):
        small_budget = await post(client, {"query": query})
    assert code_of(small_budget) == "QUERY_TOO_LARGE"


async def test_a_large_document_is_worked_through_off_the_event_loop(fixture_gateway):
    # As many tokens as the limit allows: graphql-core takes a while to validate it, in a worker
    # thread, so /healthz, asked after it was sent, is answered before it.
    query = '{ product(upc: "p1") { ' + "... on Product { name } " * 1_600 + "} }"
    finished: list[str] = []

    async def big() -> httpx.Response:
        response = await post(client, {"query": query})
        finished.append("big")
        return response

    async def health() -> httpx.Response:
        await asyncio.sleep(0)  # sent after the big one
        response = await client.get("/healthz")
        finished.append("healthz")
        return response

    async with fixture_gateway(max_query_tokens=10_000) as (client, _):
        big_answer, health_answer = await asyncio.gather(big(), health())
    assert health_answer.status_code == 200
    assert big_answer.status_code in (200, 400)  # answered, whichever its verdict
    assert finished[0] == "healthz"


# -- 2. persisted queries -----------------------------------------------------------------


def persisted(query: str | None, digest: str | None = None) -> dict[str, Any]:
    digest = digest or hashlib.sha256((query or "").encode()).hexdigest()
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    if query is not None:
        body["query"] = query
    return body


async def test_unparsable_or_over_the_limit_persisted_queries_are_never_stored(fixture_gateway):
    garbage = [f"{{ product(upc: {n}) {{ " + "x" * 900_000 for n in range(20)]
    too_large = doubling_fragments(21)
    async with fixture_gateway() as (client, subgraphs):
        registering = asyncio.gather(*(post(client, persisted(q)) for q in garbage))
        health = await client.get("/healthz")
        refused = await registering
        over = await post(client, persisted(too_large))
        lookups = [await post(client, persisted(None, _digest(q))) for q in [*garbage, too_large]]
    assert health.status_code == 200
    assert {code_of(r) for r in refused} == {"GRAPHQL_PARSE_FAILED"}
    assert code_of(over) == "QUERY_TOO_LARGE"
    assert {code_of(r) for r in lookups} == {"PERSISTED_QUERY_NOT_FOUND"}
    assert all(not r.bodies for r in subgraphs.values())


async def test_the_persisted_query_store_is_bounded_by_bytes(fixture_gateway):
    queries = [f'{{ product(upc: "p{n}") {{ name }} }}' for n in range(1, 4)]
    size = len(queries[0].encode())
    async with fixture_gateway(persisted_query_bytes=2 * size) as (client, _):
        for query in queries:
            assert "errors" not in (await post(client, persisted(query))).json()
        found = [await post(client, persisted(None, _digest(q))) for q in queries]
    assert code_of(found[0]) == "PERSISTED_QUERY_NOT_FOUND"  # the least recently used went
    assert found[1].json() == {"data": {"product": {"name": "Chair"}}}
    assert "errors" not in found[2].json()


async def test_operators_can_turn_anonymous_registration_off(fixture_gateway):
    query = '{ product(upc: "p1") { name } }'
    async with fixture_gateway(persisted_queries_anonymous=False) as (client, _):
        anonymous = await post(client, persisted(query))
        after_anonymous = await post(client, persisted(None, _digest(query)))
        token = client.issuer.token()  # type: ignore[attr-defined]
        signed_in = await post(client, persisted(query), authorization=f"Bearer {token}")
        after_signed_in = await post(client, persisted(None, _digest(query)))
    answer = {"data": {"product": {"name": "Table"}}}
    assert anonymous.json() == answer  # answered, not stored
    assert code_of(after_anonymous) == "PERSISTED_QUERY_NOT_FOUND"
    assert signed_in.json() == after_signed_in.json() == answer


def _digest(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


# -- 7. the tenant configuration ----------------------------------------------------------

CONFIGURATION = {
    "country": "NO",
    "locales": ["nb", "en"],
    "default_locale": "nb",
    "time_zone": "Europe/Oslo",
    "roles": ["admin", "user", "billing", "secret-role"],
    "password_policy": {"min_length": 12, "max_length": 64, "forbid_personal_data": True},
    "host_names": ["internal.jm.example"],
}


async def test_anonymous_callers_read_only_the_public_part_of_the_tenant_configuration(
    people, issuer, start_gateway
):
    admin = issuer.token(user="root", tenant="platform", scopes=["platform:admin"])
    create = """mutation($input: CreateTenantInput!) {
      createTenant(input: $input) { tenant { id } userErrors { code } } }"""
    query = {"query": "{ tenants { name locales configuration } }"}
    async with start_gateway(people_url=people, jwks_url=issuer.url) as gateway:
        created = await gateway.post(
            "/graphql",
            json={
                "query": create,
                "variables": {"input": {"id": "jm", "name": "JM", "configuration": CONFIGURATION}},
            },
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert created.json()["data"]["createTenant"]["userErrors"] == []
        anonymous = await post(gateway, query)
        member = issuer.token(user="u-1", tenant="jm", memberships=[])
        as_member = await post(gateway, query, authorization=f"Bearer {member}")
        staff = issuer.token(user="s-1", tenant="jm", staff=True)
        as_staff = await post(gateway, query, authorization=f"Bearer {staff}")
    public = {
        "locales": ["nb", "en"],
        "default_locale": "nb",
        "password_policy": {"min_length": 12, "max_length": 64, "forbid_personal_data": True},
    }
    expected = {"name": "JM", "locales": ["nb", "en"], "configuration": public}
    assert anonymous.json() == {"data": {"tenants": [expected]}}
    assert as_member.json() == {"data": {"tenants": [expected]}}
    assert as_staff.json()["data"]["tenants"][0]["configuration"] == CONFIGURATION


# -- 4. the proxy setting -----------------------------------------------------------------


@pytest.mark.parametrize(("proxies", "warned"), [("*", True), ("10.0.0.1, 10.0.0.2", False)])
async def test_trusting_every_proxy_is_warned_about_at_start_up(
    start_gateway, caplog, proxies, warned
):
    caplog.set_level("WARNING", logger="portal.gateway")
    async with start_gateway(trusted_proxies=proxies) as gateway:
        assert (await gateway.get("/healthz")).status_code == 200
    said = [r.getMessage() for r in caplog.records if "PORTAL_TRUSTED_PROXIES" in r.getMessage()]
    assert bool(said) is warned


# -- 6. revoked tokens --------------------------------------------------------------------

GATEWAY_LOG_IN = """mutation($input: LogInInput!) {
  logIn(input: $input) { accessToken refreshToken userErrors { code } } }"""
GATEWAY_LOG_OUT = """mutation($input: RefreshSessionInput!) { logOut(input: $input) { ok } }"""
CHANGE_USER = """mutation($input: ChangeUserInput!) {
  changeUser(input: $input) { user { id } userErrors { code } } }"""


async def _log_in(gateway: httpx.AsyncClient, login: str) -> dict[str, Any]:
    response = await post(
        gateway,
        {
            "query": GATEWAY_LOG_IN,
            "variables": {"input": {"login": login, "password": "a long secret phrase"}},
        },
    )
    session: dict[str, Any] = response.json()["data"]["logIn"]
    assert session["userErrors"] == [], session
    return session


async def _me(gateway: httpx.AsyncClient, token: str) -> httpx.Response:
    return await gateway.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
    )


async def _refused_within_seconds(gateway: httpx.AsyncClient, token: str) -> httpx.Response:
    for _ in range(100):  # 10 s at most
        response = await _me(gateway, token)
        if response.status_code == 401:
            return response
        await asyncio.sleep(0.1)
    raise AssertionError("the revoked token still works")


@pytest.fixture
async def people_gateway(people_service, start_gateway):
    service, url = people_service
    settings = service.runtime.settings
    async with start_gateway(
        people_url=f"{url}/graphql",
        jwks_url=f"{url}/.well-known/jwks.json",
        nats_url=settings.nats_url,
        event_prefix=settings.event_prefix,
    ) as gateway:
        yield service, gateway


async def test_a_deactivated_users_token_stops_working_within_seconds(people_gateway):
    service, gateway = people_gateway
    jm = await seed_tenant(service, "jm")
    user = await add_user(service, jm, "ola")
    await add_user(service, jm, "kari")
    ola, kari = await _log_in(gateway, "ola"), await _log_in(gateway, "kari")
    assert (await _me(gateway, ola["accessToken"])).json() == {"data": {"me": {"id": user["id"]}}}

    changed = await service.graphql(
        CHANGE_USER,
        {"input": {"id": user["id"], "version": user["version"], "active": False}},
        principal=jm.staff,
    )
    assert changed["changeUser"]["userErrors"] == []

    refused = await _refused_within_seconds(gateway, ola["accessToken"])
    assert refused.json()["errors"][0]["message"] == "token revoked"
    assert (await _me(gateway, kari["accessToken"])).status_code == 200  # others unaffected


async def test_a_logged_out_session_stops_working_within_seconds_and_a_new_one_works(
    people_gateway,
):
    service, gateway = people_gateway
    jm = await seed_tenant(service, "jm")
    await add_user(service, jm, "ola")
    first, second = await _log_in(gateway, "ola"), await _log_in(gateway, "ola")
    out = await post(
        gateway,
        {"query": GATEWAY_LOG_OUT, "variables": {"input": {"refreshToken": first["refreshToken"]}}},
    )
    assert out.json() == {"data": {"logOut": {"ok": True}}}

    await _refused_within_seconds(gateway, first["accessToken"])
    # Only that session ended: the other login of the same user, and a new one, work.
    assert (await _me(gateway, second["accessToken"])).status_code == 200
    third = await _log_in(gateway, "ola")
    assert (await _me(gateway, third["accessToken"])).status_code == 200


def test_revocations_follow_peoples_events():
    revocations = Revocations(horizon_seconds=960)
    at = "2026-12-02T10:00:00.500000+00:00"
    before, after = 1_796_205_600.4, 1_796_205_600.6  # just before and after the event
    for kind, data in (
        ("portal.people.user.password_changed", {"user_id": "u1"}),
        ("portal.people.user.password_reset", {"user_id": "u2"}),
        ("portal.people.user.updated", {"user_id": "u3", "changed": ["active"], "active": False}),
        ("portal.people.user.updated", {"user_id": "u4", "changed": ["name"], "active": True}),
        ("portal.people.session.ended", {"user_id": "u5", "session_id": "s1"}),
    ):
        revocations.apply({"type": kind, "tenant": "jm", "time": at, "data": data})
    for user in ("u1", "u2", "u3"):
        assert revocations.revoked("jm", user, None, before)
        assert not revocations.revoked("jm", user, None, after)
        assert not revocations.revoked("fb", user, None, before)  # tenant by tenant
    assert not revocations.revoked("jm", "u4", None, before)
    assert revocations.revoked("jm", "u5", "s1", after)
    assert not revocations.revoked("jm", "u5", "s2", before)


# -- 8. safe retries ------------------------------------------------------------------------

CREATE_ORDER = """mutation($input: CreateOrderInput!) {
  createOrder(input: $input) { order { id number } userErrors { code } } }"""
ORDER_COUNT = "{ orders { totalCount } }"


@pytest.fixture
async def orders_gateway(people, settings_for, issuer, start_gateway):
    from portal_gateway.testing.serving import serving
    from portal_orders.app import create_app as create_orders_app
    from portal_orders.settings import OrdersSettings
    from portal_orders.testing import know_organisations

    app = create_orders_app(settings_for(OrdersSettings))
    async with serving(app) as url:
        await know_organisations(app)
        async with start_gateway(
            people_url=people, orders_url=f"{url}/graphql", jwks_url=issuer.url
        ) as gateway:
            yield gateway


async def test_a_retried_mutation_with_the_same_idempotency_key_acts_once(orders_gateway, issuer):
    gateway = orders_gateway
    staff = {"Authorization": f"Bearer {issuer.token(user='s-1', tenant='jm', staff=True)}"}
    order = {
        "orderType": "billable",
        "description": "Lekker kran",
        "customerOrganisationId": "jm-housing",
    }

    async def create(key: str | None, input_: dict[str, Any] = order) -> httpx.Response:
        headers = {**staff, **({"Idempotency-Key": key} if key else {})}
        payload = {"query": CREATE_ORDER, "variables": {"input": input_}}
        return await gateway.post("/graphql", json=payload, headers=headers)

    first = await create("retry-1")
    again = await create("retry-1")  # the client never saw the first answer: it retries
    assert first.json() == again.json()
    assert first.json()["data"]["createOrder"]["userErrors"] == []
    # Retries in flight together act once too: they wait for the first outcome.
    together = await asyncio.gather(*(create("retry-2") for _ in range(4)))
    assert len({r.json()["data"]["createOrder"]["order"]["id"] for r in together}) == 1
    # Without a key, or with another key, the same request acts again.
    other = await create(None)
    assert (
        other.json()["data"]["createOrder"]["order"]["id"]
        != first.json()["data"]["createOrder"]["order"]["id"]
    )
    count = await gateway.post("/graphql", json={"query": ORDER_COUNT}, headers=staff)
    assert count.json()["data"]["orders"]["totalCount"] == 3
    # Another request under a used key is refused, and acts not at all.
    reused = await create("retry-1", {**order, "description": "Noe annet"})
    assert reused.json()["data"] is None
    assert reused.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    count = await gateway.post("/graphql", json={"query": ORDER_COUNT}, headers=staff)
    assert count.json()["data"]["orders"]["totalCount"] == 3


async def test_readiness_says_when_the_revocation_feed_is_away(recorder, issuer, start_gateway):
    from portal_kit.testing.nats_server import free_port

    _, url = recorder  # stands in for every subgraph, and is ready
    nowhere = f"nats://127.0.0.1:{free_port()}"
    urls = {f"{name}_url": url for name in ("people", "orders", "tickets", "billing")}
    async with start_gateway(jwks_url=issuer.url, nats_url=nowhere, **urls) as gateway:
        ready = await gateway.get("/readyz")
    assert ready.status_code == 200  # it serves on; revoked tokens live until they expire
    assert ready.json()["status"] == "degraded"
    assert "revocations" in ready.json()["degraded"]
