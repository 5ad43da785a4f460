"""Events of the people service. Ids, codes and non-sensitive summaries only."""

from __future__ import annotations

from typing import Any, ClassVar

from portal_kit.events import DomainEvent
from pydantic import Field


class TenantCreated(DomainEvent):
    aggregate: ClassVar[str] = "tenant"
    name: ClassVar[str] = "created"
    tenant_id: str = Field(description="The tenant's (portal's) id.")
    display_name: str = Field(
        description="The name shown for it (an organisation's or tenant's name, not a person's)."
    )
    country: str = Field(description="ISO 3166-1 alpha-2 country code of the tenant.")
    configuration: dict[str, Any] = Field(
        description="The tenant's configuration (features, locales, rules) after the change."
    )


class TenantConfigurationChanged(DomainEvent):
    aggregate: ClassVar[str] = "tenant"
    name: ClassVar[str] = "configuration_changed"
    tenant_id: str = Field(description="The tenant's (portal's) id.")
    configuration: dict[str, Any] = Field(
        description="The tenant's configuration (features, locales, rules) after the change."
    )


class OrganisationCreated(DomainEvent):
    aggregate: ClassVar[str] = "organisation"
    name: ClassVar[str] = "created"
    organisation_id: str = Field(description="The organisation's id.")
    kind: str = Field(
        description="The organisation's kind code (e.g. customer, department, contractor)."
    )
    display_name: str = Field(
        description="The name shown for it (an organisation's or tenant's name, not a person's)."
    )
    parent_id: str | None = Field(
        description="The parent organisation's id (None: a top-level organisation)."
    )
    # The business registry number (billing's invoices carry it); never a person's number.
    organisation_number: str | None = Field(
        default=None,
        description="The business registry number (never a person's number); None: not known.",
    )


class OrganisationUpdated(DomainEvent):
    aggregate: ClassVar[str] = "organisation"
    name: ClassVar[str] = "updated"
    organisation_id: str = Field(description="The organisation's id.")
    changed: list[str] = Field(
        description="The names of the fields that changed (never their values)."
    )
    active: bool = Field(description="Whether it is active after the change.")
    # The name after the change, so read models (orders' contractor sort) follow a rename.
    display_name: str = Field(description="The organisation's name after the change.")
    organisation_number: str | None = Field(
        default=None,
        description="The business registry number (never a person's number); None: not known.",
    )


