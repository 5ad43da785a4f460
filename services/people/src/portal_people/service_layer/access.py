"""Who may see and change what in the directory (row-level visibility of DESIGN.md)."""

from __future__ import annotations

from portal_kit.domain import Forbidden
from portal_kit.principal import Principal

ADMIN = "admin"


def can_read_tenant(principal: Principal, tenant_id: str) -> bool:
    return principal.tenant == tenant_id or principal.platform_admin


def is_tenant_staff(principal: Principal, tenant_id: str) -> bool:
    return principal.authenticated and principal.staff and principal.tenant == tenant_id


def require_platform_admin(principal: Principal) -> None:
    if not principal.platform_admin:
        raise Forbidden("only platform administrators may do this")


def require_staff(principal: Principal, tenant_id: str) -> None:
    if not (is_tenant_staff(principal, tenant_id) or principal.platform_admin):
        raise Forbidden("only the operator's staff may do this")


def require_tenant_admin(principal: Principal, tenant_id: str) -> None:
    if principal.platform_admin:
        return
    staff_admin = is_tenant_staff(principal, tenant_id) and any(
        ADMIN in m.roles for m in principal.memberships
    )
    if not staff_admin:
        raise Forbidden("only the operator's administrators may do this")


def admin_organisations(principal: Principal) -> list[str]:
    return [m.organisation for m in principal.memberships if ADMIN in m.roles]
