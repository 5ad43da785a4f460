"""Cookie mode for browser SPAs, through the gateway to the real people service: the session
lives in HttpOnly cookies, cookie-authenticated requests need the CSRF header."""

from __future__ import annotations

import httpx
from portal_kit.principal import HEADER
from portal_kit.testing.plugin import make_principal

PASSWORD = "Bright-Harbour-2026!"
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  accessToken refreshToken expiresIn userErrors { code } } }"""


async def create_user(people: str, signer) -> None:
    """A tenant, an organisation and a user with a password, straight in people."""
    root = signer.sign(make_principal("platform", user="root", scopes=("platform:admin",)))
    jm_root = signer.sign(make_principal("jm", user="root", staff=True, scopes=("platform:admin",)))
    async with httpx.AsyncClient() as client:

        async def call(principal: str, query: str, **input: object) -> dict:
            response = await client.post(
                people,
                json={"query": query, "variables": {"input": input}},
                headers={HEADER: principal},
            )
            body = response.json()
            assert "errors" not in body, body
            return body["data"]

        await call(
            root,
            "mutation($input: CreateTenantInput!) { createTenant(input: $input) "
            "{ tenant { id } } }",
            id="jm",
            name="JM",
            configuration={"country": "NO", "locales": ["nb", "en"], "default_locale": "nb"},
        )
        organisation = await call(
            jm_root,
            "mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) "
            "{ organisation { id } } }",
            name="JM",
            kind="OPERATOR",
        )
        created = await call(
            jm_root,
            "mutation($input: CreateUserInput!) { createUser(input: $input) "
            "{ user { id } userErrors { code message } } }",
            username="cookie.user",
            email="cookie@jm.example",
            name="Cookie User",
            password=PASSWORD,
            memberships=[
                {"organisationId": organisation["createOrganisation"]["organisation"]["id"]}
            ],
        )
        assert created["createUser"]["userErrors"] == [], created


async def test_a_cookie_session_with_csrf(people, signer, start_gateway):
    await create_user(people, signer)
    jwks = people.replace("/graphql", "/.well-known/jwks.json")
    async with start_gateway(
        people_url=people, jwks_url=jwks, cookie_mode=True, cookie_secure=False
    ) as gateway:
        login = await gateway.post(
            "/graphql",
            json={
                "query": LOG_IN,
                "variables": {"input": {"login": "cookie.user", "password": PASSWORD}},
            },
            headers={"X-Portal-Tenant": "jm"},
        )
        payload = login.json()["data"]["logIn"]
        assert payload["userErrors"] == [] and payload["accessToken"] is None
        assert payload["refreshToken"] is None  # in cookies only
        set_cookies = login.headers.get_list("set-cookie")
        access = next(c for c in set_cookies if c.startswith("portal_access="))
        assert "HttpOnly" in access and "SameSite=strict" in access
        csrf = gateway.cookies["portal_csrf"]

        me = {"query": "{ me { username } }"}
        without_csrf = await gateway.post("/graphql", json=me)
        assert without_csrf.status_code == 403
        assert without_csrf.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
        with_csrf = await gateway.post("/graphql", json=me, headers={"X-Portal-CSRF": csrf})
        assert with_csrf.json() == {"data": {"me": {"username": "cookie.user"}}}

        refreshed = await gateway.post(
            "/auth/refresh", headers={"X-Portal-CSRF": csrf, "X-Portal-Tenant": "jm"}
        )
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["data"]["refreshSession"]["accessToken"] is None
        csrf = gateway.cookies["portal_csrf"]
        again = await gateway.post("/graphql", json=me, headers={"X-Portal-CSRF": csrf})
        assert again.json() == {"data": {"me": {"username": "cookie.user"}}}

        out = await gateway.post("/auth/logout", headers={"X-Portal-CSRF": csrf})
        assert out.status_code == 200, out.text
        assert "portal_access" not in gateway.cookies
        anonymous = await gateway.post("/graphql", json=me, headers={"X-Portal-Tenant": "jm"})
        assert anonymous.json()["data"] == {"me": None} or anonymous.json().get("errors")


def test_session_cookies_are_secure_httponly_and_strict():
    from portal_gateway.cookies import set_session
    from starlette.responses import Response

    response = Response()
    set_session(response, {"accessToken": "a", "refreshToken": "r", "expiresIn": 900}, True)
    cookies = response.headers.getlist("set-cookie")
    assert len(cookies) == 3
    for cookie in cookies:
        assert "Secure" in cookie and "SameSite=strict" in cookie
    assert all("HttpOnly" in c for c in cookies if not c.startswith("portal_csrf="))
    assert "Max-Age=900" in cookies[0]


async def test_the_session_routes_exist_only_in_cookie_mode(issuer, recorder, start_gateway):
    _, url = recorder
    async with start_gateway(people_url=url, jwks_url=issuer.url) as gateway:
        response = await gateway.post("/auth/refresh")
    assert response.status_code == 404
