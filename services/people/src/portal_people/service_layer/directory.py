"""Use cases of the directory: tenants, organisations and users (load, act, save)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from portal_kit.domain import DomainError, Forbidden, NotFound
from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page
from portal_kit.values import Problems

from portal_people.domain.messages import _
from portal_people.domain.organisation import (
    Organisation,
    OrganisationKind,
    PostalAddress,
    check_organisation_number,
)
from portal_people.domain.tenant import Tenant, parse_configuration
from portal_people.domain.user import User, check_password
from portal_people.service_layer import access
from portal_people.service_layer.access import OrganisationSight, UserReading, UserSight
from portal_people.service_layer.ports import (
    OrganisationsOf,
    Passwords,
    Tenants,
    TicketCircles,
    Users,
)


@dataclass(frozen=True)
class MembershipInput:
    organisation_id: str
    roles: list[str]


class Directory:
    """The people service's use cases for one caller: tenants, organisations, users."""

    def __init__(
        self,
        principal: Principal,
        *,
        tenants: Tenants,
        organisations_of: OrganisationsOf,
        users: Users,
        passwords: Passwords,
        ticket_circles: TicketCircles | None = None,
    ) -> None:
        self.principal = principal
        self.ticket_circles = ticket_circles
        self.tenants = tenants
        self.organisations_of = organisations_of
        # The caller's own tenant's.
        self.organisations = organisations_of(principal.tenant)
        self.users = users
        self.passwords = passwords

    # -- tenants -----------------------------------------------------------------------------

    async def create_tenant(
        self, tenant_id: str, name: str, configuration: dict[str, Any]
    ) -> Tenant:
        access.require_platform_admin(self.principal)
        tenant = Tenant.create(tenant_id, name, parse_configuration(configuration))
        await self.tenants.add(tenant)
        return tenant

    async def tenant(self, tenant_id: str) -> Tenant | None:
        if not access.can_read_tenant(self.principal, tenant_id):
            return None
        return await self.tenants.get(tenant_id)

    async def visible_tenants(self) -> list[Tenant]:
        if self.principal.platform_admin:
            # Platform administrators list every tenant: one read across tenants, by design.
            return await self.tenants.every()
        own = await self.tenant(self.principal.tenant)
        return [own] if own else []

    async def reconfigure_tenant(
        self, tenant_id: str, version: int, configuration: dict[str, Any]
    ) -> Tenant:
        tenant = await self._tenant_for_change(tenant_id, version)
        access.require_tenant_admin(self.principal, tenant_id)
        tenant.reconfigure(parse_configuration(configuration))
        await self.tenants.save(tenant)
        return tenant

    async def _tenant_for_change(self, tenant_id: str, version: int) -> Tenant:
        tenant = await self.tenant(tenant_id)
        if tenant is None:
            raise NotFound(_("no such tenant"), field="id")
        tenant.version = version
        return tenant

    async def own_tenant(self) -> Tenant:
        tenant = await self.tenants.get(self.principal.tenant)
        if tenant is None:
            raise NotFound(_("the tenant does not exist"))
        return tenant

    # -- organisations -----------------------------------------------------------------------

    async def organisation_sight(
        self, tenant_id: str, *, listing: bool = False
    ) -> OrganisationSight:
        """What the caller sees of the tenant's organisations. A list (`listing`) shows only the
        organisation the user works for now when one is chosen ('Vælg kunde', the principal's
        active organisation) with its departments; a record naming another of its own still
        reads it (`me`'s memberships, the switch between them)."""
        if access.is_tenant_staff(self.principal, tenant_id) or self.principal.platform_admin:
            return OrganisationSight(everything=True)
        if self.principal.tenant != tenant_id:
            return OrganisationSight()
        if self.principal.first_login_pending:
            # The restricted token names no organisation; the account does. Until the first
            # login is done the user sees just those (Kontaktuppgifter shows 'Företag'), and
            # people's first-login gate lets no question but `me` reach them.
            account = await self.users.get(self.principal.user)
            owned = account.memberships if account is not None and account.active else []
            return OrganisationSight(organisations=tuple(m.organisation_id for m in owned))
        mine = self.principal.acting_for if listing else self.principal.organisations
        own = await self.organisations.descendants(list(mine))
        return OrganisationSight(organisations=tuple(own), operators=self.principal.authenticated)

    async def organisation(self, organisation_id: str) -> Organisation | None:
        """One the caller lists; changes go through this one."""
        sight = await self.organisation_sight(self.principal.tenant)
        if not sight.includes(organisation_id):
            return None
        return await self.organisations.get(organisation_id)

    async def organisation_by_reference(self, organisation_id: str) -> Organisation | None:
        """One the caller reads where a record names it: those it lists, and the tenant's
        operator organisations (access.OrganisationSight)."""
        sight = await self.organisation_sight(self.principal.tenant)
        if not sight.operators and not sight.includes(organisation_id):
            return None  # without reading it
        found = await self.organisations.get(organisation_id)
        return found if found is not None and sight.reads(found) else None

    async def organisation_page(
        self,
        tenant_id: str,
        after: Keyset | None,
        size: int,
        *,
        kind: OrganisationKind | None = None,
        parent_id: str | None = None,
    ) -> Page[Organisation] | None:
        """None when the caller may not list the tenant's organisations at all."""
        if await self.tenant(tenant_id) is None:
            return None
        sight = await self.organisation_sight(tenant_id, listing=True)
        return await self.organisations_of(tenant_id).page_for(
            sight, after, size, kind=kind, parent_id=parent_id
        )

    async def departments(self, tenant_id: str, organisation_id: str) -> list[Organisation]:
        if await self.tenant(tenant_id) is None:
            return []
        return await self.organisations_of(tenant_id).departments(organisation_id)

    async def create_organisation(
        self,
        name: str,
        kind: str,
        parent_id: str | None,
        *,
        invoice_address: PostalAddress | None = None,
        organisation_number: str | None = None,
    ) -> Organisation:
        tenant_id = self.principal.tenant
        try:
            organisation_kind = OrganisationKind(kind)
        except ValueError:
            raise DomainError(_("unknown organisation kind"), field="kind") from None
        parent = None
        if parent_id is not None:
            parent = await self.organisation(parent_id)
            if parent is None:
                raise NotFound(_("no such organisation"), field="parentId")
        self._require_may_manage(parent)
        number = await self._organisation_number(organisation_number)
        organisation = Organisation.create(
            tenant_id,
            name,
            organisation_kind,
            parent,
            invoice_address=invoice_address,
            organisation_number=number,
        )
        await self.organisations.add(organisation)
        return organisation

    async def change_organisation(
        self,
        organisation_id: str,
        version: int,
        name: str | None,
        active: bool | None,
        *,
        invoice_address: PostalAddress | None = None,
        organisation_number: str | None = None,
    ) -> Organisation:
        organisation = await self.organisation(organisation_id)
        if organisation is None:
            raise NotFound(_("no such organisation"), field="id")
        self._require_may_manage(organisation)
        organisation.version = version
        organisation.change(
            name=name,
            active=active,
            invoice_address=invoice_address,
            organisation_number=await self._organisation_number(organisation_number),
        )
        await self.organisations.save(organisation)
        return organisation

    async def _organisation_number(self, value: str | None) -> str | None:
        """Checked by the tenant's country; None (none given) stays None."""
        if value is None or not value.strip():
            return None
        tenant = await self.tenants.get(self.principal.tenant)
        country = tenant.configuration.country if tenant is not None else ""
        return check_organisation_number(value, country)

    def _require_may_manage(self, organisation: Organisation | None) -> None:
        """Staff manage every organisation; a customer organisation's admin manages its own
        organisation and its departments (visibility already limited it to those)."""
        if access.is_tenant_staff(self.principal, self.principal.tenant):
            return
        if (
            organisation is not None
            and organisation.kind is OrganisationKind.CUSTOMER
            and self._admin_of(organisation)
        ):
            return
        access.require_staff(self.principal, self.principal.tenant)

    def _admin_of(self, organisation: Organisation) -> bool:
        admin_of = access.admin_organisations(self.principal)
        return organisation.id in admin_of or organisation.parent_id in admin_of

    # -- users -------------------------------------------------------------------------------

    async def caller(self) -> User:
        """The calling user's own active account; anyone else is told to log in."""
        principal = self.principal
        user = await self.users.get(principal.user) if principal.authenticated else None
        if user is None or not user.active:
            raise Forbidden(_("log in first"))
        return user

    async def user(self, user_id: str) -> User | None:
        """One the caller reads in full; changes go through this one."""
        user = await self.users.get(user_id)
        if user is None or not await self._may_see_user(user):
            return None
        return user

    async def user_by_reference(self, user_id: str) -> tuple[User, UserReading] | None:
        """One the caller reads where a record names it, and how much of it
        (access.UserSight): in full, or the contact card of a colleague or operator staff."""
        user = await self.users.get(user_id)
        if user is None:
            return None
        if user.id == self.principal.user:
            return user, UserReading.FULL
        sight = await self.user_sight()
        reading = sight.reading(user)
        if reading is None and not sight.everything and self.principal.authenticated:
            # Only when nothing else shows the person: whoever shares a ticket with the caller
            # (a follower of another customer, that customer's post authors) is named on it.
            reading = (await self._with_ticket_circles(sight)).reading(user)
        return (user, reading) if reading is not None else None

    async def _with_ticket_circles(self, sight: UserSight) -> UserSight:
        if self.ticket_circles is None:
            return sight
        users, organisations = await self.ticket_circles.around(
            self.principal.user, sight.colleagues
        )
        return dataclasses.replace(
            sight,
            acquaintances=tuple(users),
            colleagues=tuple(dict.fromkeys([*sight.colleagues, *organisations])),
        )

    async def user_sight(self) -> UserSight:
        if access.is_tenant_staff(self.principal, self.principal.tenant):
            return UserSight(everything=True)
        if not self.principal.authenticated:
            return UserSight()
        admin_scope = await self.organisations.descendants(
            access.admin_organisations(self.principal)
        )
        return UserSight(
            own=self.principal.user,
            organisations=tuple(admin_scope),
            # A parent organisation's members see its departments' tickets and orders, and so
            # read the contact card of whoever in a department wrote one.
            colleagues=tuple(
                await self.organisations.descendants(list(self.principal.organisations))
            ),
            operator_staff=True,
        )

    async def _may_see_user(self, user: User) -> bool:
        if user.id == self.principal.user:
            return True  # without reading the organisation tree
        return (await self.user_sight()).includes(user)

    async def user_page(
        self, organisation_id: str | None, after: Keyset | None, size: int
    ) -> Page[User] | None:
        """None for an anonymous caller."""
        if not self.principal.authenticated:
            return None
        sight = await self.user_sight()
        return await self.users.page_for(sight, after, size, organisation_id=organisation_id)

    async def create_user(
        self,
        *,
        username: str,
        email: str,
        name: str,
        locale: str | None,
        memberships: list[MembershipInput],
        password: str | None = None,
        scopes: list[str] | None = None,
        first_login: list[str] | None = None,
    ) -> User:
        access.require_staff(self.principal, self.principal.tenant)
        if scopes:
            access.require_platform_admin(self.principal)
        tenant = await self.own_tenant()
        configuration = tenant.configuration
        organisations: list[tuple[Organisation, list[str]]] = []
        problems = Problems()
        if not memberships:
            problems.add(
                DomainError(_("a user belongs to at least one organisation"), field="memberships")
            )
        for membership in memberships:
            organisation = await self.organisations.get(membership.organisation_id)
            if organisation is None:
                problems.add(NotFound(_("no such organisation"), field="memberships"))
            else:
                organisations.append((organisation, membership.roles))
        user = problems.check(
            lambda: User.create(
                self.principal.tenant,
                username=username,
                email=email,
                name=name,
                locale=locale or configuration.default_locale,
                memberships=organisations,
                configuration=configuration,
            ),
            None,
        )
        if user is None:
            problems.raise_if_any()  # the account itself is refused: no further checks
        assert user is not None
        if password is not None:
            personal = [user.username, user.email, user.name]
            problems.check(
                lambda: check_password(password, configuration.password_policy, personal=personal),
                None,
            )
        if first_login:
            problems.check(lambda: user.require_first_login(first_login), None)
        problems.raise_if_any()
        await self.require_unique(user)
        if password is not None:
            user.password_hash = await self.passwords.hash(password)
        user.scopes = tuple(sorted(set(scopes or [])))
        await self.users.add(user)
        return user

    async def check_unique(self, user: User, problems: Problems) -> None:
        """Adds a problem for the user name and the e-mail another account already has."""
        for field in await self.users.taken(user):
            problems.add(
                DomainError(
                    _("a user with this e-mail already exists in this portal")
                    if field == "email"
                    else _("a user with this user name already exists in this portal"),
                    field=field,
                    code="DUPLICATE",
                )
            )

    async def require_unique(self, user: User) -> None:
        problems = Problems()
        await self.check_unique(user, problems)
        problems.raise_if_any()

    async def change_user(
        self,
        user_id: str,
        version: int,
        *,
        email: str | None,
        name: str | None,
        locale: str | None,
        active: bool | None,
    ) -> User:
        user = await self.user(user_id)
        if user is None:
            raise NotFound(_("no such user"), field="id")
        access.require_staff(self.principal, self.principal.tenant)
        tenant = await self.own_tenant()
        user.version = version
        user.change(tenant.configuration, email=email, name=name, locale=locale, active=active)
        await self.require_unique(user)
        await self.users.save(user)
        return user

    async def set_membership(
        self, user_id: str, version: int, organisation_id: str, roles: list[str]
    ) -> User:
        user = await self.user(user_id)
        if user is None:
            raise NotFound(_("no such user"), field="userId")
        organisation = await self.organisation(organisation_id)
        if organisation is None:
            raise NotFound(_("no such organisation"), field="organisationId")
        # Staff manage every membership; a customer organisation's admin those of its own
        # organisation and departments.
        self._require_may_manage(organisation)
        tenant = await self.own_tenant()
        user.version = version
        user.set_membership(organisation, roles, tenant.configuration)
        await self.users.save(user)
        return user
