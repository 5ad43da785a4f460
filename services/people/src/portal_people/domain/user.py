"""Users: accounts with memberships in organisations and roles there."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from portal_kit.domain import Aggregate, DomainError, new_id
from portal_kit.values import Problems

from portal_people.domain.contact import check_email, check_phone
from portal_people.domain.events import (
    FirstLoginCompleted,
    FirstLoginRequired,
    MembershipChanged,
    PasswordChanged,
    PasswordReset,
    PasswordResetRequested,
    UserCreated,
    UserRegistered,
    UserUpdated,
)
from portal_people.domain.messages import _
from portal_people.domain.organisation import Organisation, OrganisationKind
from portal_people.domain.tenant import Locale, PasswordPolicy, TenantConfiguration, display_name

USERNAME = re.compile(r"^[\w.@+/-]{3,64}$")
LOCALES: tuple[Locale, ...] = ("nb", "sv", "da", "fi", "en")
# Steps of a first login (Familjebostäder): confirm contact details, choose a new password.
CONTACT_DETAILS, PASSWORD = "contact_details", "password"
FIRST_LOGIN_STEPS = (CONTACT_DETAILS, PASSWORD)


@dataclass(frozen=True)
class ResetTicket:
    """A pending password reset: only the hash of the e-mailed token is kept."""

    token_hash: str
    requested_at: datetime
    expires_at: datetime


class InvalidResetToken(DomainError):
    code = "INVALID_TOKEN"

    def __init__(self) -> None:
        super().__init__(
            _("this link is used, expired or unknown; ask for a new one"), field="token"
        )


@dataclass(frozen=True)
class UserMembership:
    organisation_id: str
    organisation_kind: OrganisationKind
    roles: tuple[str, ...]


def check_username(username: str) -> str:
    cleaned = username.strip()
    if not USERNAME.match(cleaned):
        raise DomainError(
            _("a user name is 3-64 letters, digits or . @ + / - _"),
            field="username",
            code="INVALID",
        )
    return cleaned


def check_locale(locale: str, configuration: TenantConfiguration) -> Locale:
    for offered in configuration.locales:
        if offered == locale:
            return offered
    raise DomainError(_("this portal does not offer that language"), field="locale")


def check_roles(roles: list[str], configuration: TenantConfiguration) -> tuple[str, ...]:
    unknown = sorted(set(roles) - set(configuration.roles))
    if unknown:
        raise DomainError(
            _("unknown roles: {roles}", roles=", ".join(unknown)),
            field="roles",
            code="UNKNOWN_ROLE",
        )
    return tuple(sorted(set(roles)))


@dataclass(kw_only=True)
class User(Aggregate):
    username: str
    email: str
    name: str
    locale: Locale
    memberships: list[UserMembership] = field(default_factory=list)
    active: bool = True
    password_hash: str | None = None
    scopes: tuple[str, ...] = ()
    mobile_phone: str | None = None
    other_phone: str | None = None
    # Refresh tokens of an older epoch are dead: bumping it logs the user out everywhere.
    session_epoch: int = 0
    first_login: tuple[str, ...] = ()
    reset: ResetTicket | None = None
    active_organisation_id: str | None = None
    # The invitation this account was registered with: at most one account per invitation.
    invitation_id: str | None = None

    @property
    def staff(self) -> bool:
        """Operator staff are members of an operator organisation."""
        return any(m.organisation_kind is OrganisationKind.OPERATOR for m in self.memberships)

    @classmethod
    def create(
        cls,
        tenant: str,
        *,
        username: str,
        email: str,
        name: str,
        locale: str,
        memberships: list[tuple[Organisation, list[str]]],
        configuration: TenantConfiguration,
        invitation_id: str | None = None,
    ) -> User:
        problems = Problems()
        checked_username = problems.check(lambda: check_username(username), "")
        checked_email = problems.check(lambda: check_email(email), "")
        checked_name = problems.check(lambda: display_name(name), "")
        checked_locale = problems.check(
            lambda: check_locale(locale, configuration), configuration.default_locale
        )
        checked_memberships = [
            problems.check(partial(_membership, tenant, organisation, roles, configuration), None)
            for organisation, roles in memberships
        ]
        problems.raise_if_any()
        member_of = [m for m in checked_memberships if m is not None]
        user = cls(
            id=new_id(),
            tenant=tenant,
            username=checked_username,
            email=checked_email,
            name=checked_name,
            locale=checked_locale,
            memberships=member_of,
            invitation_id=invitation_id,
        )
        organisation_ids = [m.organisation_id for m in member_of]
        if invitation_id is None:
            user.record(UserCreated(user_id=user.id, organisation_ids=organisation_ids))
        else:
            user.record(
                UserRegistered(
                    user_id=user.id, organisation_ids=organisation_ids, invitation_id=invitation_id
                )
            )
        return user

    def change(
        self,
        configuration: TenantConfiguration,
        *,
        email: str | None = None,
        name: str | None = None,
        locale: str | None = None,
        active: bool | None = None,
    ) -> None:
        changed: list[str] = []
        if email is not None and check_email(email) != self.email:
            self.email = check_email(email)
            changed.append("email")
        if name is not None and display_name(name) != self.name:
            self.name = display_name(name)
            changed.append("name")
        if locale is not None and locale != self.locale:
            self.locale = check_locale(locale, configuration)
            changed.append("locale")
        if active is not None and active != self.active:
            self.active = active
            changed.append("active")
        if changed:
            self.record(UserUpdated(user_id=self.id, changed=changed, active=self.active))

    def update_profile(
        self,
        configuration: TenantConfiguration,
        *,
        email: str | None = None,
        name: str | None = None,
        mobile_phone: str | None = None,
        other_phone: str | None = None,
        locale: str | None = None,
        confirm_contact_details: bool = False,
    ) -> None:
        """The user's own contact details; phones are normalised for the tenant's country.
        Every field is checked before anything changes, and all problems are reported."""
        problems = Problems()
        checks: list[tuple[str, Callable[[], object]]] = []
        if email is not None:
            checks.append(("email", lambda: check_email(email)))
        if name is not None:
            checks.append(("name", lambda: display_name(name)))
        if mobile_phone is not None:
            checks.append(
                (
                    "mobile_phone",
                    lambda: check_phone(mobile_phone, configuration.country, field="mobilePhone"),
                )
            )
        if other_phone is not None:
            checks.append(
                (
                    "other_phone",
                    lambda: check_phone(other_phone, configuration.country, field="otherPhone"),
                )
            )
        if locale is not None:
            checks.append(("locale", lambda: check_locale(locale, configuration)))
        values = {key: problems.check(check, None) for key, check in checks}
        problems.raise_if_any()
        changed = [key for key, value in values.items() if getattr(self, key) != value]
        for key in changed:
            setattr(self, key, values[key])
        if changed:
            self.record(UserUpdated(user_id=self.id, changed=changed, active=self.active))
        if confirm_contact_details:
            self._step_done(CONTACT_DETAILS)

    def require_first_login(self, steps: list[str]) -> None:
        wanted = tuple(s for s in FIRST_LOGIN_STEPS if s in steps)
        unknown = set(steps) - set(FIRST_LOGIN_STEPS)
        if unknown or not wanted:
            raise DomainError(
                _("first-login steps are: {steps}", steps=", ".join(FIRST_LOGIN_STEPS)),
                field="steps",
            )
        self.first_login = wanted
        self.record(FirstLoginRequired(user_id=self.id, steps=list(wanted)))

    def _step_done(self, step: str) -> None:
        if step not in self.first_login:
            return
        self.first_login = tuple(s for s in self.first_login if s != step)
        if not self.first_login:
            self.record(FirstLoginCompleted(user_id=self.id))

    def change_password(self, password_hash: str) -> None:
        """A new password ends every other session (refresh tokens of the old epoch)."""
        self.password_hash = password_hash
        self.session_epoch += 1
        self.reset = None
        self.record(PasswordChanged(user_id=self.id))
        self._step_done(PASSWORD)

    def request_password_reset(self, token_hash: str, now: datetime, lifetime: timedelta) -> None:
        self.reset = ResetTicket(token_hash=token_hash, requested_at=now, expires_at=now + lifetime)
        self.record(
            PasswordResetRequested(user_id=self.id, expires_at=self.reset.expires_at.isoformat())
        )

    def check_reset_token(self, token_hash: str, now: datetime) -> None:
        ticket = self.reset
        if ticket is None or ticket.token_hash != token_hash or ticket.expires_at <= now:
            raise InvalidResetToken()

    def reset_password(self, token_hash: str, password_hash: str, now: datetime) -> None:
        """Single use: the ticket goes with the change, in the same write."""
        self.check_reset_token(token_hash, now)
        self.password_hash = password_hash
        self.session_epoch += 1
        self.reset = None
        self.record(PasswordReset(user_id=self.id))
        self._step_done(PASSWORD)

    def choose_active_organisation(self, organisation_id: str) -> None:
        if organisation_id not in {m.organisation_id for m in self.memberships}:
            raise DomainError(_("no such organisation"), field="organisationId", code="NOT_FOUND")
        if organisation_id != self.active_organisation_id:
            self.active_organisation_id = organisation_id
            self.record(
                UserUpdated(user_id=self.id, changed=["active_organisation"], active=self.active)
            )

    def set_membership(
        self, organisation: Organisation, roles: list[str], configuration: TenantConfiguration
    ) -> None:
        """Roles for one organisation; no roles removes the membership."""
        others = [m for m in self.memberships if m.organisation_id != organisation.id]
        if roles:
            others.append(_membership(self.tenant, organisation, roles, configuration))
        elif len(others) == len(self.memberships):
            raise DomainError(_("the user is not a member there"), field="organisationId")
        self.memberships = others
        if self.active_organisation_id not in {m.organisation_id for m in others}:
            self.active_organisation_id = None
        self.record(
            MembershipChanged(
                user_id=self.id, organisation_id=organisation.id, roles=sorted(set(roles))
            )
        )


def _membership(
    tenant: str, organisation: Organisation, roles: list[str], configuration: TenantConfiguration
) -> UserMembership:
    if organisation.tenant != tenant:
        raise DomainError(_("no such organisation"), field="organisationId", code="NOT_FOUND")
    if not organisation.active:
        raise DomainError(_("the organisation is deactivated"), field="organisationId")
    return UserMembership(
        organisation_id=organisation.id,
        organisation_kind=organisation.kind,
        roles=check_roles(roles, configuration) or ("user",),
    )


def check_password(password: str, policy: PasswordPolicy, *, personal: list[str]) -> str:
    """The tenant's password policy; returns the password when it passes."""
    if len(password) < policy.min_length:
        raise DomainError(
            _("a password has at least {limit} characters", limit=policy.min_length),
            field="password",
            code="PASSWORD_TOO_SHORT",
        )
    if len(password) > policy.max_length:
        raise DomainError(
            _("a password has at most {limit} characters", limit=policy.max_length),
            field="password",
            code="PASSWORD_TOO_LONG",
        )
    if policy.forbid_personal_data:
        folded = password.casefold()
        for value in personal:
            for part in [value, *re.split(r"[@.\s_+-]+", value)]:
                if len(part) >= 4 and part.casefold() in folded:
                    raise DomainError(
                        _("a password may not contain your name, user name or e-mail"),
                        field="password",
                        code="PASSWORD_PERSONAL",
                    )
    return password
