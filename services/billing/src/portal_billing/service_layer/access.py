"""Who may see and create which invoices (row-level visibility of DESIGN.md, this slice's part).

- Operator staff see every invoice of their tenant and are the only ones who create invoices.
- A member of an organisation with the role "billing" there sees the invoices that organisation
  pays, whether it is a customer or a contractor.

Every query already runs inside the principal's tenant, so another tenant's invoices are never in
reach. Not yet here (later issues): a parent organisation's billing people seeing the invoices
of its departments.
"""

from __future__ import annotations

from typing import Any

from portal_kit.domain import Forbidden
from portal_kit.principal import Principal

BILLING_ROLE = "billing"
NOTHING: dict[str, Any] = {"_id": {"$in": []}}


def is_staff(principal: Principal) -> bool:
    return principal.authenticated and principal.staff


def billing_organisations(principal: Principal) -> list[str]:
    return [m.organisation for m in principal.memberships if BILLING_ROLE in m.roles]


def visible_filter(principal: Principal) -> dict[str, Any]:
    """The invoices of the principal's tenant it may see, as a filter."""
    if is_staff(principal):
        return {}
    payers = billing_organisations(principal)
    if not principal.authenticated or not payers:
        return NOTHING
    return {"payer_organisation_id": {"$in": payers}}


def require_staff(principal: Principal) -> None:
    if not is_staff(principal):
        raise Forbidden("only the operator's staff may do this")
