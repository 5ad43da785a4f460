"""Who may see and open which tickets (row-level visibility of DESIGN.md, this slice's part).

- Operator staff see every ticket of their tenant.
- A customer organisation's member sees the tickets they opened, and their organisations'
  tickets unless private: a private ticket is for its creator alone (and staff).

Every query already runs inside the principal's tenant, so another tenant's tickets are never in
reach. Not yet here (later issues): followed tickets, and a parent organisation seeing its
departments' tickets.
"""

from __future__ import annotations

from typing import Any

from portal_kit.domain import Forbidden, NotFound
from portal_kit.principal import Principal

NOTHING: dict[str, Any] = {"_id": {"$in": []}}


def is_staff(principal: Principal) -> bool:
    return principal.authenticated and principal.staff


def visible_filter(principal: Principal) -> dict[str, Any]:
    """The tickets of the principal's tenant it may see, as a filter."""
    if is_staff(principal):
        return {}
    if not principal.authenticated:
        return NOTHING
    return {
        "$or": [
            {"created_by": principal.user},
            {"organisation_id": {"$in": list(principal.organisations)}, "private": False},
        ]
    }


def require_signed_in(principal: Principal) -> None:
    if not principal.authenticated:
        raise Forbidden("sign in to do this")


def require_may_open_for(principal: Principal, organisation_id: str) -> None:
    """Staff open tickets for any organisation; others only for one they belong to (any other is
    out of their sight, so it answers like a missing one)."""
    if is_staff(principal):
        return
    if organisation_id not in principal.organisations:
        raise NotFound("no such organisation", field="organisationId")
