"""GraphQL-over-HTTP response media types: `application/graphql-response+json` with the spec's
status codes when the client prefers it; `application/json` as before otherwise."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from portal_gateway.media import GRAPHQL_RESPONSE, JSON, negotiate, status_for

TENANT = {"X-Portal-Tenant": "jm"}


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        ("", JSON),
        ("application/json", JSON),
        ("*/*", JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.9", JSON),
        (f"application/json, {GRAPHQL_RESPONSE}", JSON),  # a tie keeps the legacy type
        (f"{GRAPHQL_RESPONSE};q=0.5, */*;q=0.1", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0", JSON),
        (f"{GRAPHQL_RESPONSE};q=oops", JSON),
        ("text/html", JSON),
    ],
)
def test_the_accept_header_chooses_the_media_type(accept: str | None, media: str) -> None:
    assert negotiate(accept) == media


def test_status_codes_of_the_graphql_response_media_type() -> None:
    assert status_for(GRAPHQL_RESPONSE, 200, {"data": {"a": 1}, "errors": [{}]}) == 200
    assert status_for(GRAPHQL_RESPONSE, 200, {"data": None, "errors": [{}]}) == 200
    assert status_for(GRAPHQL_RESPONSE, 200, {"errors": [{}]}) == 400
    assert status_for(GRAPHQL_RESPONSE, 502, {"errors": [{}]}) == 502
    assert status_for(JSON, 200, {"errors": [{}]}) == 200


async def post(
    client: httpx.AsyncClient, accept: str | None, content: bytes | None = None, **body: Any
) -> httpx.Response:
    headers = dict(TENANT)
    if accept is not None:
        headers["Accept"] = accept
    if content is not None:
        headers["Content-Type"] = "application/json"
        return await client.post("/graphql", content=content, headers=headers)
    return await client.post("/graphql", json=body, headers=headers)


PREFERS = f"{GRAPHQL_RESPONSE}, application/json;q=0.9"


async def test_graphql_response_json_answers_with_the_spec_status_codes(fixture_gateway):
    async with fixture_gateway() as (client, _):
        ok = await post(client, PREFERS, query="{ me { name } }")
        partial = await post(client, PREFERS, query="{ reviews { id body } }")
        unparsable = await post(client, PREFERS, query="{ me { name }")
        invalid = await post(client, PREFERS, query="{ me { nope } }")
        wrong_variable = await post(
            client,
            PREFERS,
            query="query($n: Int!) { topProducts(first: $n) { upc } }",
            variables={"n": "two"},
        )
        malformed = await post(client, PREFERS, content=b"{not json")
        unknown_persisted = await post(
            client,
            PREFERS,
            extensions={"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}},
        )
    for response in (ok, partial, unparsable, invalid, wrong_variable, malformed):
        assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert (ok.status_code, ok.json()) == (200, {"data": {"me": {"name": "Ada Lovelace"}}})
    # Partial data: 200, the error at its path.
    assert partial.status_code == 200
    assert partial.json()["data"]["reviews"][2] == {"id": "r3", "body": None}
    assert [e["path"] for e in partial.json()["errors"]] == [["reviews", 2, "body"]]
    for response, code in (
        (unparsable, "GRAPHQL_PARSE_FAILED"),
        (invalid, "GRAPHQL_VALIDATION_FAILED"),
        (wrong_variable, "BAD_USER_INPUT"),
        (malformed, "BAD_REQUEST"),
    ):
        assert response.status_code == 400, response.text
        assert "data" not in response.json()
        assert response.json()["errors"][0]["extensions"]["code"] == code
    # No `data` entry: never a 2xx in this media type.
    assert unknown_persisted.status_code == 400
    assert unknown_persisted.json()["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_application_json_keeps_todays_answers(fixture_gateway):
    async with fixture_gateway() as (client, _):
        for accept in (None, "application/json", "*/*", f"application/json, {GRAPHQL_RESPONSE}"):
            ok = await post(client, accept, query="{ me { name } }")
            invalid = await post(client, accept, query="{ me { nope } }")
            unknown_persisted = await post(
                client,
                accept,
                extensions={"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}},
            )
            assert ok.status_code == 200
            assert ok.headers["content-type"] == JSON
            assert invalid.status_code == 400
            assert invalid.headers["content-type"] == JSON
            assert unknown_persisted.status_code == 200
            assert unknown_persisted.headers["content-type"] == JSON
