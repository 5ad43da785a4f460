"""CORS for the configured SPA origins (PORTAL_CORS_ORIGINS): a preflight through the gateway
app is answered for a listed origin, with credentials; any other origin gets no CORS headers."""

from __future__ import annotations

import pytest
from portal_gateway.settings import GatewaySettings
from portal_kit.settings import load_settings

SPA = "https://portal.example.no"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, x-portal-tenant",
}


async def test_a_preflight_from_a_listed_origin_is_allowed_with_credentials(
    issuer, recorder, start_gateway
):
    upstream, url = recorder
    origins = [SPA, "http://localhost:5173"]
    async with start_gateway(people_url=url, jwks_url=issuer.url, cors_origins=origins) as gateway:
        response = await gateway.options("/graphql", headers={"Origin": SPA, **PREFLIGHT})
        answered = await gateway.post(
            "/graphql",
            json={"query": "{ ok }"},
            headers={"Origin": SPA, "X-Portal-Tenant": "jm"},
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SPA
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "content-type", "x-portal-tenant", "x-portal-csrf"):
        assert header in allowed
    assert "POST" in response.headers["access-control-allow-methods"]
    # The request itself carries the origin back, so the browser hands the SPA the answer.
    assert answered.headers["access-control-allow-origin"] == SPA
    assert answered.headers["access-control-allow-credentials"] == "true"
    assert len(upstream.requests) == 1  # the preflight never reached a subgraph


@pytest.mark.parametrize("configured", [[SPA], []], ids=["other-origin", "none-configured"])
async def test_an_unlisted_origin_gets_no_cors_headers(issuer, recorder, start_gateway, configured):
    upstream, url = recorder
    evil = "https://evil.example.com"
    async with start_gateway(
        people_url=url, jwks_url=issuer.url, cors_origins=configured
    ) as gateway:
        response = await gateway.options("/graphql", headers={"Origin": evil, **PREFLIGHT})
        answered = await gateway.post(
            "/graphql",
            json={"query": "{ ok }"},
            headers={"Origin": evil, "X-Portal-Tenant": "jm"},
        )
    assert response.status_code in (400, 405)
    assert not [name for name in response.headers if name.startswith("access-control-")]
    assert not [name for name in answered.headers if name.startswith("access-control-")]
    assert len(upstream.requests) == 1  # the cross-origin request itself is served, unreadable


async def test_requests_without_an_origin_are_served_when_origins_are_configured(
    issuer, recorder, start_gateway
):
    """Probes, partners' servers and curl send no Origin: served as without CORS settings."""
    upstream, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url, cors_origins=[SPA]) as gateway:
        health = await gateway.get("/healthz")
        answered = await gateway.post(
            "/graphql", json={"query": "{ ok }"}, headers={"X-Portal-Tenant": "jm"}
        )
    assert health.status_code == 200
    assert answered.status_code == 200
    assert not [name for name in answered.headers if name.startswith("access-control-")]
    assert len(upstream.requests) == 1


def test_origins_come_comma_separated_or_as_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_CORS_ORIGINS", f"{SPA}, http://localhost:5173")
    assert load_settings(GatewaySettings).cors_origins == [SPA, "http://localhost:5173"]
    monkeypatch.setenv("PORTAL_CORS_ORIGINS", f'["{SPA}"]')
    assert load_settings(GatewaySettings).cors_origins == [SPA]


@pytest.mark.parametrize("value", ["*", "https://portal.example.no/app", "portal.example.no"])
def test_a_wildcard_or_a_non_origin_stops_the_gateway_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    monkeypatch.setenv("PORTAL_CORS_ORIGINS", value)
    with pytest.raises(SystemExit):
        load_settings(GatewaySettings)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert "PORTAL_CORS_ORIGINS" in lines[0]
