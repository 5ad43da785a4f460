"""Sign-in part of the people schema: log in and out, refresh, passwords, first login.

Anonymous operations (the gateway must let them through without a token): logIn,
refreshSession, logOut, requestPasswordReset, resetPassword, passwordPolicy.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from portal_kit.graphql import UserError, attempt

from portal_people.entrypoints.context import Info
from portal_people.entrypoints.inputs import (
    ChangePasswordInput,
    CompleteFirstLoginInput,
    LogInInput,
    RefreshSessionInput,
    RequestPasswordResetInput,
    RequireFirstLoginInput,
    ResetPasswordInput,
)
from portal_people.entrypoints.types import User, UserPayload
from portal_people.service_layer.credentials import ContactDetails, NewPassword
from portal_people.service_layer.sessions import Session


@strawberry.type(
    description="Tokens of a session. Keep the refresh token secret; it is single use."
)
class SessionPayload:
    access_token: str | None
    expires_in: int | None = strawberry.field(description="Seconds until the access token expires.")
    refresh_token: str | None
    refresh_expires_at: datetime | None
    first_login_steps: list[str] = strawberry.field(
        description="Steps still to do before normal access: contact_details, password."
    )
    user_errors: list[UserError]


def session_payload(result: tuple[Session | None, list[UserError]]) -> SessionPayload:
    session, errors = result
    if session is None:
        return SessionPayload(
            access_token=None,
            expires_in=None,
            refresh_token=None,
            refresh_expires_at=None,
            first_login_steps=[],
            user_errors=errors,
        )
    return SessionPayload(
        access_token=session.access_token,
        expires_in=session.expires_in,
        refresh_token=session.refresh_token,
        refresh_expires_at=session.refresh_expires_at,
        first_login_steps=list(session.first_login),
        user_errors=errors,
    )


@strawberry.type
class DonePayload:
    """An answer that says nothing beyond 'accepted' (and the user errors, if any)."""

    ok: bool
    user_errors: list[UserError]


def done(result: tuple[object, list[UserError]]) -> DonePayload:
    return DonePayload(ok=not result[1], user_errors=result[1])


@strawberry.type
class PasswordPolicy:
    min_length: int
    max_length: int
    forbid_personal_data: bool


@strawberry.type
class AuthQuery:
    @strawberry.field(description="Anonymous: the password rules of the tenant of the request.")
    async def password_policy(self, info: Info) -> PasswordPolicy | None:
        tenant = await info.context.directory.tenants.get(info.context.principal.tenant)
        if tenant is None:
            return None
        policy = tenant.configuration.password_policy
        return PasswordPolicy(
            min_length=policy.min_length,
            max_length=policy.max_length,
            forbid_personal_data=policy.forbid_personal_data,
        )


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Anonymous: log in to the tenant of the request.")
    async def log_in(self, info: Info, input: LogInInput) -> SessionPayload:
        context = info.context
        return session_payload(
            await attempt(
                lambda: context.sessions.log_in(input.login, input.password, context.client_address)
            )
        )

    @strawberry.mutation(description="Anonymous: a used-up refresh token for new tokens.")
    async def refresh_session(self, info: Info, input: RefreshSessionInput) -> SessionPayload:
        return session_payload(
            await attempt(lambda: info.context.sessions.refresh(input.refresh_token))
        )

    @strawberry.mutation(description="End the session the refresh token belongs to.")
    async def log_out(self, info: Info, input: RefreshSessionInput) -> DonePayload:
        return done(await attempt(lambda: info.context.sessions.log_out(input.refresh_token)))

    @strawberry.mutation(description="Needs the current password; other sessions end.")
    async def change_password(self, info: Info, input: ChangePasswordInput) -> SessionPayload:
        new = NewPassword(input.new_password, input.new_password_confirmation)
        return session_payload(
            await attempt(
                lambda: info.context.credentials.change_password(input.current_password, new)
            )
        )

    @strawberry.mutation(description="Confirm contact details and choose a new password.")
    async def complete_first_login(
        self, info: Info, input: CompleteFirstLoginInput
    ) -> SessionPayload:
        contact = ContactDetails(
            email=input.email,
            name=input.name,
            mobile_phone=input.mobile_phone,
            other_phone=input.other_phone,
        )
        new = (
            NewPassword(input.new_password, input.new_password_confirmation or "")
            if input.new_password is not None
            else None
        )
        return session_payload(
            await attempt(
                lambda: info.context.credentials.complete_first_login(
                    input.version, contact, input.current_password, new
                )
            )
        )

    @strawberry.mutation(description="Staff: the user must do a first login again.")
    async def require_first_login(self, info: Info, input: RequireFirstLoginInput) -> UserPayload:
        found, errors = await attempt(
            lambda: info.context.credentials.require_first_login(
                str(input.user_id), input.version, input.steps
            )
        )
        return UserPayload(user=User.of(found) if found else None, user_errors=errors)

    @strawberry.mutation(
        description="Anonymous: e-mail a reset link; the same answer whether or not it exists."
    )
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
    ) -> DonePayload:
        return done(
            await attempt(lambda: info.context.credentials.request_password_reset(input.email))
        )

    @strawberry.mutation(description="Anonymous, with the e-mailed token: set a new password.")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> DonePayload:
        new = NewPassword(input.password, input.password_confirmation)
        return done(
            await attempt(lambda: info.context.credentials.reset_password(input.token, new))
        )
