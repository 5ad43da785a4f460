"""In-memory fakes of the people service's ports (`portal_people.service_layer.ports`), built
on the kit's `InMemoryAggregates`, and a composition of the use cases over them: what
`bootstrap.PeopleService` does with MongoDB, without MongoDB, NATS or HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page
from portal_kit.testing.fakes import InMemoryAggregates
from portal_people.domain.organisation import Organisation, OrganisationKind
from portal_people.domain.session import SessionFamily
from portal_people.domain.tenant import Tenant
from portal_people.domain.throttle import ACCOUNT, ADDRESS, PAIR, LoginThrottle, ThrottlePolicy
from portal_people.domain.user import User
from portal_people.service_layer.access import OrganisationSight, UserSight
from portal_people.service_layer.directory import Directory
from portal_people.service_layer.sessions import Sessions


class FakeTenants:
    def __init__(self) -> None:
        self.stores: dict[str, InMemoryAggregates[Tenant]] = {}

    def _of(self, tenant_id: str) -> InMemoryAggregates[Tenant]:
        return self.stores.setdefault(tenant_id, InMemoryAggregates(tenant_id))

    async def get(self, tenant_id: str) -> Tenant | None:
        return await self._of(tenant_id).get(tenant_id)

    async def add(self, tenant: Tenant) -> None:
        await self._of(tenant.id).add(tenant)

    async def save(self, tenant: Tenant) -> None:
        await self._of(tenant.id).save(tenant)

    async def every(self) -> list[Tenant]:
        return [t for _, store in sorted(self.stores.items()) for t in store.matching(bool)]


def _by_name(organisation: Organisation) -> str:
    return organisation.name.casefold()


class FakeOrganisations(InMemoryAggregates[Organisation]):
    async def descendants(self, organisation_ids: list[str]) -> list[str]:
        found = list(dict.fromkeys(organisation_ids))
        frontier = found
        while frontier:
            children = self.matching(lambda o, parents=frontier: o.parent_id in parents)
            frontier = [c.id for c in children if c.id not in found]
            found.extend(frontier)
        return found

    async def departments(self, organisation_id: str) -> list[Organisation]:
        children = self.matching(lambda o: o.parent_id == organisation_id)
        return sorted(children, key=lambda o: (_by_name(o), o.id))

    async def page_for(
        self,
        sight: OrganisationSight,
        after: Keyset | None,
        size: int,
        *,
        kind: OrganisationKind | None = None,
        parent_id: str | None = None,
    ) -> Page[Organisation]:
        seen = self.matching(
            lambda o: (
                sight.includes(o.id)
                and (kind is None or o.kind is kind)
                and (parent_id is None or o.parent_id == parent_id)
            )
        )
        return self.page_of(seen, after, sort_value=_by_name, size=size)


class FakeUsers(InMemoryAggregates[User]):
    def _first(self, wanted: Callable[[User], bool]) -> User | None:
        found = self.matching(wanted)
        return found[0] if found else None

    async def by_login(self, login: str) -> User | None:
        key = login.strip().casefold()
        return self._first(lambda u: key in (u.username.casefold(), u.email.casefold()))

    async def by_email(self, email: str) -> User | None:
        key = email.strip().casefold()
        return self._first(lambda u: u.email.casefold() == key)

    async def by_reset_token(self, token_hash: str) -> User | None:
        return self._first(lambda u: u.reset is not None and u.reset.token_hash == token_hash)

    async def by_invitation(self, invitation_id: str) -> User | None:
        return self._first(lambda u: u.invitation_id == invitation_id)

    async def taken(self, user: User) -> list[str]:
        others = self.matching(lambda u: u.id != user.id)
        return [
            name
            for name, value in (("username", user.username), ("email", user.email))
            if any(getattr(o, name).casefold() == value.casefold() for o in others)
        ]

    async def page_for(
        self, sight: UserSight, after: Keyset | None, size: int, *, organisation_id: str | None
    ) -> Page[User]:
        seen = self.matching(
            lambda u: (
                sight.includes(u)
                and (
                    organisation_id is None
                    or any(m.organisation_id == organisation_id for m in u.memberships)
                )
            )
        )
        return self.page_of(seen, after, sort_value=lambda u: u.name.casefold(), size=size)


class FakePasswords:
    """Hashes that are not slow (argon2 is the real adapter's business)."""

    async def hash(self, password: str) -> str:
        return "hashed:" + password

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return password_hash is not None and password_hash == "hashed:" + password

    def needs_rehash(self, password_hash: str) -> bool:
        return False


class FakeTokens:
    """Access tokens that name their user; the real issuer signs the same claims."""

    def issue_access_token(self, user: User, *, session_id: str | None = None) -> tuple[str, int]:
        return f"access-token-of-{user.id}", 900


@dataclass
class Clock:
    """A clock the test moves forward."""

    now: datetime = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@dataclass
class FakePeople:
    """One tenant's stores, and the use cases of any caller over them."""

    tenant: str
    clock: Clock = field(default_factory=Clock)
    tenants: FakeTenants = field(default_factory=FakeTenants)
    account_max_failures: int = 5

    def __post_init__(self) -> None:
        self.organisations = FakeOrganisations(self.tenant)
        self.users = FakeUsers(self.tenant)
        self.families = InMemoryAggregates[SessionFamily](self.tenant)
        self.throttles = InMemoryAggregates[LoginThrottle](self.tenant)

    def directory(self, principal: Principal) -> Directory:
        return Directory(
            principal,
            tenants=self.tenants,
            organisations_of=lambda _: self.organisations,
            users=self.users,
            passwords=FakePasswords(),
        )

    def sessions(self, principal: Principal) -> Sessions:
        def policy(max_failures: int) -> ThrottlePolicy:
            return ThrottlePolicy(
                max_failures=max_failures,
                window=timedelta(minutes=15),
                lock=timedelta(minutes=1),
                max_lock=timedelta(minutes=15),
            )

        return Sessions(
            self.directory(principal),
            families=self.families,
            throttles=self.throttles,
            tokens=FakeTokens(),
            policies={
                PAIR: policy(self.account_max_failures),
                ACCOUNT: policy(30),
                ADDRESS: policy(20),
            },
            refresh_lifetime=timedelta(days=30),
            clock=self.clock,
        )
