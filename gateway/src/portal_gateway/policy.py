"""Request-level policy: `@authenticated`, `@requiresScopes` and `@policy` from the supergraph.

A field the principal may not see (or a field whose type it may not see) is taken out of the
operation before planning; it answers null with an error at its path. `@policy` names are
functions of the principal registered in code (`POLICIES`); an unknown name refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from graphql import GraphQLNamedType
from portal_kit.principal import Principal

from portal_gateway.errors import UNAUTHENTICATED
from portal_gateway.federation.operation import AccessCheck
from portal_gateway.federation.supergraph import Access, Supergraph

PolicyFunction = Callable[[Principal], bool]

FORBIDDEN = "FORBIDDEN"


def _staff(principal: Principal) -> bool:
    """The kit's one definition of staff; platform admins pass the "staff" policy too."""
    return principal.is_staff or principal.platform_admin


def _platform_admin(principal: Principal) -> bool:
    return principal.platform_admin


def _member(principal: Principal) -> bool:
    return principal.authenticated and bool(principal.memberships)


# The policies a subgraph may name in `@policy(policies: [["..."]])`.
POLICIES: dict[str, PolicyFunction] = {
    "staff": _staff,
    "platform_admin": _platform_admin,
    "member": _member,
}


@dataclass(frozen=True)
class Profile:
    """What decides the principal's access: the plan cache is keyed by it."""

    authenticated: bool
    scopes: frozenset[str]
    policies: frozenset[str]


def profile(principal: Principal, policies: Mapping[str, PolicyFunction]) -> Profile:
    return Profile(
        principal.authenticated,
        frozenset(principal.scopes),
        frozenset(name for name, check in policies.items() if check(principal)),
    )


def _refusal(access: Access, who: Profile, element: str) -> tuple[str, str] | None:
    if not access.restricted:
        return None
    if access.authenticated and not who.authenticated:
        return f"{element} requires authentication", UNAUTHENTICATED
    if access.scopes and not any(set(group) <= who.scopes for group in access.scopes):
        return f"{element} requires a scope the caller does not have", FORBIDDEN
    if access.policies and not any(set(group) <= who.policies for group in access.policies):
        return f"{element} is not allowed by policy", FORBIDDEN
    return None


def access_check(supergraph: Supergraph, who: Profile) -> AccessCheck:
    types = supergraph.types

    def check(parent: str, field: str, named: GraphQLNamedType) -> tuple[str, str] | None:
        info = types.get(parent)
        if info is not None:
            access = info.field_access.get(field)
            if access is not None:
                refusal = _refusal(access, who, f"{parent}.{field}")
                if refusal is not None:
                    return refusal
        target = types.get(named.name)
        if target is not None and target.access.restricted:
            return _refusal(target.access, who, f"{parent}.{field}")
        return None

    return check
