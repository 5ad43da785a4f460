"""The tenant list, asked of the people service like any client, as a platform administrator.

The principal is signed with the gateway's key (as `portal_people.demo` does): the command runs
where the operator keeps that key, and people lists every tenant to a platform administrator.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from portal_kit.principal import HEADER, PLATFORM_ADMIN_SCOPE, Principal, PrincipalSigner

QUERY = "{ tenants { id } }"


class TenantListUnavailable(RuntimeError):
    """People did not answer with a tenant list."""


def tenants_from_people(url: str, signer: PrincipalSigner, *, timeout: float = 30.0) -> list[str]:
    principal = Principal(
        user="partners-generator", tenant="platform", scopes=(PLATFORM_ADMIN_SCOPE,)
    )
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json", HEADER: signer.sign(principal)},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: dict[str, Any] = json.loads(response.read())
    except (OSError, ValueError) as error:
        raise TenantListUnavailable(f"people at {url}: {error}") from error
    if body.get("errors") or not isinstance(body.get("data"), dict):
        problem = (body.get("errors") or [{"message": "no data"}])[0].get("message")
        raise TenantListUnavailable(f"people at {url} refused the tenant list: {problem}")
    return sorted(tenant["id"] for tenant in body["data"]["tenants"])
