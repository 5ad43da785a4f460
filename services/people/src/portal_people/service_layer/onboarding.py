"""Invitations and registration (JM): staff invite by e-mail, the person redeems the code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from portal_kit.clock import Clock
from portal_kit.domain import Conflict, DomainError, NotFound
from portal_kit.values import Problems

from portal_people.domain.bearer_secrets import hash_secret, new_secret
from portal_people.domain.contact import check_email
from portal_people.domain.invitation import InvalidInvitationCode, Invitation
from portal_people.domain.messages import _
from portal_people.domain.tenant import display_name
from portal_people.domain.user import User, check_locale, check_roles
from portal_people.service_layer import access
from portal_people.service_layer.credentials import NewPassword, check_new_password
from portal_people.service_layer.directory import Directory
from portal_people.service_layer.ports import Invitations, Mail


@dataclass(frozen=True)
class InvitationView:
    """What an anonymous holder of a code may learn: the prefilled e-mail and the organisation."""

    email: str
    organisation_name: str


@dataclass(frozen=True)
class Registration:
    code: str
    email: str
    username: str
    password: NewPassword


class Onboarding:
    def __init__(
        self,
        directory: Directory,
        *,
        invitations: Invitations,
        mail: Mail,
        invitation_days: int,
        clock: Clock,
    ) -> None:
        self.directory = directory
        self.invitations = invitations
        self.mail = mail
        self.invitation_days = invitation_days
        self.clock = clock

    async def invite(
        self, *, email: str, name: str, organisation_id: str, roles: list[str], locale: str | None
    ) -> tuple[Invitation, bool]:
        """Staff only. Returns the invitation and whether the e-mail went out."""
        principal = self.directory.principal
        access.require_staff(principal, principal.tenant)
        tenant = await self.directory.own_tenant()
        configuration = tenant.configuration
        problems = Problems()
        address = problems.check(lambda: check_email(email), "")
        display = problems.check(lambda: display_name(name), "")
        no_roles: tuple[str, ...] = ()
        granted = problems.check(lambda: check_roles(roles, configuration) or ("user",), no_roles)
        language = problems.check(
            lambda: check_locale(locale or configuration.default_locale, configuration),
            configuration.default_locale,
        )
        organisation = await self.directory.organisation(organisation_id[:64])
        if organisation is None or not organisation.active:
            problems.add(NotFound(_("no such organisation"), field="organisationId"))
        problems.raise_if_any()
        assert organisation is not None
        if await self.directory.users.by_email(address) is not None:
            raise DomainError(
                _("a user with this e-mail already exists in this portal"),
                field="email",
                code="DUPLICATE",
            )
        code = new_secret()
        invitation = Invitation.send(
            principal.tenant,
            email=address,
            name=display,
            locale=language,
            organisation=organisation,
            roles=granted,
            code_hash=hash_secret(code),
            invited_by=principal.user,
            now=self.clock(),
            lifetime=timedelta(days=self.invitation_days),
        )
        await self.invitations.add(invitation)
        sent = await self.mail.invitation(
            to=invitation.email,
            locale=invitation.locale,
            name=invitation.name,
            portal=tenant.name,
            tenant=tenant.id,
            organisation=organisation.name,
            code=code,
            days=self.invitation_days,
        )
        return invitation, sent

    async def _open_invitation(self, code: str) -> Invitation:
        cleaned = code.strip()
        if not 20 <= len(cleaned) <= 200:
            raise InvalidInvitationCode()
        invitation = await self.invitations.by_code(hash_secret(cleaned))
        if invitation is None:
            raise InvalidInvitationCode()
        invitation.check_open(self.clock())
        # The account is what redeems a code; an invitation still marked pending may have one
        # (the step that marks it was cut short): then it is used, and now marked so.
        registered = await self.directory.users.by_invitation(invitation.id)
        if registered is not None:
            await self.invitations.mark_redeemed(invitation.id, registered.id)
            raise InvalidInvitationCode()
        return invitation

    async def look_up(self, code: str) -> InvitationView:
        invitation = await self._open_invitation(code)
        return InvitationView(
            email=invitation.email, organisation_name=invitation.organisation_name
        )

    async def register(self, registration: Registration) -> User:
        """Anonymous, with the code. A changed e-mail replaces the invited one (the manual warns
        so).

        The redemption is the insert of the account: the user document carries the invitation's
        id (unique per tenant, so of two registrations racing on one code only one insert
        succeeds) and, in its outbox, both `user.registered` and `invitation.redeemed`. A
        registration that fails (a user name taken at the same instant, the code used
        meanwhile) has written nothing and announced nothing; the code stays good for a retry.
        Marking the invitation itself redeemed follows and is repeatable."""
        invitation = await self._open_invitation(registration.code)
        tenant = await self.directory.own_tenant()
        organisation = await self.directory.organisations.get(invitation.organisation_id)
        if organisation is None or not organisation.active:
            raise InvalidInvitationCode()
        problems = Problems()
        user = problems.check(
            lambda: User.create(
                tenant.id,
                username=registration.username,
                email=registration.email if registration.email.strip() else invitation.email,
                name=invitation.name,
                locale=invitation.locale,
                memberships=[(organisation, list(invitation.roles))],
                configuration=tenant.configuration,
                invitation_id=invitation.id,
            ),
            None,
        )
        personal = [registration.username, registration.email, invitation.email, invitation.name]
        check_new_password(registration.password, tenant, personal, problems)
        if user is not None:
            await self.directory.check_unique(user, problems)
        problems.raise_if_any()
        assert user is not None
        user.password_hash = await self.directory.passwords.hash(registration.password.password)
        redeemed = invitation.redeem(user.id, self.clock())
        user.record(redeemed)
        try:
            await self.directory.users.add(user)
        except Conflict:
            if await self.directory.users.by_invitation(invitation.id) is not None:
                raise InvalidInvitationCode() from None
            # Taken by someone else since the check above: name the field as the check does.
            await self.directory.require_unique(user)
            raise
        await self.invitations.mark_redeemed(invitation.id, user.id)
        return user
