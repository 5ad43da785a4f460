"""`python -m portal_people.demo`: load the demo tenants into a running people service.

It talks to the service's GraphQL API like any client, vouched for by a principal it signs with
the gateway's key (PORTAL_PRINCIPAL_PRIVATE_KEY_FILE) as a platform administrator. Tenants that
exist already are left as they are, so it can run again.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

from portal_kit.principal import HEADER, PLATFORM_ADMIN_SCOPE, Principal, PrincipalSigner

from portal_people.demo_data import DEMO_PASSWORD, DEMO_TENANTS, DemoTenant

CREATE_TENANT = """mutation($input: CreateTenantInput!) {
  createTenant(input: $input) { tenant { id } userErrors { code message } } }"""
CREATE_ORGANISATION = """mutation($input: CreateOrganisationInput!) {
  createOrganisation(input: $input) { organisation { id } userErrors { field code message } } }"""
CREATE_USER = """mutation($input: CreateUserInput!) {
  createUser(input: $input) { user { id } userErrors { field code message } } }"""
CONFIGURE_NOTIFICATIONS = """mutation($input: ConfigureNotificationsInput!) {
  configureNotifications(input: $input) { userErrors { field code message } } }"""
SET_ACCOUNT_MANAGER = """mutation($input: SetAccountManagerInput!) {
  setAccountManager(input: $input) { userErrors { field code message } } }"""
ADD_EMPLOYEE = """mutation($input: AddEmployeeInput!) {
  addEmployee(input: $input) { employee { id } userErrors { field code message } } }"""


class DemoLoader:
    def __init__(self, url: str, signer: PrincipalSigner) -> None:
        self.url = url
        self.signer = signer

    def call(self, tenant: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        principal = Principal(user="demo-loader", tenant=tenant, scopes=(PLATFORM_ADMIN_SCOPE,))
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json", HEADER: self.signer.sign(principal)},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body: dict[str, Any] = json.loads(response.read())
        if body.get("errors"):
            raise RuntimeError(f"demo data refused: {body['errors'][0]['message']}")
        data: dict[str, Any] = body["data"]
        return data

    def load(self, tenant: DemoTenant) -> bool:
        created = self.call(
            tenant.id,
            CREATE_TENANT,
            {
                "input": {
                    "id": tenant.id,
                    "name": tenant.name,
                    "configuration": tenant.configuration,
                }
            },
        )["createTenant"]
        if created["userErrors"]:
            if created["userErrors"][0]["code"] == "DUPLICATE":
                return False
            raise RuntimeError(f"tenant {tenant.id}: {created['userErrors']}")
        ids: dict[str, str] = {}
        for organisation in tenant.organisations:
            result = self.call(
                tenant.id,
                CREATE_ORGANISATION,
                {
                    "input": {
                        "name": organisation.name,
                        "kind": organisation.kind.upper(),
                        "parentId": ids[organisation.parent] if organisation.parent else None,
                        "invoiceAddress": _address(organisation.invoice_address),
                    }
                },
            )["createOrganisation"]
            _require_no_errors(result, f"{tenant.id}/{organisation.key}")
            ids[organisation.key] = result["organisation"]["id"]
        users: dict[str, str] = {}
        for user in tenant.users:
            result = self.call(
                tenant.id,
                CREATE_USER,
                {
                    "input": {
                        "username": user.username,
                        "email": user.email,
                        "name": user.name,
                        "password": DEMO_PASSWORD,
                        "scopes": user.scopes or None,
                        "firstLogin": user.first_login or None,
                        "memberships": [
                            {"organisationId": ids[key], "roles": roles}
                            for key, roles in user.memberships.items()
                        ],
                    }
                },
            )["createUser"]
            _require_no_errors(result, f"{tenant.id}/{user.username}")
            users[user.username] = result["user"]["id"]
        for employee in tenant.employees:
            result = self.call(
                tenant.id,
                ADD_EMPLOYEE,
                {
                    "input": {
                        "organisationId": ids[employee.organisation],
                        "firstName": employee.first_name,
                        "lastName": employee.last_name,
                        "email": employee.email,
                        "mobile": employee.mobile,
                        "nationalId": employee.national_id,
                    }
                },
            )["addEmployee"]
            _require_no_errors(result, f"{tenant.id}/{employee.first_name} {employee.last_name}")
        self._notifications(tenant, ids, users)
        return True

    def _notifications(
        self, tenant: DemoTenant, organisations: dict[str, str], users: dict[str, str]
    ) -> None:
        if tenant.notifications:
            result = self.call(tenant.id, CONFIGURE_NOTIFICATIONS, {"input": tenant.notifications})[
                "configureNotifications"
            ]
            _require_no_errors(result, f"{tenant.id}/notifications")
        for organisation, username in tenant.account_managers.items():
            result = self.call(
                tenant.id,
                SET_ACCOUNT_MANAGER,
                {
                    "input": {
                        "organisationId": organisations[organisation],
                        "userId": users[username],
                    }
                },
            )["setAccountManager"]
            _require_no_errors(result, f"{tenant.id}/account manager of {organisation}")


def _address(parts: tuple[str, str, str] | None) -> dict[str, str] | None:
    if parts is None:
        return None
    street, postal_code, city = parts
    return {"street": street, "postalCode": postal_code, "city": city}


def _require_no_errors(result: dict[str, Any], what: str) -> None:
    if result["userErrors"]:
        raise RuntimeError(f"{what}: {result['userErrors']}")


def main() -> int:
    key_file = os.environ.get("PORTAL_PRINCIPAL_PRIVATE_KEY_FILE")
    if not key_file:
        print("PORTAL_PRINCIPAL_PRIVATE_KEY_FILE is required", file=sys.stderr)
        return 2
    url = os.environ.get("PORTAL_DEMO_PEOPLE_URL", "http://127.0.0.1:4001/graphql")
    loader = DemoLoader(url, PrincipalSigner(Path(key_file).read_bytes()))
    for tenant in DEMO_TENANTS:
        state = "loaded" if loader.load(tenant) else "already there"
        print(f"demo tenant {tenant.id}: {state}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
