"""A small GraphQL client of the gateway for the demo loaders (`python -m portal_<service>.demo`):
it logs in as a tenant's demo users with the demo password and calls the public API, like any
client. Standard library only: a loader runs once, speed does not matter."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TENANT_HEADER = "X-Portal-Tenant"
DEFAULT_GATEWAY = "http://127.0.0.1:4000/graphql"
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  accessToken userErrors { field code message } } }"""


class DemoRefused(RuntimeError):
    """The platform refused a step of a demo; the message names it."""


class GatewayClient:
    """GraphQL calls through the gateway, logged in as a tenant's users."""

    def __init__(self, url: str, password: str) -> None:
        self.url = url
        self.password = password
        self._tokens: dict[tuple[str, str], str] = {}

    def call(
        self, tenant: str, login: str | None, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", TENANT_HEADER: tenant}
        if login is not None:
            headers["Authorization"] = f"Bearer {self.token(tenant, login)}"
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body: dict[str, Any] = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise DemoRefused(
                f"{tenant}/{login}: HTTP {error.code}: {error.read()[:500]!r}"
            ) from error
        if body.get("errors"):
            raise DemoRefused(f"{tenant}/{login}: {body['errors'][0].get('message')}")
        data: dict[str, Any] = body["data"]
        return data

    def mutate(self, tenant: str, login: str, query: str, **input: Any) -> dict[str, Any]:
        """A mutation's payload; its user errors raise `DemoRefused` naming them."""
        payload: dict[str, Any] = next(
            iter(self.call(tenant, login, query, {"input": input}).values())
        )
        if payload.get("userErrors"):
            raise DemoRefused(f"{tenant}/{login}: {payload['userErrors']}")
        return payload

    def token(self, tenant: str, login: str) -> str:
        if (tenant, login) not in self._tokens:
            answer = self.call(
                tenant, None, LOG_IN, {"input": {"login": login, "password": self.password}}
            )["logIn"]
            if not answer["accessToken"]:
                raise DemoRefused(f"{tenant}/{login} cannot log in: {answer['userErrors']}")
            self._tokens[tenant, login] = answer["accessToken"]
        return self._tokens[tenant, login]
