"""The caller's own profile and the choice of active organisation."""

from __future__ import annotations

import strawberry
from portal_kit.graphql import UserError, attempt

from portal_people.entrypoints.auth_schema import SessionPayload, session_payload
from portal_people.entrypoints.context import Info
from portal_people.entrypoints.inputs import (
    ChooseActiveOrganisationInput,
    UpdateMyProfileInput,
)
from portal_people.entrypoints.types import User, UserPayload
from portal_people.service_layer.credentials import ContactDetails


@strawberry.type
class ActiveOrganisationPayload:
    user: User | None
    session: SessionPayload | None
    user_errors: list[UserError]


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description="Change your own contact details and language.")
    async def update_my_profile(self, info: Info, input: UpdateMyProfileInput) -> UserPayload:
        contact = ContactDetails(
            email=input.email,
            name=input.name,
            mobile_phone=input.mobile_phone,
            other_phone=input.other_phone,
        )
        found, errors = await attempt(
            lambda: info.context.profile.update(input.version, contact, input.locale)
        )
        return UserPayload(user=User.of(found) if found else None, user_errors=errors)

    @strawberry.mutation(description="Choose which of your organisations you act for.")
    async def choose_active_organisation(
        self, info: Info, input: ChooseActiveOrganisationInput
    ) -> ActiveOrganisationPayload:
        result, errors = await attempt(
            lambda: info.context.profile.choose_active_organisation(str(input.organisation_id))
        )
        if result is None:
            return ActiveOrganisationPayload(user=None, session=None, user_errors=errors)
        user, session = result
        return ActiveOrganisationPayload(
            user=User.of(user), session=session_payload((session, [])), user_errors=[]
        )
