"""MongoDB repositories of the people service, one per aggregate, and the indexes they need."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from portal_kit.mongo import ASCENDING, Database, Document, IndexSpec
from portal_kit.outbox import OUTBOX
from portal_kit.repository import AggregateRepository, Keyset, Page
from pymongo.errors import DuplicateKeyError

from portal_people.adapters.auth_repositories import AUTH_COLLECTIONS, AUTH_INDEXES
from portal_people.adapters.employee_repositories import EMPLOYEE_COLLECTIONS, EMPLOYEE_INDEXES
from portal_people.adapters.partner_client_repository import (
    PARTNER_CLIENT_COLLECTIONS,
    PARTNER_CLIENT_INDEXES,
)
from portal_people.adapters.product_access_repository import (
    PRODUCT_ACCESS_COLLECTIONS,
    PRODUCT_ACCESS_INDEXES,
)
from portal_people.adapters.stored_values import aware, unique_key
from portal_people.domain.messages import _
from portal_people.domain.organisation import Organisation, OrganisationKind, PostalAddress
from portal_people.domain.tenant import Tenant, TenantConfiguration
from portal_people.domain.user import ResetTicket, User, UserMembership
from portal_people.service_layer.access import OrganisationSight, UserSight

TENANTS, ORGANISATIONS, USERS = "tenants", "organisations", "users"
OUTBOX_COLLECTIONS = (
    TENANTS,
    ORGANISATIONS,
    USERS,
    *AUTH_COLLECTIONS,
    *EMPLOYEE_COLLECTIONS,
    *PRODUCT_ACCESS_COLLECTIONS,
    *PARTNER_CLIENT_COLLECTIONS,
)

INDEXES = (
    IndexSpec(ORGANISATIONS, (("tenant", ASCENDING), ("name_key", ASCENDING), ("_id", ASCENDING))),
    IndexSpec(ORGANISATIONS, (("tenant", ASCENDING), ("parent_id", ASCENDING))),
    IndexSpec(USERS, (("tenant", ASCENDING), ("username_key", ASCENDING)), unique=True),
    IndexSpec(USERS, (("tenant", ASCENDING), ("email_key", ASCENDING)), unique=True),
    IndexSpec(USERS, (("tenant", ASCENDING), ("memberships.organisation_id", ASCENDING))),
    IndexSpec(USERS, (("tenant", ASCENDING), ("name_key", ASCENDING), ("_id", ASCENDING))),
    IndexSpec(USERS, (("tenant", ASCENDING), ("reset.token_hash", ASCENDING))),
    # One account per invitation: what keeps a code single-use when registrations race.
    IndexSpec(
        USERS,
        (("tenant", ASCENDING), ("invitation_id", ASCENDING)),
        unique=True,
        name="one_account_per_invitation",
        partial={"invitation_id": {"$type": "string"}},
    ),
    *AUTH_INDEXES,
    *EMPLOYEE_INDEXES,
    *PRODUCT_ACCESS_INDEXES,
    *PARTNER_CLIENT_INDEXES,
)

# Order settings people's tenant documents once held; the orders service owns them now (its own
# configuration documents), so stored ones are dropped when read.
RETIRED_SETTINGS = frozenset(
    {"completed_order_window_days", "order_number_format", "invoice_reference_prefix"}
)


class TenantRepository(AggregateRepository[Tenant]):
    collection = TENANTS
    service = "people"

    def to_document(self, aggregate: Tenant) -> Document:
        return {
            "name": aggregate.name,
            "configuration": aggregate.configuration.model_dump(mode="json"),
        }

    def from_document(self, document: Document) -> Tenant:
        return Tenant(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            name=document["name"],
            configuration=TenantConfiguration.model_validate(
                {k: v for k, v in document["configuration"].items() if k not in RETIRED_SETTINGS}
            ),
        )

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        return _("a tenant with this id already exists")


class TenantRegistry:
    """The platform's tenants. Each tenant's document belongs to that tenant (its id is the
    tenant id); listing every tenant is the one read across tenants, for platform admins."""

    def __init__(self, database: Database, *, on_commit: Callable[[], None]) -> None:
        self._database = database
        self._on_commit = on_commit

    def _of(self, tenant_id: str) -> TenantRepository:
        return TenantRepository(self._database, tenant_id, on_commit=self._on_commit)

    async def get(self, tenant_id: str) -> Tenant | None:
        return await self._of(tenant_id).get(tenant_id)

    async def add(self, tenant: Tenant) -> None:
        await self._of(tenant.id).add(tenant)

    async def save(self, tenant: Tenant) -> None:
        await self._of(tenant.id).save(tenant)

    async def every(self) -> list[Tenant]:
        known = self._database.system_collection(TENANTS)
        found = await known.find({}, {OUTBOX: 0}).sort("_id", 1).to_list(length=None)
        return [self._of(d["_id"]).from_document(d) for d in found]


class OrganisationRepository(AggregateRepository[Organisation]):
    collection = ORGANISATIONS
    service = "people"

    def to_document(self, aggregate: Organisation) -> Document:
        return {
            "name": aggregate.name,
            "name_key": unique_key(aggregate.name),
            "kind": aggregate.kind.value,
            "parent_id": aggregate.parent_id,
            "active": aggregate.active,
            # {street, postal_code, city}
            "invoice_address": None
            if aggregate.invoice_address is None
            else asdict(aggregate.invoice_address),
            "organisation_number": aggregate.organisation_number,
        }

    def from_document(self, document: Document) -> Organisation:
        return Organisation(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            name=document["name"],
            kind=OrganisationKind(document["kind"]),
            parent_id=document.get("parent_id"),
            active=document.get("active", True),
            invoice_address=_postal_address(document.get("invoice_address")),
            organisation_number=document.get("organisation_number"),
        )

    async def descendants(self, organisation_ids: list[str]) -> list[str]:
        """The organisations and all their departments, however deep."""
        found = list(dict.fromkeys(organisation_ids))
        frontier = found
        while frontier:
            children = await self._documents.find(
                {"parent_id": {"$in": frontier}}, projection={"_id": 1}
            )
            frontier = [c["_id"] for c in children if c["_id"] not in found]
            found.extend(frontier)
        return found

    async def departments(self, organisation_id: str) -> list[Organisation]:
        return await self.find({"parent_id": organisation_id}, sort=[("name_key", 1), ("_id", 1)])

    async def page_for(
        self,
        sight: OrganisationSight,
        after: Keyset | None,
        size: int,
        *,
        kind: OrganisationKind | None = None,
        parent_id: str | None = None,
    ) -> Page[Organisation]:
        visible: dict[str, Any] = (
            {} if sight.everything else {"_id": {"$in": list(sight.organisations)}}
        )
        if kind is not None:
            visible["kind"] = kind.value
        if parent_id is not None:
            visible["parent_id"] = parent_id
        return await self.page(visible, after, sort_key="name_key", size=size)


class UserRepository(AggregateRepository[User]):
    collection = USERS
    service = "people"

    def to_document(self, aggregate: User) -> Document:
        return {
            "username": aggregate.username,
            "username_key": unique_key(aggregate.username),
            "email": aggregate.email,
            "email_key": unique_key(aggregate.email),
            "name": aggregate.name,
            "name_key": unique_key(aggregate.name),
            "locale": aggregate.locale,
            "memberships": [
                {
                    "organisation_id": m.organisation_id,
                    "organisation_kind": m.organisation_kind.value,
                    "roles": list(m.roles),
                }
                for m in aggregate.memberships
            ],
            "active": aggregate.active,
            "password_hash": aggregate.password_hash,
            "scopes": list(aggregate.scopes),
            "mobile_phone": aggregate.mobile_phone,
            "other_phone": aggregate.other_phone,
            "session_epoch": aggregate.session_epoch,
            "first_login": list(aggregate.first_login),
            "reset": None
            if aggregate.reset is None
            else {
                "token_hash": aggregate.reset.token_hash,
                "requested_at": aggregate.reset.requested_at,
                "expires_at": aggregate.reset.expires_at,
            },
            "active_organisation_id": aggregate.active_organisation_id,
            "invitation_id": aggregate.invitation_id,
        }

    def from_document(self, document: Document) -> User:
        return User(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            username=document["username"],
            email=document["email"],
            name=document["name"],
            locale=document["locale"],
            memberships=[
                UserMembership(
                    organisation_id=m["organisation_id"],
                    organisation_kind=OrganisationKind(m["organisation_kind"]),
                    roles=tuple(m["roles"]),
                )
                for m in document.get("memberships", [])
            ],
            active=document.get("active", True),
            password_hash=document.get("password_hash"),
            scopes=tuple(document.get("scopes", ())),
            mobile_phone=document.get("mobile_phone"),
            other_phone=document.get("other_phone"),
            session_epoch=document.get("session_epoch", 0),
            first_login=tuple(document.get("first_login", ())),
            reset=_reset(document.get("reset")),
            active_organisation_id=document.get("active_organisation_id"),
            invitation_id=document.get("invitation_id"),
        )

    async def by_reset_token(self, token_hash: str) -> User | None:
        found = await self.find({"reset.token_hash": token_hash}, limit=1)
        return found[0] if found else None

    async def by_invitation(self, invitation_id: str) -> User | None:
        found = await self.find({"invitation_id": invitation_id}, limit=1)
        return found[0] if found else None

    async def by_email(self, email: str) -> User | None:
        found = await self.find({"email_key": unique_key(email.strip())}, limit=1)
        return found[0] if found else None

    async def by_login(self, login: str) -> User | None:
        key = unique_key(login.strip())
        found = await self.find({"$or": [{"username_key": key}, {"email_key": key}]}, limit=1)
        return found[0] if found else None

    async def taken(self, user: User) -> list[str]:
        taken = []
        for field, value in (("username", user.username), ("email", user.email)):
            if await self.count({f"{field}_key": unique_key(value), "_id": {"$ne": user.id}}):
                taken.append(field)
        return taken

    async def page_for(
        self, sight: UserSight, after: Keyset | None, size: int, *, organisation_id: str | None
    ) -> Page[User]:
        visible: dict[str, Any] = (
            {}
            if sight.everything
            else {
                "$or": [
                    {"_id": sight.own},
                    {"memberships.organisation_id": {"$in": list(sight.organisations)}},
                ]
            }
        )
        if organisation_id is not None:
            visible = {"$and": [visible, {"memberships.organisation_id": organisation_id}]}
        return await self.page(visible, after, sort_key="name_key", size=size)

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        details: Mapping[str, Any] = error.details or {}
        if "email_key" in str(details.get("keyPattern", details)):
            return _("a user with this e-mail already exists in this portal")
        return _("a user with this user name already exists in this portal")


def _postal_address(raw: Any) -> PostalAddress | None:
    if not raw:
        return None
    return PostalAddress(street=raw["street"], postal_code=raw["postal_code"], city=raw["city"])


def _reset(raw: Any) -> ResetTicket | None:
    if not raw:
        return None
    return ResetTicket(
        token_hash=raw["token_hash"],
        requested_at=aware(raw["requested_at"]),
        expires_at=aware(raw["expires_at"]),
    )
