"""Who may see and change which orders (row-level visibility of DESIGN.md, this slice's part).

- Operator staff see every order of their tenant and are the only ones who assign.
- A member of a contractor organisation sees the orders assigned to one of their organisations.
- A member of a customer organisation sees the orders of their organisations.

Every query already runs inside the principal's tenant, so another tenant's orders are never in
reach. Not yet here (later issues): a parent organisation seeing its departments' orders, and the
tenant's window after which done or rejected orders leave contractors' sight.
"""

from __future__ import annotations

from typing import Any

from portal_kit.domain import Forbidden, NotFound
from portal_kit.principal import Principal

NOTHING: dict[str, Any] = {"_id": {"$in": []}}


def is_staff(principal: Principal) -> bool:
    return principal.authenticated and principal.staff


def visible_filter(principal: Principal) -> dict[str, Any]:
    """The orders of the principal's tenant it may see, as a filter."""
    if is_staff(principal):
        return {}
    organisations = list(principal.organisations)
    if not principal.authenticated or not organisations:
        return NOTHING
    return {
        "$or": [
            {"customer_organisation_id": {"$in": organisations}},
            {"assignee_organisation_id": {"$in": organisations}},
        ]
    }


def require_staff(principal: Principal) -> None:
    if not is_staff(principal):
        raise Forbidden("only the operator's staff may do this")


def require_signed_in(principal: Principal) -> None:
    if not principal.authenticated:
        raise Forbidden("sign in to do this")


def require_may_order_for(principal: Principal, customer_organisation_id: str) -> None:
    """Staff order for any customer; others only for an organisation they belong to (any other
    organisation is out of their sight, so it answers like a missing one)."""
    if is_staff(principal):
        return
    if customer_organisation_id not in principal.organisations:
        raise NotFound("no such organisation", field="customerOrganisationId")
