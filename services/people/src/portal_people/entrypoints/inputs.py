"""GraphQL input types of the people subgraph, for the mutations of every area."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.scalars import JSON

from portal_people.domain.organisation import PostalAddress
from portal_people.entrypoints.types import Gender, OrganisationKind

# -- the directory: tenants, organisations, users ------------------------------------------


@strawberry.input
class CreateTenantInput:
    id: str
    name: str
    configuration: JSON


@strawberry.input
class ReconfigureTenantInput:
    id: strawberry.ID
    version: int
    configuration: JSON


@strawberry.input
class PostalAddressInput:
    street: str = strawberry.field(description="Street or box: 'Box 92100'.")
    postal_code: str
    city: str

    def to_domain(self, field: str) -> PostalAddress:
        return PostalAddress.of(self.street, self.postal_code, self.city, field=field)


@strawberry.input
class CreateOrganisationInput:
    name: str
    kind: OrganisationKind
    parent_id: strawberry.ID | None = None
    invoice_address: PostalAddressInput | None = None
    organisation_number: str | None = strawberry.field(
        default=None, description="The business registry number, checked for the tenant's country."
    )


@strawberry.input
class ChangeOrganisationInput:
    id: strawberry.ID
    version: int
    name: str | None = None
    active: bool | None = None
    invoice_address: PostalAddressInput | None = strawberry.field(
        default=None, description="Replaces the invoice address; left out: unchanged."
    )
    organisation_number: str | None = strawberry.field(
        default=None, description="Replaces the organisation number; left out: unchanged."
    )


@strawberry.input
class MembershipInputType:
    organisation_id: strawberry.ID
    roles: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class CreateUserInput:
    username: str
    email: str
    name: str
    memberships: list[MembershipInputType]
    locale: str | None = None
    password: str | None = strawberry.field(
        default=None, description="An initial password, checked against the tenant's policy."
    )
    scopes: list[str] | None = strawberry.field(
        default=None, description="Extra scopes; only platform administrators may grant them."
    )
    first_login: list[str] | None = strawberry.field(
        default=None,
        description="Steps the user must do at the first login: contact_details, password.",
    )


@strawberry.input
class ChangeUserInput:
    id: strawberry.ID
    version: int
    email: str | None = None
    name: str | None = None
    locale: str | None = None
    active: bool | None = None


@strawberry.input
class SetMembershipInput:
    user_id: strawberry.ID
    version: int
    organisation_id: strawberry.ID
    roles: list[str] = strawberry.field(
        description="Roles in the organisation; an empty list removes the membership."
    )


# -- sign-in: sessions, passwords, first login ----------------------------------------------


@strawberry.input
class LogInInput:
    login: str = strawberry.field(description="User name or e-mail.")
    password: str


@strawberry.input
class RefreshSessionInput:
    refresh_token: str


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str
    new_password_confirmation: str


@strawberry.input
class CompleteFirstLoginInput:
    version: int
    email: str | None = None
    name: str | None = None
    mobile_phone: str | None = None
    other_phone: str | None = None
    current_password: str = ""
    new_password: str | None = None
    new_password_confirmation: str | None = None


@strawberry.input
class RequireFirstLoginInput:
    user_id: strawberry.ID
    version: int
    steps: list[str] = strawberry.field(
        default_factory=lambda: ["contact_details", "password"],
        description="contact_details and/or password.",
    )


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.input
class ResetPasswordInput:
    token: str
    password: str
    password_confirmation: str


# -- invitations and registration ---------------------------------------------------------


@strawberry.input
class InviteUserInput:
    email: str
    name: str
    organisation_id: strawberry.ID
    roles: list[str] = strawberry.field(default_factory=list)
    locale: str | None = None


@strawberry.input
class RegisterWithInvitationInput:
    code: str
    email: str = strawberry.field(
        description="Prefilled from the invitation; a new address replaces the invited one."
    )
    username: str
    password: str
    password_confirmation: str


# -- the caller's own profile -------------------------------------------------------------


@strawberry.input
class UpdateMyProfileInput:
    version: int
    email: str | None = None
    name: str | None = None
    mobile_phone: str | None = strawberry.field(default=None, description="Blank clears it.")
    other_phone: str | None = strawberry.field(default=None, description="Blank clears it.")
    locale: str | None = None


@strawberry.input
class ChooseActiveOrganisationInput:
    organisation_id: strawberry.ID


# -- the employee register ---------------------------------------------------------------


@strawberry.input
class AddEmployeeInput:
    organisation_id: strawberry.ID
    first_name: str
    last_name: str
    email: str
    mobile: str | None = None
    birth_date: date | None = None
    gender: Gender | None = None
    national_id: str | None = None


@strawberry.input
class EditEmployeeInput:
    id: strawberry.ID
    version: int
    organisation_id: strawberry.ID | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile: str | None = strawberry.field(default=None, description="Blank clears it.")
    birth_date: date | None = None
    gender: Gender | None = None
    national_id: str | None = strawberry.field(
        default=None, description="A new national ID; blank removes it; null leaves it."
    )


@strawberry.input
class EmployeeStatusInput:
    id: strawberry.ID
    version: int
