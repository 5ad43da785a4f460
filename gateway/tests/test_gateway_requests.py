"""What the gateway accepts, what it passes on to the subgraph, and what it never passes on."""

from __future__ import annotations

import re

import orjson
import pytest
from portal_gateway.forwarding import forwarded_for, traceparent_for
from portal_kit.principal import HEADER

TENANT = {"X-Portal-Tenant": "jm"}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "BAD_REQUEST"),
        (b"", "application/json", 400, "BAD_REQUEST"),
        (b"\xff\xfe", "application/json", 400, "BAD_REQUEST"),
        (b'[{"query": "{ ok }"}]', "application/json", 400, "BAD_REQUEST"),
        (b'"{ ok }"', "application/json", 400, "BAD_REQUEST"),
        (b'{"variables": {}}', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": "  "}', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": 42}', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": "{ ok }", "variables": [1]}', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": "{ ok }", "operationName": 1}', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": "{ ok }"}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b'{"query": "' + b"x" * 5000 + b'"}', "application/json", 413, "PAYLOAD_TOO_LARGE"),
    ],
    ids=[
        "malformed",
        "empty",
        "not-utf8",
        "batch",
        "string",
        "no-query",
        "blank-query",
        "query-not-string",
        "variables-list",
        "operation-name-number",
        "text-plain",
        "too-large",
    ],
)
async def test_bad_requests_get_a_graphql_error_and_never_reach_the_subgraph(
    issuer, recorder, start_gateway, graphql_error, body, content_type, status, code
):
    upstream, url = recorder
    async with start_gateway(
        people_url=url, jwks_url=issuer.url, max_request_bytes=4096
    ) as gateway:
        response = await gateway.post(
            "/graphql", content=body, headers={**TENANT, "Content-Type": content_type}
        )
    assert response.status_code == status, response.text
    assert graphql_error(response)[0] == code
    assert upstream.requests == []


async def test_a_large_body_without_content_length_is_refused(
    issuer, recorder, start_gateway, graphql_error
):
    upstream, url = recorder

    async def chunks():
        for _ in range(10):
            yield b" " * 1024

    async with start_gateway(
        people_url=url, jwks_url=issuer.url, max_request_bytes=4096
    ) as gateway:
        response = await gateway.post(
            "/graphql", content=chunks(), headers={**TENANT, "Content-Type": "application/json"}
        )
    assert response.status_code == 413
    assert graphql_error(response)[0] == "PAYLOAD_TOO_LARGE"
    assert upstream.requests == []


async def test_the_query_goes_to_the_subgraph_with_request_id_and_trace(
    issuer, recorder, start_gateway
):
    upstream, url = recorder
    body = (
        b'{"query": "query Q($n: Boolean!) { ok @include(if: $n) }", '
        b'"variables": {"n": true}, "operationName": "Q"}'
    )
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        response = await gateway.post(
            "/graphql",
            content=body,
            headers={
                **TENANT,
                "Content-Type": "application/json",
                "X-Request-Id": "req-123",
                "traceparent": traceparent,
                "Cookie": "session=secret",
            },
        )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-123"
    assert response.json() == {"data": {"ok": True}}
    method, headers, forwarded, _ = upstream.requests[0]
    assert method == "POST"
    assert orjson.loads(forwarded) == {"query": "query { ok }", "variables": {}}
    assert headers["x-request-id"] == "req-123"
    assert headers["traceparent"] == traceparent
    assert headers["content-type"] == "application/json"
    assert "cookie" not in headers


async def test_request_id_and_trace_are_created_when_missing(issuer, recorder, start_gateway):
    upstream, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        response = await gateway.post(
            "/graphql", json={"query": "{ ok }"}, headers={**TENANT, "traceparent": "garbage"}
        )
    headers = upstream.last_headers
    assert headers["x-request-id"] == response.headers["x-request-id"]
    assert len(headers["x-request-id"]) >= 16
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", headers["traceparent"])