class UserCreated(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "created"
    user_id: str = Field(description="The user's (account's) opaque id.")
    organisation_ids: list[str] = Field(description="The organisations the user is a member of.")


class UserUpdated(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "updated"
    user_id: str = Field(description="The user's (account's) opaque id.")
    changed: list[str] = Field(
        description="The names of the fields that changed (never their values)."
    )
    active: bool = Field(description="Whether it is active after the change.")


class MembershipChanged(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "membership_changed"
    user_id: str = Field(description="The user's (account's) opaque id.")
    organisation_id: str = Field(description="The organisation whose membership changed.")
    roles: list[str] = Field(
        description="The role codes after the change (empty: no longer a member)."
    )


class UserRegistered(DomainEvent):
    """A person redeemed an invitation and now has an account."""

    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "registered"
    user_id: str = Field(description="The user's (account's) opaque id.")
    organisation_ids: list[str] = Field(description="The organisations the user is a member of.")
    invitation_id: str = Field(description="The invitation's id.")


class PasswordChanged(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "password_changed"
    user_id: str = Field(description="The user's (account's) opaque id.")


class SessionEnded(DomainEvent):
    """A login's session (refresh-token family) ended: logged out, or revoked because a used
    refresh token was shown again; or a partner client was revoked (its id is then the session
    and the user: every token it was given ends). The gateway refuses the access tokens of that
    session (their `sid` claim) from then on, as it refuses a user's older tokens after
    `user.updated` (deactivated), `user.password_changed` and `user.password_reset`."""

    aggregate: ClassVar[str] = "session"
    name: ClassVar[str] = "ended"
    session_id: str = Field(description="The session's id (the `sid` claim of its access tokens).")
    user_id: str = Field(
        description="The user's (account's) opaque id; for a partner client, the client's id."
    )
    reason: str = Field(
        description="Why it ended: logged_out, refresh_token_reused or partner_client_revoked."
    )


class PasswordResetRequested(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "password_reset_requested"
    user_id: str = Field(description="The user's (account's) opaque id.")
    expires_at: str = Field(description="When it expires (RFC 3339, UTC).")


class PasswordReset(DomainEvent):
    """The password was set with an e-mailed reset token; every refresh token is now dead."""

    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "password_reset"
    user_id: str = Field(description="The user's (account's) opaque id.")


class FirstLoginRequired(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "first_login_required"
    user_id: str = Field(description="The user's (account's) opaque id.")
    steps: list[str] = Field(description="The first-login steps the user must complete (codes).")


class FirstLoginCompleted(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "first_login_completed"
    user_id: str = Field(description="The user's (account's) opaque id.")


class LoginLocked(DomainEvent):
    """Too many failed logins. `scope`: `pair` (the account from one client address), `account`
    (the account from anywhere; user_id) or `address` (one client address; no id: personal
    data). The address itself is never in the event."""

    aggregate: ClassVar[str] = "login"
    name: ClassVar[str] = "locked"
    scope: str = Field(
        description="What is locked: pair (the account from one address), account, or address."
    )
    user_id: str | None = Field(description="The locked account's id (None for scope `address`).")
    locked_until: str = Field(description="Until when logins are refused (RFC 3339, UTC).")


class InvitationSent(DomainEvent):
    aggregate: ClassVar[str] = "invitation"
    name: ClassVar[str] = "sent"
    invitation_id: str = Field(description="The invitation's id.")
    organisation_id: str = Field(description="The organisation the invitation is to.")
    roles: list[str] = Field(description="The role codes the invitation grants.")
    invited_by: str = Field(description="The user id of who sent the invitation.")
    expires_at: str = Field(description="When it expires (RFC 3339, UTC).")


class InvitationRedeemed(DomainEvent):
    aggregate: ClassVar[str] = "invitation"
    name: ClassVar[str] = "redeemed"
    # Written in the new account's document (one atomic insert), but about the invitation.
    subject_field: ClassVar[str | None] = "invitation_id"
    invitation_id: str = Field(description="The invitation's id.")
    organisation_id: str = Field(description="The organisation the new account joined.")
    user_id: str = Field(description="The new account's id.")


class EmployeeCreated(DomainEvent):
    """For CRM sync and orders' read model of employees: ids and codes only; the CRM reads
    names and addresses through the API. Every employee event names the employee's
    organisation as it is after the change."""

    aggregate: ClassVar[str] = "employee"
    name: ClassVar[str] = "created"
    employee_id: str = Field(description="The employee's id.")
    organisation_id: str = Field(description="The employee's organisation.")
    national_id_registered: bool = Field(
        description="True when a national ID is on file (never the value)."
    )


class EmployeeUpdated(DomainEvent):
    aggregate: ClassVar[str] = "employee"
    name: ClassVar[str] = "updated"
    employee_id: str = Field(description="The employee's id.")
    organisation_id: str = Field(description="The employee's organisation after the change.")
    changed: list[str] = Field(
        description="The names of the fields that changed (never their values)."
    )
    # With `organisation_id`, the whole of what a read model keeps: each event is a snapshot,
    # so one that arrives late (a redelivery) can be told apart by its time and dropped.
    active: bool = Field(description="Whether it is active after the change.")


class EmployeeDeactivated(DomainEvent):
    aggregate: ClassVar[str] = "employee"
    name: ClassVar[str] = "deactivated"
    employee_id: str = Field(description="The employee's id.")
    organisation_id: str = Field(description="The employee's organisation.")


class EmployeeReactivated(DomainEvent):
    aggregate: ClassVar[str] = "employee"
    name: ClassVar[str] = "reactivated"
    employee_id: str = Field(description="The employee's id.")
    organisation_id: str = Field(description="The employee's organisation.")


class NationalIdRevealed(DomainEvent):
    """Audit: who saw whose full national ID, and when (never the value)."""

    aggregate: ClassVar[str] = "national_id"
    name: ClassVar[str] = "revealed"
    employee_id: str = Field(description="The employee's id.")
    revealed_by: str = Field(description="The user id of who saw the national ID.")
    revealed_at: str = Field(description="When it was revealed (RFC 3339, UTC).")
