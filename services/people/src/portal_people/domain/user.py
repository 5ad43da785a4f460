"""Users: accounts with memberships in organisations and roles there."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from portal_kit.domain import Aggregate, DomainError, ValidationFailed, new_id

from portal_people.domain.events import MembershipChanged, UserCreated, UserUpdated
from portal_people.domain.organisation import Organisation, OrganisationKind
from portal_people.domain.tenant import Locale, PasswordPolicy, TenantConfiguration, display_name

USERNAME = re.compile(r"^[\w.@+/-]{3,64}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
LOCALES: tuple[Locale, ...] = ("nb", "sv", "da", "fi", "en")


@dataclass(frozen=True)
class UserMembership:
    organisation_id: str
    organisation_kind: OrganisationKind
    roles: tuple[str, ...]


def check_username(username: str) -> str:
    cleaned = username.strip()
    if not USERNAME.match(cleaned):
        raise DomainError(
            "a user name is 3-64 letters, digits or . @ + / - _", field="username", code="INVALID"
        )
    return cleaned


def check_email(email: str) -> str:
    cleaned = email.strip()
    if len(cleaned) > 320 or not EMAIL.match(cleaned):
        raise DomainError("not a valid e-mail address", field="email", code="INVALID_EMAIL")
    return cleaned


def check_locale(locale: str, configuration: TenantConfiguration) -> Locale:
    for offered in configuration.locales:
        if offered == locale:
            return offered
    raise DomainError("this portal does not offer that language", field="locale")


def check_roles(roles: list[str], configuration: TenantConfiguration) -> tuple[str, ...]:
    unknown = sorted(set(roles) - set(configuration.roles))
    if unknown:
        raise DomainError(
            f"unknown roles: {', '.join(unknown)}", field="roles", code="UNKNOWN_ROLE"
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
    ) -> User:
        problems: list[DomainError] = []
        checked: dict[str, object] = {}
        checks: list[tuple[str, Callable[[], object]]] = [
            ("username", lambda: check_username(username)),
            ("email", lambda: check_email(email)),
            ("name", lambda: display_name(name)),
            ("locale", lambda: check_locale(locale, configuration)),
        ]
        for key, check in checks:
            try:
                checked[key] = check()
            except DomainError as problem:
                problems.append(problem)
        member_of: list[UserMembership] = []
        for organisation, roles in memberships:
            try:
                member_of.append(_membership(tenant, organisation, roles, configuration))
            except DomainError as problem:
                problems.append(problem)
        if problems:
            raise ValidationFailed(problems)
        user = cls(
            id=new_id(),
            tenant=tenant,
            username=str(checked["username"]),
            email=str(checked["email"]),
            name=str(checked["name"]),
            locale=check_locale(locale, configuration),
            memberships=member_of,
        )
        user.record(
            UserCreated(user_id=user.id, organisation_ids=[m.organisation_id for m in member_of])
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

    def set_membership(
        self, organisation: Organisation, roles: list[str], configuration: TenantConfiguration
    ) -> None:
        """Roles for one organisation; no roles removes the membership."""
        others = [m for m in self.memberships if m.organisation_id != organisation.id]
        if roles:
            others.append(_membership(self.tenant, organisation, roles, configuration))
        elif len(others) == len(self.memberships):
            raise DomainError("the user is not a member there", field="organisationId")
        self.memberships = others
        self.record(
            MembershipChanged(
                user_id=self.id, organisation_id=organisation.id, roles=sorted(set(roles))
            )
        )


def _membership(
    tenant: str, organisation: Organisation, roles: list[str], configuration: TenantConfiguration
) -> UserMembership:
    if organisation.tenant != tenant:
        raise DomainError("no such organisation", field="organisationId", code="NOT_FOUND")
    if not organisation.active:
        raise DomainError("the organisation is deactivated", field="organisationId")
    return UserMembership(
        organisation_id=organisation.id,
        organisation_kind=organisation.kind,
        roles=check_roles(roles, configuration) or ("user",),
    )


def check_password(password: str, policy: PasswordPolicy, *, personal: list[str]) -> str:
    """The tenant's password policy; returns the password when it passes."""
    if len(password) < policy.min_length:
        raise DomainError(
            f"a password has at least {policy.min_length} characters",
            field="password",
            code="PASSWORD_TOO_SHORT",
        )
    if len(password) > policy.max_length:
        raise DomainError(
            f"a password has at most {policy.max_length} characters",
            field="password",
            code="PASSWORD_TOO_LONG",
        )
    if policy.forbid_personal_data:
        folded = password.casefold()
        for value in personal:
            for part in [value, *re.split(r"[@.\s_+-]+", value)]:
                if len(part) >= 4 and part.casefold() in folded:
                    raise DomainError(
                        "a password may not contain your name, user name or e-mail",
                        field="password",
                        code="PASSWORD_PERSONAL",
                    )
    return password
