"""Events of the people service. Ids, codes and non-sensitive summaries only."""

from __future__ import annotations

from typing import Any, ClassVar

from portal_kit.events import DomainEvent


class TenantCreated(DomainEvent):
    aggregate: ClassVar[str] = "tenant"
    name: ClassVar[str] = "created"
    tenant_id: str
    display_name: str
    country: str
    configuration: dict[str, Any]


class TenantConfigurationChanged(DomainEvent):
    aggregate: ClassVar[str] = "tenant"
    name: ClassVar[str] = "configuration_changed"
    tenant_id: str
    configuration: dict[str, Any]


class OrganisationCreated(DomainEvent):
    aggregate: ClassVar[str] = "organisation"
    name: ClassVar[str] = "created"
    organisation_id: str
    kind: str
    display_name: str
    parent_id: str | None
    # The business registry number (billing's invoices carry it); never a person's number.
    organisation_number: str | None = None


class OrganisationUpdated(DomainEvent):
    aggregate: ClassVar[str] = "organisation"
    name: ClassVar[str] = "updated"
    organisation_id: str
    changed: list[str]
    active: bool
    # The name after the change, so read models (orders' contractor sort) follow a rename.
    display_name: str
    organisation_number: str | None = None


class UserCreated(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "created"
    user_id: str
    organisation_ids: list[str]


class UserUpdated(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "updated"
    user_id: str
    changed: list[str]
    active: bool


class MembershipChanged(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "membership_changed"
    user_id: str
    organisation_id: str
    roles: list[str]


class UserRegistered(DomainEvent):
    """A person redeemed an invitation and now has an account."""

    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "registered"
    user_id: str
    organisation_ids: list[str]
    invitation_id: str


class PasswordChanged(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "password_changed"
    user_id: str


class SessionEnded(DomainEvent):
    """A login's session (refresh-token family) ended: logged out, or revoked because a used
    refresh token was shown again. The gateway refuses the access tokens of that session
    (their `sid` claim) from then on, as it refuses a user's older tokens after
    `user.updated` (deactivated), `user.password_changed` and `user.password_reset`."""

    aggregate: ClassVar[str] = "session"
    name: ClassVar[str] = "ended"
    session_id: str
    user_id: str
    reason: str  # "logged_out" or "refresh_token_reused"


class PasswordResetRequested(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "password_reset_requested"
    user_id: str
    expires_at: str


class PasswordReset(DomainEvent):
    """The password was set with an e-mailed reset token; every refresh token is now dead."""

    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "password_reset"
    user_id: str


class FirstLoginRequired(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "first_login_required"
    user_id: str
    steps: list[str]


class FirstLoginCompleted(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "first_login_completed"
    user_id: str


class LoginLocked(DomainEvent):
    """Too many failed logins. `scope`: `pair` (the account from one client address), `account`
    (the account from anywhere; user_id) or `address` (one client address; no id: personal
    data). The address itself is never in the event."""

    aggregate: ClassVar[str] = "login"
    name: ClassVar[str] = "locked"
    scope: str
    user_id: str | None
    locked_until: str


class InvitationSent(DomainEvent):
    aggregate: ClassVar[str] = "invitation"
    name: ClassVar[str] = "sent"
    invitation_id: str
    organisation_id: str
    roles: list[str]
    invited_by: str
    expires_at: str


class InvitationRedeemed(DomainEvent):
    aggregate: ClassVar[str] = "invitation"
    name: ClassVar[str] = "redeemed"
    # Written in the new account's document (one atomic insert), but about the invitation.
    subject_field: ClassVar[str | None] = "invitation_id"
    invitation_id: str
    organisation_id: str
    user_id: str


class EmployeeCreated(DomainEvent):
    """For CRM sync and orders' read model of employees: ids and codes only; the CRM reads
    names and addresses through the API. Every employee event names the employee's
    organisation as it is after the change."""

    aggregate: ClassVar[str] = "employee"
    name: ClassVar[str] = "created"
    employee_id: str
    organisation_id: str
    national_id_registered: bool


class EmployeeUpdated(DomainEvent):
    aggregate: ClassVar[str] = "employee"
    name: ClassVar[str] = "updated"
    employee_id: str
    organisation_id: str
    changed: list[str]
    # With `organisation_id`, the whole of what a read model keeps: each event is a snapshot,
    # so one that arrives late (a redelivery) can be told apart by its time and dropped.
    active: bool


class EmployeeDeactivated(DomainEvent):
    aggregate: ClassVar[str] = "employee"
    name: ClassVar[str] = "deactivated"
    employee_id: str
    organisation_id: str


class EmployeeReactivated(DomainEvent):
    aggregate: ClassVar[str] = "employee"
    name: ClassVar[str] = "reactivated"
    employee_id: str
    organisation_id: str


class NationalIdRevealed(DomainEvent):
    """Audit: who saw whose full national ID, and when (never the value)."""

    aggregate: ClassVar[str] = "national_id"
    name: ClassVar[str] = "revealed"
    employee_id: str
    revealed_by: str
    revealed_at: str
