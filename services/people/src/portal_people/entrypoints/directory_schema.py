"""The directory part of the people schema: tenants, organisations and users."""

from __future__ import annotations

from typing import Any

import strawberry
from portal_kit.domain import DomainError
from portal_kit.graphql import (
    Connection,
    UserError,
    attempt,
    decode_keyset,
    page_size,
)

from portal_people.domain.messages import _
from portal_people.domain.organisation import PostalAddress
from portal_people.entrypoints.context import Info
from portal_people.entrypoints.inputs import (
    ChangeOrganisationInput,
    ChangeUserInput,
    CreateOrganisationInput,
    CreateTenantInput,
    CreateUserInput,
    PostalAddressInput,
    ReconfigureTenantInput,
    SetMembershipInput,
)
from portal_people.entrypoints.types import (
    Organisation,
    OrganisationKind,
    Tenant,
    User,
    UserPayload,
    by_name_connection,
    organisation_page,
)
from portal_people.service_layer.directory import MembershipInput


def _json_object(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DomainError(_("the configuration must be a JSON object"), field="configuration")
    return dict(value)


@strawberry.type
class DirectoryQuery:
    @strawberry.field(description="Tenants the caller may see: its own; all for platform admins.")
    async def tenants(self, info: Info) -> list[Tenant]:
        return [Tenant.of(t) for t in await info.context.directory.visible_tenants()]

    @strawberry.field
    async def tenant(self, info: Info, id: strawberry.ID) -> Tenant | None:
        return await Tenant.resolve_reference(info, id)

    @strawberry.field(description="Organisations of the caller's tenant that it may see.")
    async def organisations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: OrganisationKind | None = None,
        parent_id: strawberry.ID | None = None,
    ) -> Connection[Organisation]:
        return await organisation_page(
            info, info.context.principal.tenant, first, after, kind, parent_id
        )

    @strawberry.field
    async def organisation(self, info: Info, id: strawberry.ID) -> Organisation | None:
        return await Organisation.resolve_reference(info, id)

    @strawberry.field
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        return await User.resolve_reference(info, id)

    @strawberry.field(description="Users the caller may see, optionally of one organisation.")
    async def users(
        self,
        info: Info,
        organisation_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[User]:
        page = await info.context.directory.user_page(
            str(organisation_id) if organisation_id is not None else None,
            decode_keyset(after),
            page_size(first),
        )
        return by_name_connection(page, User.of, lambda u: u.name, after)

    @strawberry.field(description="The caller's own account.")
    async def me(self, info: Info) -> User | None:
        return await User.resolve_reference(info, strawberry.ID(info.context.principal.user))


# -- mutation payloads ---------------------------------------------------------------------


@strawberry.type
class TenantPayload:
    tenant: Tenant | None
    user_errors: list[UserError]


@strawberry.type
class OrganisationPayload:
    organisation: Organisation | None
    user_errors: list[UserError]


def _address(given: PostalAddressInput | None) -> PostalAddress | None:
    """The domain's address (a refused part raises, inside `attempt`)."""
    return given.to_domain("invoiceAddress") if given is not None else None


def _tenant_payload(result: tuple[Any, list[UserError]]) -> TenantPayload:
    tenant, errors = result
    return TenantPayload(tenant=Tenant.of(tenant) if tenant else None, user_errors=errors)


def _organisation_payload(result: tuple[Any, list[UserError]]) -> OrganisationPayload:
    found, errors = result
    return OrganisationPayload(
        organisation=Organisation.of(found) if found else None, user_errors=errors
    )


def _user_payload(result: tuple[Any, list[UserError]]) -> UserPayload:
    found, errors = result
    return UserPayload(user=User.of(found) if found else None, user_errors=errors)


@strawberry.type
class DirectoryMutation:
    @strawberry.mutation(description="Platform administrators add a portal.")
    async def create_tenant(self, info: Info, input: CreateTenantInput) -> TenantPayload:
        directory = info.context.directory
        return _tenant_payload(
            await attempt(
                lambda: directory.create_tenant(
                    input.id, input.name, _json_object(input.configuration)
                )
            )
        )

    @strawberry.mutation(description="Replace a tenant's configuration document.")
    async def reconfigure_tenant(self, info: Info, input: ReconfigureTenantInput) -> TenantPayload:
        directory = info.context.directory
        return _tenant_payload(
            await attempt(
                lambda: directory.reconfigure_tenant(
                    str(input.id), input.version, _json_object(input.configuration)
                )
            )
        )

    @strawberry.mutation
    async def create_organisation(
        self, info: Info, input: CreateOrganisationInput
    ) -> OrganisationPayload:
        directory = info.context.directory
        parent = str(input.parent_id) if input.parent_id is not None else None

        async def act() -> Any:
            return await directory.create_organisation(
                input.name,
                input.kind.value,
                parent,
                invoice_address=_address(input.invoice_address),
                organisation_number=input.organisation_number,
            )

        return _organisation_payload(await attempt(act))

    @strawberry.mutation
    async def change_organisation(
        self, info: Info, input: ChangeOrganisationInput
    ) -> OrganisationPayload:
        directory = info.context.directory

        async def act() -> Any:
            return await directory.change_organisation(
                str(input.id),
                input.version,
                input.name,
                input.active,
                invoice_address=_address(input.invoice_address),
                organisation_number=input.organisation_number,
            )

        return _organisation_payload(await attempt(act))

    @strawberry.mutation
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        directory = info.context.directory
        return _user_payload(
            await attempt(
                lambda: directory.create_user(
                    username=input.username,
                    email=input.email,
                    name=input.name,
                    locale=input.locale,
                    memberships=[
                        MembershipInput(str(m.organisation_id), list(m.roles))
                        for m in input.memberships
                    ],
                    password=input.password,
                    scopes=input.scopes,
                    first_login=input.first_login,
                )
            )
        )

    @strawberry.mutation
    async def change_user(self, info: Info, input: ChangeUserInput) -> UserPayload:
        directory = info.context.directory
        return _user_payload(
            await attempt(
                lambda: directory.change_user(
                    str(input.id),
                    input.version,
                    email=input.email,
                    name=input.name,
                    locale=input.locale,
                    active=input.active,
                )
            )
        )

    @strawberry.mutation(description="Set a user's roles in an organisation, or remove them.")
    async def set_membership(self, info: Info, input: SetMembershipInput) -> UserPayload:
        directory = info.context.directory
        return _user_payload(
            await attempt(
                lambda: directory.set_membership(
                    str(input.user_id), input.version, str(input.organisation_id), input.roles
                )
            )
        )
