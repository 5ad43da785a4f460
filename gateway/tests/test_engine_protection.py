"""Request-level policy, limits, bad input, persisted queries, introspection, faults of
subgraphs, metrics: the gateway over the fixture subgraphs."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

TENANT = {"X-Portal-Tenant": "jm"}


async def post(client: httpx.AsyncClient, body: Any, **headers: str) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={**TENANT, **headers})


def bearer(client: httpx.AsyncClient, **claims: Any) -> dict[str, str]:
    token = client.issuer.token(**claims)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


def codes(body: dict[str, Any]) -> list[tuple[Any, str]]:
    return [(e.get("path"), e["extensions"]["code"]) for e in body["errors"]]


# -- request-level policy ----------------------------------------------------------------


async def test_a_field_behind_a_policy_is_null_with_an_error_and_the_rest_arrives(
    fixture_gateway,
):
    query = {"query": '{ product(upc: "p1") { name staffNote } warehouseCount }'}
    async with fixture_gateway() as (client, subgraphs):
        refused = await client.post("/graphql", json=query, headers=bearer(client, staff=False))
        assert subgraphs["inventory"].entity_calls == []  # removed before planning
        allowed = await client.post("/graphql", json=query, headers=bearer(client, staff=True))
    assert refused.status_code == 200
    assert refused.json() == {
        "data": {"product": {"name": "Table", "staffNote": None}, "warehouseCount": 3},
        "errors": [
            {
                "message": "Product.staffNote is not allowed by policy",
                "path": ["product", "staffNote"],
                "extensions": {"code": "FORBIDDEN"},
            }
        ],
    }
    assert allowed.json() == {
        "data": {"product": {"name": "Table", "staffNote": "note on p1"}, "warehouseCount": 3}
    }


async def test_requires_scopes_on_a_non_null_field_nulls_its_nullable_parent(fixture_gateway):
    query = {"query": '{ product(upc: "p2") { name secret } me { name } }'}
    async with fixture_gateway() as (client, _):
        refused = await client.post("/graphql", json=query, headers=bearer(client))
        allowed = await client.post(
            "/graphql", json=query, headers=bearer(client, scopes=["products:secret"])
        )
    assert refused.json()["data"] == {"product": None, "me": {"name": "Ada Lovelace"}}
    assert codes(refused.json()) == [(["product", "secret"], "FORBIDDEN")]
    assert allowed.json() == {
        "data": {
            "product": {"name": "Chair", "secret": "secret of p2"},
            "me": {"name": "Ada Lovelace"},
        }
    }


async def test_authenticated_fields_are_refused_to_anonymous_callers(fixture_gateway):
    query = {"query": "{ me { name email } }"}
    async with fixture_gateway() as (client, _):
        anonymous = await post(client, query)
        signed_in = await client.post("/graphql", json=query, headers=bearer(client))
    assert anonymous.json()["data"] == {"me": {"name": "Ada Lovelace", "email": None}}
    assert codes(anonymous.json()) == [(["me", "email"], "UNAUTHENTICATED")]
    assert signed_in.json() == {
        "data": {"me": {"name": "Ada Lovelace", "email": "ada@example.com"}}
    }


# -- limits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ reviews { author { reviews { author { name } } } } }", "QUERY_TOO_DEEP"),
        ("{ a: me { id } b: me { id } c: me { id } }", "TOO_MANY_ALIASES"),
        ("{ me { id } reviews { id } warehouseCount named { name } }", "TOO_MANY_ROOT_FIELDS"),
        ("{ topProducts(first: 500) { reviews { author { name } } } }", "QUERY_TOO_COSTLY"),
        ("{ me { " + "id " * 300 + "} }", "GRAPHQL_PARSE_FAILED"),
    ],
    ids=["depth", "aliases", "root-fields", "cost", "tokens"],
)
async def test_limits_refuse_with_a_clear_error_before_any_fetch(fixture_gateway, query, code):
    async with fixture_gateway(
        max_depth=4, max_aliases=2, max_root_fields=3, max_cost=1000, max_query_tokens=200
    ) as (client, subgraphs):
        response = await post(client, {"query": query})
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["errors"]
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["errors"][0]["message"]
    assert all(not r.bodies for r in subgraphs.values())


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ me { name "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ me { nope } }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "query A { me { id } }", "operationName": "B"}, "OPERATION_NOT_FOUND"),
        ({"query": "query A { me { id } } query B { me { id } }"}, "OPERATION_NAME_REQUIRED"),
        (
            {"query": "query($u: String!) { product(upc: $u) { name } }", "variables": {"u": 1}},
            "BAD_USER_INPUT",
        ),
        ({"query": "query($u: String!) { product(upc: $u) { name } }"}, "BAD_USER_INPUT"),
        ({"query": "subscription { me { id } }"}, "GRAPHQL_VALIDATION_FAILED"),
    ],
    ids=[
        "syntax",
        "unknown-field",
        "unknown-operation",
        "no-name",
        "var-type",
        "var-missing",
        "sub",
    ],
)
async def test_bad_documents_answer_400_with_a_graphql_error(fixture_gateway, body, code):
    async with fixture_gateway() as (client, subgraphs):
        response = await post(client, body)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == code
    assert all(not r.bodies for r in subgraphs.values())


async def test_mutations_are_refused_over_get(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        response = await client.get(
            "/graphql", params={"query": 'mutation { addReview(body: "x") }'}, headers=TENANT
        )
        query = await client.get("/graphql", params={"query": "{ me { id } }"}, headers=TENANT)
    assert response.status_code == 405
    assert query.json() == {"data": {"me": {"id": "u1"}}}
    assert subgraphs["reviews"].bodies == []


# -- persisted queries, introspection ------------------------------------------------------


async def test_automatic_persisted_queries(fixture_gateway):
    query = "{ me { name } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extension = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    async with fixture_gateway() as (client, _):
        unknown = await post(client, {"extensions": extension})
        registered = await post(client, {"query": query, "extensions": extension})
        by_hash = await post(client, {"extensions": extension})
        wrong = await post(
            client,
            {"query": "{ me { id } }", "extensions": extension},
        )
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert registered.json() == by_hash.json() == {"data": {"me": {"name": "Ada Lovelace"}}}
    assert wrong.status_code == 400


@pytest.mark.parametrize("dev_mode", [True, False])
async def test_introspection_only_in_dev_mode(fixture_gateway, dev_mode):
    async with fixture_gateway(dev_mode=dev_mode) as (client, _):
        response = await post(client, {"query": "{ __schema { queryType { name } } }"})
    if dev_mode:
        assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    else:
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"


async def test_the_api_schema_has_no_federation_internals(fixture_gateway):
    async with fixture_gateway(dev_mode=True) as (client, _):
        response = await post(client, {"query": "{ __schema { types { name } } }"})
    names = {t["name"] for t in response.json()["data"]["__schema"]["types"]}
    assert {"Product", "User", "Review", "SearchResult", "Named"} <= names
    assert not {n for n in names if n.startswith(("join__", "link__", "_"))} - {
        n for n in names if n.startswith("__")
    }


# -- subgraph faults -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["slow", "garbage", "fail"])
async def test_a_bad_subgraph_gives_partial_data_with_errors_at_its_paths(fixture_gateway, mode):
    async with fixture_gateway(upstream_timeout_seconds=0.3) as (client, subgraphs):
        subgraphs["inventory"].mode = mode
        response = await post(client, {"query": "{ topProducts(first: 2) { name inStock } }"})
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "topProducts": [{"name": "Table", "inStock": None}, {"name": "Chair", "inStock": None}]
        },
        "errors": [
            {
                "message": "inventory service unavailable",
                "path": ["topProducts", i, "inStock"],
                "extensions": {"code": "SUBGRAPH_UNAVAILABLE"},
            }
            for i in (0, 1)
        ],
    }


async def test_the_circuit_answers_fast_while_a_subgraph_is_down(fixture_gateway):
    query = {"query": '{ product(upc: "p1") { name inStock } }'}
    async with fixture_gateway(circuit_failures=2, circuit_reset_seconds=60) as (
        client,
        subgraphs,
    ):
        subgraphs["inventory"].mode = "fail"
        answers = [(await post(client, query)).json() for _ in range(4)]
        assert len(subgraphs["inventory"].bodies) == 2  # then the circuit is open
    for answer in answers:
        assert answer["data"] == {"product": {"name": "Table", "inStock": None}}
        assert codes(answer) == [(["product", "inStock"], "SUBGRAPH_UNAVAILABLE")]


async def test_every_fetch_carries_request_id_trace_and_the_signed_principal(fixture_gateway):
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with fixture_gateway() as (client, subgraphs):
        await post(
            client,
            {"query": "{ topProducts { inStock reviews { id } } }"},
            **{"X-Request-Id": "req-7", "traceparent": traceparent, "X-Portal-Principal": "forged"},
        )
    seen = [h for name in ("products", "inventory", "reviews") for h in subgraphs[name].headers]
    assert len(seen) == 3
    for headers in seen:
        assert headers["x-request-id"] == "req-7"
        assert headers["traceparent"] == traceparent
        assert headers["x-portal-principal"] not in ("", "forged")


async def test_production_errors_carry_no_internal_details(fixture_gateway):
    async with fixture_gateway() as (client, _):
        response = await post(client, {"query": '{ product(upc: "p2") { reviews { body } } }'})
    for error in response.json()["errors"]:
        assert set(error) <= {"message", "path", "extensions"}
        assert set(error.get("extensions", {})) <= {"code"}


# -- metrics -------------------------------------------------------------------------------


async def test_metrics_count_requests_errors_plan_cache_and_subgraph_latency(fixture_gateway):
    async with fixture_gateway() as (client, _):
        for _ in range(2):
            await post(client, {"query": "{ topProducts { name inStock } }"})
        await post(client, {"query": "{ nope }"})
        metrics = (await client.get("/metrics")).text
    assert 'portal_gateway_requests_total{status="200"}' in metrics
    assert 'portal_gateway_plan_cache_total{result="hit"}' in metrics
    assert 'portal_gateway_request_errors_total{code="GRAPHQL_VALIDATION_FAILED"}' in metrics
    assert 'portal_gateway_subgraph_seconds_count{subgraph="inventory"}' in metrics
