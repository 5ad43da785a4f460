"""Who may see and change what in the directory (row-level visibility, docs/architecture.md).

A *sight* says in domain terms which rows a caller sees; the repositories turn it into their
query (`adapters/repositories.py`), so no filter document is built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from portal_kit.domain import Forbidden
from portal_kit.principal import Principal

from portal_people.domain.employee import Employee
from portal_people.domain.messages import _
from portal_people.domain.organisation import Organisation, OrganisationKind
from portal_people.domain.user import User

ADMIN = "admin"


@dataclass(frozen=True)
class OrganisationSight:
    """The organisations of one tenant a caller lists and reads: every one, or these.

    Besides them, a member of the tenant reads the tenant's operator organisations by id (a
    reference on an order or an invoice: the JM contact's company, Familjebostäder's
    'Fakturauppgifter'), without their being listed as its own: `operators`."""

    everything: bool = False
    organisations: tuple[str, ...] = ()
    operators: bool = False

    def includes(self, organisation_id: str) -> bool:
        """Listed and read."""
        return self.everything or organisation_id in self.organisations

    def reads(self, organisation: Organisation) -> bool:
        return self.includes(organisation.id) or (
            self.operators and organisation.kind is OrganisationKind.OPERATOR
        )


class UserReading(Enum):
    """How much of an account a caller reads: all of it, or the contact card (name, e-mail,
    phones: what a record the caller sees names a person by)."""

    FULL = "full"
    CARD = "card"


@dataclass(frozen=True)
class UserSight:
    """The accounts a caller lists and reads in full: every one of the tenant, or its own and
    the members of the organisations it administers (with their departments).

    Besides them it reads by id, as a contact card only and without listing them, the people
    its records name: the members of its own organisations (`colleagues`), with
    `operator_staff` the operator's staff (the JM contact person, Familjebostäder's orderer),
    and the people it shares a ticket with (`acquaintances`: its creator and followers, whatever
    their organisation)."""

    everything: bool = False
    own: str | None = None
    organisations: tuple[str, ...] = ()
    colleagues: tuple[str, ...] = ()
    operator_staff: bool = False
    acquaintances: tuple[str, ...] = ()

    def includes(self, user: User) -> bool:
        return (
            self.everything
            or user.id == self.own
            or any(m.organisation_id in self.organisations for m in user.memberships)
        )

    def reading(self, user: User) -> UserReading | None:
        """What of `user` the caller reads by id; None: nothing (as if it did not exist)."""
        if self.includes(user):
            return UserReading.FULL
        if (
            (self.operator_staff and user.staff)
            or user.id in self.acquaintances
            or any(m.organisation_id in self.colleagues for m in user.memberships)
        ):
            return UserReading.CARD
        return None


@dataclass(frozen=True)
class EmployeeSight:
    """The employees a caller sees: every one of the tenant; those of the organisations it
    administers (with their departments); and its own record (same e-mail, in its own
    organisations)."""

    everything: bool = False
    organisations: tuple[str, ...] = ()
    own_email: str | None = None
    own_organisations: tuple[str, ...] = ()

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.organisations and self.own_email is None

    def includes(self, employee: Employee) -> bool:
        return (
            self.everything
            or employee.organisation_id in self.organisations
            or (
                self.own_email is not None
                and employee.organisation_id in self.own_organisations
                and employee.email.casefold() == self.own_email.casefold()
            )
        )


@dataclass(frozen=True)
class EmployeeSearch:
    """A search of the register within a sight: in these organisations (None: anywhere), with
    every word somewhere in the name or e-mail, the inactive ones too or not."""

    sight: EmployeeSight
    within: tuple[str, ...] | None = None
    words: tuple[str, ...] = ()
    include_inactive: bool = False


def can_read_tenant(principal: Principal, tenant_id: str) -> bool:
    return principal.tenant == tenant_id or principal.platform_admin


def is_tenant_staff(principal: Principal, tenant_id: str) -> bool:
    return principal.is_staff and principal.tenant == tenant_id


def sees_tenant_configuration(principal: Principal, tenant_id: str) -> bool:
    """The whole configuration document of a tenant: its staff and platform administrators;
    everyone else reads its public part (`TenantConfiguration.public_part`)."""
    return principal.platform_admin or is_tenant_staff(principal, tenant_id)


def require_platform_admin(principal: Principal) -> None:
    if not principal.platform_admin:
        raise Forbidden(_("only platform administrators may do this"))


def require_staff(principal: Principal, tenant_id: str) -> None:
    if not (is_tenant_staff(principal, tenant_id) or principal.platform_admin):
        raise Forbidden(_("only the operator's staff may do this"))


def require_tenant_admin(principal: Principal, tenant_id: str) -> None:
    if principal.platform_admin:
        return
    staff_admin = is_tenant_staff(principal, tenant_id) and any(
        ADMIN in m.roles for m in principal.memberships
    )
    if not staff_admin:
        raise Forbidden(_("only the operator's administrators may do this"))


def admin_organisations(principal: Principal) -> list[str]:
    return [m.organisation for m in principal.memberships if ADMIN in m.roles]
