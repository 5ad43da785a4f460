"""What the use cases need of the world, as protocols: the MongoDB repositories and the other
adapters (`adapters/`) keep them, and so do the in-memory fakes of the fast tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from portal_kit.domain import Aggregate
from portal_kit.repository import Keyset, Page

from portal_people.domain.audit import NationalIdReveal
from portal_people.domain.employee import Employee
from portal_people.domain.invitation import Invitation
from portal_people.domain.organisation import Organisation, OrganisationKind
from portal_people.domain.partner_client import PartnerClient
from portal_people.domain.session import SessionFamily
from portal_people.domain.tenant import Tenant
from portal_people.domain.throttle import LoginThrottle
from portal_people.domain.user import User
from portal_people.service_layer.access import (
    EmployeeSearch,
    EmployeeSight,
    OrganisationSight,
    UserSight,
)

A = TypeVar("A", bound=Aggregate)


class Aggregates(Protocol[A]):
    """Load, add and save one aggregate type of one tenant (optimistic versions)."""

    async def get(self, aggregate_id: str) -> A | None: ...

    async def add(self, aggregate: A) -> None: ...

    async def save(self, aggregate: A) -> None: ...


class Tenants(Protocol):
    """The platform's tenants; each is kept as a document of its own tenant."""

    async def get(self, tenant_id: str) -> Tenant | None: ...

    async def add(self, tenant: Tenant) -> None: ...

    async def save(self, tenant: Tenant) -> None: ...

    async def every(self) -> list[Tenant]:
        """Every tenant, by id: for platform administrators."""
        ...


class Organisations(Aggregates[Organisation], Protocol):
    async def descendants(self, organisation_ids: list[str]) -> list[str]:
        """The organisations and all their departments, however deep."""
        ...

    async def departments(self, organisation_id: str) -> list[Organisation]:
        """The direct children, by name."""
        ...

    async def page_for(
        self,
        sight: OrganisationSight,
        after: Keyset | None,
        size: int,
        *,
        kind: OrganisationKind | None = None,
        parent_id: str | None = None,
    ) -> Page[Organisation]:
        """By name, then id."""
        ...


# The organisations of a tenant (platform administrators read other tenants' too).
OrganisationsOf = Callable[[str], Organisations]


class Users(Aggregates[User], Protocol):
    async def by_login(self, login: str) -> User | None:
        """By user name or e-mail, case-insensitively."""
        ...

    async def by_email(self, email: str) -> User | None: ...

    async def by_reset_token(self, token_hash: str) -> User | None: ...

    async def by_invitation(self, invitation_id: str) -> User | None: ...

    async def taken(self, user: User) -> list[str]:
        """Which of `username` and `email` another account of the tenant already has."""
        ...

    async def page_for(
        self, sight: UserSight, after: Keyset | None, size: int, *, organisation_id: str | None
    ) -> Page[User]:
        """By name, then id; only members of `organisation_id` when given."""
        ...


class SessionFamilies(Aggregates[SessionFamily], Protocol): ...


class Throttles(Aggregates[LoginThrottle], Protocol): ...


class PartnerClientRecords(Aggregates[PartnerClient], Protocol):
    async def every(self) -> list[PartnerClient]:
        """The tenant's clients, revoked ones too, oldest first."""
        ...


class Invitations(Aggregates[Invitation], Protocol):
    async def by_code(self, code_hash: str) -> Invitation | None: ...

    async def mark_redeemed(self, invitation_id: str, user_id: str) -> None:
        """Keep the invitation's own status in step with the stored account; repeatable."""
        ...


class EmployeeRecords(Aggregates[Employee], Protocol):
    async def visible(self, sight: EmployeeSight, employee_id: str) -> Employee | None: ...

    async def page_for(
        self, search: EmployeeSearch, after: Keyset | None, size: int
    ) -> Page[Employee]:
        """By last name, first name, then id."""
        ...


class Reveals(Protocol):
    async def add(self, reveal: NationalIdReveal) -> None: ...


class AccessTokens(Protocol):
    def issue_access_token(self, user: User, *, session_id: str | None = None) -> tuple[str, int]:
        """A signed access token for the user (of the session `session_id`, its `sid`) and its
        lifetime in seconds."""
        ...

    def issue_client_token(self, client: PartnerClient, scopes: tuple[str, ...]) -> tuple[str, int]:
        """A signed access token for a partner client with these of its scopes."""
        ...


class Passwords(Protocol):
    """Slow, salted password hashes."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """False for no hash, after as long as a real check takes (no account is revealed)."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Made with older parameters: to be replaced at the next successful login."""
        ...


class Cipher(Protocol):
    """Encryption of one value bound to a context (tenant and record)."""

    def seal(self, value: str, context: str) -> str: ...

    def open(self, sealed: str, context: str) -> str: ...


class Mail(Protocol):
    """The e-mails people get; each answers whether it went out."""

    async def invitation(
        self,
        *,
        to: str,
        locale: str,
        name: str,
        portal: str,
        tenant: str,
        organisation: str,
        code: str,
        days: int,
    ) -> bool: ...

    async def password_reset(
        self, *, to: str, locale: str, name: str, portal: str, tenant: str, token: str, minutes: int
    ) -> bool: ...


class TicketCircles(Protocol):
    """Who shares a ticket with a user (people's facts of tickets, from their events)."""

    async def around(self, user_id: str, organisations: Sequence[str]) -> tuple[set[str], set[str]]:
        """(users, organisations): the creators and followers of the tickets the user sees by
        taking part (creator, follower) or as a member of the ticket's organisation (not
        private); and the organisations of the tickets the user follows or created."""
        ...