async def test_a_client_principal_header_is_replaced_by_the_gateways(
    issuer, recorder, start_gateway, signer
):
    from portal_kit.testing.plugin import make_principal

    upstream, url = recorder
    forged = signer.sign(make_principal("jm", user="root", scopes=("platform:admin",)))
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        await gateway.post("/graphql", json={"query": "{ ok }"}, headers={**TENANT, HEADER: forged})
    sent = [v for k, v in upstream.requests[0][1].items() if k == HEADER.lower()]
    assert len(sent) == 1
    assert sent[0] != forged


async def test_the_client_address_is_appended_to_x_forwarded_for(issuer, recorder, start_gateway):
    upstream, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        await gateway.post(
            "/graphql",
            json={"query": "{ ok }"},
            headers={**TENANT, "X-Forwarded-For": "203.0.113.9"},
        )
    chain = [part.strip() for part in upstream.last_headers["x-forwarded-for"].split(",")]
    # What the client claimed stays first; the address that really connected comes last.
    assert chain == ["203.0.113.9", "127.0.0.1"]


def test_forwarded_for_keeps_a_bounded_chain():
    assert forwarded_for(None, "10.0.0.1") == "10.0.0.1"
    assert forwarded_for(" a , b ", None) == "a, b"
    assert forwarded_for(None, None) is None
    long_chain = ", ".join(str(n) for n in range(50))
    assert forwarded_for(long_chain, "p").split(", ") == [*map(str, range(40, 50)), "p"]


async def test_get_requests_are_answered_from_their_parameters(
    issuer, recorder, start_gateway, graphql_error
):
    upstream, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        response = await gateway.get(
            "/graphql", params={"query": "{ ok }", "variables": '{"a": 1}'}, headers=TENANT
        )
        assert response.status_code == 200
        assert response.json() == {"data": {"ok": True}}
        method, _, body, _ = upstream.requests[0]
        assert method == "POST"
        assert orjson.loads(body)["query"] == "query { ok }"

        missing = await gateway.get("/graphql", headers=TENANT)
        assert missing.status_code == 400
        bad = await gateway.get(
            "/graphql", params={"query": "{ ok }", "variables": "[1"}, headers=TENANT
        )
        assert bad.status_code == 400
        assert graphql_error(bad)[0] == "BAD_REQUEST"
    assert len(upstream.requests) == 1


async def test_a_slow_subgraph_answers_502(issuer, recorder, start_gateway, graphql_error):
    upstream, url = recorder
    upstream.delay = 2.0
    async with start_gateway(
        people_url=url, jwks_url=issuer.url, upstream_timeout_seconds=0.3
    ) as gateway:
        response = await gateway.post("/graphql", json={"query": "{ ok }"}, headers=TENANT)
    assert response.status_code == 502
    assert graphql_error(response) == ("SUBGRAPH_UNAVAILABLE", "people service unavailable")


async def test_a_failing_subgraph_answers_502(issuer, recorder, start_gateway, graphql_error):
    upstream, url = recorder
    upstream.status = 500
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        response = await gateway.post("/graphql", json={"query": "{ ok }"}, headers=TENANT)
        assert response.status_code == 502
        assert graphql_error(response)[0] == "SUBGRAPH_UNAVAILABLE"
        upstream.ready = False
        assert (await gateway.get("/readyz")).status_code == 503


def test_traceparent_for():
    valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert traceparent_for(valid) == valid
    for invalid in (
        None,
        "",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
    ):
        created = traceparent_for(invalid)
        assert created != invalid
        assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", created)


@pytest.mark.parametrize("dev_mode", [True, False])
async def test_graphiql_only_in_dev_mode(issuer, recorder, start_gateway, dev_mode):
    upstream, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url, dev_mode=dev_mode) as gateway:
        response = await gateway.get("/graphql", headers={"Accept": "text/html"})
    if dev_mode:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "graphiql" in response.text.lower()
    else:
        assert response.status_code == 400
    assert upstream.requests == []
