"""GraphQL types of the people subgraph: the directory's entities."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar, cast

import strawberry
from portal_kit.domain import Aggregate
from portal_kit.graphql import (
    Connection,
    UserError,
    decode_keyset,
    empty_connection,
    page_connection,
    page_size,
)
from portal_kit.messages import code_label
from portal_kit.repository import Page
from strawberry.scalars import JSON

from portal_people.domain import organisation as org_domain
from portal_people.domain import tenant as tenant_domain
from portal_people.domain import user as user_domain
from portal_people.domain.messages import _
from portal_people.entrypoints.context import Info
from portal_people.service_layer.access import UserReading, sees_tenant_configuration

D = TypeVar("D", bound=Aggregate)
N = TypeVar("N")


@strawberry.enum
class OrganisationKind(Enum):
    OPERATOR = "operator"
    CUSTOMER = "customer"
    CONTRACTOR = "contractor"


@strawberry.enum
class Gender(Enum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


# Codes of the platform a client shows, labelled from the catalogue in the caller's language.
ORGANISATION_KIND_LABELS = {
    "operator": _.label("organisation kind", "operator"),
    "customer": _.label("organisation kind", "customer"),
    "contractor": _.label("organisation kind", "contractor"),
}
GENDER_LABELS = {
    "female": _.label("gender", "female"),
    "male": _.label("gender", "male"),
    "other": _.label("gender", "other"),
}
# The platform's default roles; a tenant's own roles read as their code in words.
ROLE_LABELS = {
    "admin": _.label("role", "admin"),
    "user": _.label("role", "user"),
    "billing": _.label("role", "billing"),
}


@strawberry.federation.type(keys=["id"], description="A portal running on the platform.")
class Tenant:
    id: strawberry.ID
    name: str
    country: str
    default_locale: str
    locales: list[str]
    version: int
    document: strawberry.Private[tenant_domain.TenantConfiguration]

    @strawberry.field(
        description="The tenant's configuration document: the whole of it for the tenant's "
        "staff and platform administrators; for anyone else (anonymous callers too) only its "
        "public part, what a login or registration page needs: locales, default locale and "
        "password policy."
    )
    def configuration(self, info: Info) -> JSON:
        if sees_tenant_configuration(info.context.principal, str(self.id)):
            return cast(JSON, self.document.model_dump(mode="json"))
        return cast(JSON, self.document.public_part())

    @classmethod
    def of(cls, tenant: tenant_domain.Tenant) -> Tenant:
        config = tenant.configuration
        return cls(
            id=strawberry.ID(tenant.id),
            name=tenant.name,
            country=config.country,
            default_locale=config.default_locale,
            locales=list(config.locales),
            version=tenant.version,
            document=config,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Tenant | None:
        found = await info.context.directory.tenant(str(id))
        return cls.of(found) if found else None

    @strawberry.field(description="Organisations of this tenant the caller may see, by name.")
    async def organisations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: OrganisationKind | None = None,
    ) -> Connection[Organisation]:
        return await organisation_page(info, str(self.id), first, after, kind)


@strawberry.type(description="A postal address.")
class PostalAddress:
    street: str
    postal_code: str
    city: str


@strawberry.federation.type(keys=["id"], description="An operator, customer or contractor.")
class Organisation:
    id: strawberry.ID
    tenant_id: str
    name: str
    kind: OrganisationKind
    parent_id: strawberry.ID | None
    active: bool
    invoice_address: PostalAddress | None = strawberry.field(
        description="Where its invoices go (with the name: Familjebostäder's "
        "'Fakturauppgifter' on a work order)."
    )
    organisation_number: str | None = strawberry.field(
        description="The business registry number (organisasjonsnummer, organisationsnummer, "
        "CVR, Y-tunnus)."
    )
    version: int

    @classmethod
    def of(cls, organisation: org_domain.Organisation) -> Organisation:
        address = organisation.invoice_address
        return cls(
            id=strawberry.ID(organisation.id),
            tenant_id=organisation.tenant,
            name=organisation.name,
            kind=OrganisationKind(organisation.kind.value),
            parent_id=strawberry.ID(organisation.parent_id) if organisation.parent_id else None,
            active=organisation.active,
            invoice_address=None
            if address is None
            else PostalAddress(
                street=address.street, postal_code=address.postal_code, city=address.city
            ),
            organisation_number=organisation.organisation_number,
            version=organisation.version,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Organisation | None:
        found = await info.context.directory.organisation_by_reference(str(id))
        return cls.of(found) if found else None

    @strawberry.field(description="The kind in the caller's language.")
    def kind_label(self) -> str:
        return code_label(ORGANISATION_KIND_LABELS, self.kind.value)

    @strawberry.field(description="Child organisations (departments).")
    async def departments(self, info: Info) -> list[Organisation]:
        children = await info.context.directory.departments(self.tenant_id, str(self.id))
        return [Organisation.of(c) for c in children]


@strawberry.type
class Membership:
    organisation_id: strawberry.ID
    roles: list[str]

    @strawberry.field(description="The roles in the caller's language, in the order of `roles`.")
    def role_labels(self) -> list[str]:
        return [code_label(ROLE_LABELS, role) for role in self.roles]

    @strawberry.field
    async def organisation(self, info: Info) -> Organisation | None:
        return await Organisation.resolve_reference(info, self.organisation_id)


@strawberry.federation.type(keys=["id"], description="A person's account in one portal.")
class User:
    id: strawberry.ID
    tenant_id: str
    username: str
    email: str
    name: str
    locale: str
    staff: bool
    active: bool
    memberships: list[Membership] = strawberry.field(
        description="Empty on a contact card: a colleague or the operator's staff, read where "
        "a record the caller sees names them."
    )
    mobile_phone: str | None
    other_phone: str | None
    active_organisation_id: strawberry.ID | None = strawberry.field(
        description="Null on a contact card."
    )
    first_login_steps: list[str] = strawberry.field(description="Empty on a contact card.")
    version: int

    @classmethod
    def of(cls, user: user_domain.User, reading: UserReading = UserReading.FULL) -> User:
        """The account as the caller reads it; a contact card (`UserReading.CARD`) is who the
        person is and how to reach them at work, nothing of their memberships or login."""
        full = reading is UserReading.FULL
        return cls(
            id=strawberry.ID(user.id),
            tenant_id=user.tenant,
            username=user.username,
            email=user.email,
            name=user.name,
            locale=user.locale,
            staff=user.staff,
            active=user.active,
            memberships=[
                Membership(organisation_id=strawberry.ID(m.organisation_id), roles=list(m.roles))
                for m in user.memberships
            ]
            if full
            else [],
            mobile_phone=user.mobile_phone,
            other_phone=user.other_phone,
            active_organisation_id=strawberry.ID(user.active_organisation_id)
            if full and user.active_organisation_id
            else None,
            first_login_steps=list(user.first_login) if full else [],
            version=user.version,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> User | None:
        found = await info.context.directory.user_by_reference(str(id))
        return cls.of(*found) if found else None


@strawberry.type
class UserPayload:
    user: User | None
    user_errors: list[UserError]


async def organisation_page(
    info: Info,
    tenant_id: str,
    first: int | None,
    after: str | None,
    kind: OrganisationKind | None,
    parent_id: str | None = None,
) -> Connection[Organisation]:
    size, position = page_size(first), decode_keyset(after)
    page = await info.context.directory.organisation_page(
        tenant_id,
        position,
        size,
        kind=org_domain.OrganisationKind(kind.value) if kind is not None else None,
        parent_id=parent_id,
    )
    return by_name_connection(page, Organisation.of, lambda o: o.name, after)


def by_name_connection(
    page: Page[D] | None, node: Callable[[D], N], sort_name: Callable[[D], str], after: str | None
) -> Connection[N]:
    """A repository's page as a connection; cursors carry the (folded) sort name and the id.
    No page (the caller may not list at all) is an empty connection."""
    if page is None:
        return empty_connection()
    return page_connection(
        page, node, lambda item: (sort_name(item).casefold(), item.id), after=after
    )
