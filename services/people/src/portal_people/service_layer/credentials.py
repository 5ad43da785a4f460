"""Passwords: change (with the current one), first login (Familjebostäder), reset by e-mail
(OTRS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from portal_kit.clock import Clock
from portal_kit.domain import DomainError, NotFound
from portal_kit.values import Problems

from portal_people.domain.bearer_secrets import hash_secret, new_secret
from portal_people.domain.contact import check_email
from portal_people.domain.messages import _
from portal_people.domain.tenant import Tenant
from portal_people.domain.user import (
    CONTACT_DETAILS,
    PASSWORD,
    InvalidResetToken,
    User,
    check_password,
)
from portal_people.service_layer import access
from portal_people.service_layer.directory import Directory
from portal_people.service_layer.ports import Mail
from portal_people.service_layer.sessions import Session, Sessions

# One reset mail per account per this long: asking again answers the same and sends nothing.
RESEND_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class NewPassword:
    password: str
    confirmation: str


@dataclass(frozen=True)
class ContactDetails:
    email: str | None = None
    name: str | None = None
    mobile_phone: str | None = None
    other_phone: str | None = None


def check_new_password(
    new: NewPassword,
    tenant: Tenant,
    personal: list[str],
    problems: Problems,
    *,
    field: str = "password",
) -> None:
    """Policy and confirmation problems, all at once, named after the caller's input fields: the
    new password's (`password`, `newPassword`) and its confirmation's, which every input calls
    after it (`passwordConfirmation`, `newPasswordConfirmation`)."""
    try:
        check_password(new.password, tenant.configuration.password_policy, personal=personal)
    except DomainError as problem:
        problem.field = field
        problems.add(problem)
    if new.password != new.confirmation:
        problems.add(
            DomainError(
                _("the passwords do not match"),
                field=f"{field}Confirmation",
                code="PASSWORD_MISMATCH",
            )
        )


def wrong_current_password() -> DomainError:
    return DomainError(
        _("the current password is wrong"), field="currentPassword", code="WRONG_PASSWORD"
    )


def _personal(user: User) -> list[str]:
    return [user.username, user.email, user.name]


class Credentials:
    def __init__(
        self,
        directory: Directory,
        *,
        sessions: Sessions,
        mail: Mail,
        reset_minutes: int,
        clock: Clock,
    ) -> None:
        self.directory = directory
        self.sessions = sessions
        self.mail = mail
        self.reset_minutes = reset_minutes
        self.clock = clock

    async def change_password(self, current: str, new: NewPassword) -> Session:
        """Needs the current password; ends every other session and opens a new one."""
        user = await self.directory.caller()
        tenant = await self.directory.own_tenant()
        problems = Problems()
        if not await self.directory.passwords.verify(user.password_hash, current[:1024]):
            problems.add(wrong_current_password())
        check_new_password(new, tenant, _personal(user), problems, field="newPassword")
        problems.raise_if_any()
        user.change_password(await self.directory.passwords.hash(new.password))
        await self.directory.users.save(user)
        return await self.sessions.open(user)

    async def complete_first_login(
        self, version: int, contact: ContactDetails, current: str, new: NewPassword | None
    ) -> Session:
        """Confirm (and maybe correct) the contact details and choose a new password, in one go
        as the Familjebostäder form does; then the user gets a normal session."""
        user = await self.directory.caller()
        if not user.first_login:
            # Not one field's fault (the input has no `id`): the whole request is moot.
            raise DomainError(_("there is no first login to complete"), code="NO_CHANGE")
        tenant = await self.directory.own_tenant()
        problems = Problems()
        if PASSWORD in user.first_login:
            if new is None:
                problems.add(
                    DomainError(_("choose a new password"), field="newPassword", code="REQUIRED")
                )
            else:
                check_new_password(new, tenant, _personal(user), problems, field="newPassword")
                if new.password == current:
                    problems.add(
                        DomainError(
                            _("choose a password other than the one you were given"),
                            field="newPassword",
                            code="PASSWORD_UNCHANGED",
                        )
                    )
            if not await self.directory.passwords.verify(user.password_hash, current[:1024]):
                problems.add(wrong_current_password())
        user.version = version
        problems.check(
            lambda: user.update_profile(
                tenant.configuration,
                email=contact.email,
                name=contact.name,
                mobile_phone=contact.mobile_phone,
                other_phone=contact.other_phone,
                confirm_contact_details=CONTACT_DETAILS in user.first_login,
            ),
            None,
        )
        problems.raise_if_any()
        await self.directory.require_unique(user)
        if new is not None and PASSWORD in user.first_login:
            user.change_password(await self.directory.passwords.hash(new.password))
        await self.directory.users.save(user)
        return await self.sessions.open(user)

    async def require_first_login(self, user_id: str, version: int, steps: list[str]) -> User:
        user = await self.directory.user(user_id)
        if user is None:
            raise NotFound(_("no such user"), field="userId")
        access.require_staff(self.directory.principal, self.directory.principal.tenant)
        user.version = version
        user.require_first_login(steps)
        await self.directory.users.save(user)
        return user

    async def request_password_reset(self, email: str) -> None:
        """Anonymous. The answer is the same whether or not the address belongs to someone."""
        try:
            address = check_email(email)
        except DomainError:
            address = email[:320]
        user = await self.directory.users.by_email(address)
        now = self.clock()
        if user is None or not user.active:
            return
        if user.reset is not None and now - user.reset.requested_at < RESEND_AFTER:
            return
        token = new_secret()
        lifetime = timedelta(minutes=self.reset_minutes)
        user.request_password_reset(hash_secret(token), now, lifetime)
        await self.directory.users.save(user)
        tenant = await self.directory.own_tenant()
        await self.mail.password_reset(
            to=user.email,
            locale=user.locale,
            name=user.name,
            portal=tenant.name,
            tenant=tenant.id,
            token=token,
            minutes=self.reset_minutes,
        )

    async def reset_password(self, token: str, new: NewPassword) -> None:
        """Anonymous, with the e-mailed token: single use; every refresh token of the user dies."""
        if not 20 <= len(token.strip()) <= 100:
            raise InvalidResetToken()
        token_hash = hash_secret(token.strip())
        user = await self.directory.users.by_reset_token(token_hash)
        now = self.clock()
        if user is None or not user.active:
            raise InvalidResetToken()
        user.check_reset_token(token_hash, now)
        tenant = await self.directory.own_tenant()
        problems = Problems()
        check_new_password(new, tenant, _personal(user), problems)
        problems.raise_if_any()
        user.reset_password(token_hash, await self.directory.passwords.hash(new.password), now)
        await self.directory.users.save(user)
