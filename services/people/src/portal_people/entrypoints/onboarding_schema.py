"""Invitations and registration (JM). `invitation` and `registerWithInvitation` are anonymous."""

from __future__ import annotations

from datetime import datetime

import strawberry
from portal_kit.graphql import UserError, attempt

from portal_people.domain import invitation as domain
from portal_people.entrypoints.context import Info
from portal_people.entrypoints.inputs import (
    InviteUserInput,
    RegisterWithInvitationInput,
)
from portal_people.entrypoints.types import User, UserPayload
from portal_people.service_layer.credentials import NewPassword
from portal_people.service_layer.onboarding import Registration


@strawberry.type(
    description="An invitation as its sender sees it (the code is only in the e-mail)."
)
class Invitation:
    id: strawberry.ID
    email: str
    name: str
    organisation_id: strawberry.ID
    roles: list[str]
    status: str
    expires_at: datetime
    email_sent: bool
    version: int

    @classmethod
    def of(cls, invitation: domain.Invitation, sent: bool) -> Invitation:
        return cls(
            id=strawberry.ID(invitation.id),
            email=invitation.email,
            name=invitation.name,
            organisation_id=strawberry.ID(invitation.organisation_id),
            roles=list(invitation.roles),
            status=invitation.status.value,
            expires_at=invitation.expires_at,
            email_sent=sent,
            version=invitation.version,
        )


@strawberry.type(description="What the holder of a code sees before registering.")
class InvitationPreview:
    email: str
    organisation_name: str


@strawberry.type
class InvitationPreviewPayload:
    invitation: InvitationPreview | None
    user_errors: list[UserError]


@strawberry.type
class InvitationPayload:
    invitation: Invitation | None
    user_errors: list[UserError]


@strawberry.type
class OnboardingQuery:
    @strawberry.field(description="Anonymous: the e-mail and organisation name of an invitation.")
    async def invitation(self, info: Info, code: str) -> InvitationPreviewPayload:
        found, errors = await attempt(lambda: info.context.onboarding.look_up(code))
        preview = (
            InvitationPreview(email=found.email, organisation_name=found.organisation_name)
            if found
            else None
        )
        return InvitationPreviewPayload(invitation=preview, user_errors=errors)


@strawberry.type
class OnboardingMutation:
    @strawberry.mutation(description="Staff: invite a person by e-mail to an organisation.")
    async def invite_user(self, info: Info, input: InviteUserInput) -> InvitationPayload:
        result, errors = await attempt(
            lambda: info.context.onboarding.invite(
                email=input.email,
                name=input.name,
                organisation_id=str(input.organisation_id),
                roles=list(input.roles),
                locale=input.locale,
            )
        )
        return InvitationPayload(
            invitation=Invitation.of(*result) if result else None, user_errors=errors
        )

    @strawberry.mutation(description="Anonymous: redeem an invitation code into an account.")
    async def register_with_invitation(
        self, info: Info, input: RegisterWithInvitationInput
    ) -> UserPayload:
        registration = Registration(
            code=input.code,
            email=input.email,
            username=input.username,
            password=NewPassword(input.password, input.password_confirmation),
        )
        found, errors = await attempt(lambda: info.context.onboarding.register(registration))
        return UserPayload(user=User.of(found) if found else None, user_errors=errors)
