"""MongoDB repositories of the people service, one per aggregate, and the indexes they need."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portal_kit.mongo import ASCENDING, Document, IndexSpec
from portal_kit.repository import AggregateRepository
from pymongo.errors import DuplicateKeyError

from portal_people.adapters.auth_repositories import AUTH_COLLECTIONS, AUTH_INDEXES
from portal_people.adapters.employee_repositories import EMPLOYEE_COLLECTIONS, EMPLOYEE_INDEXES
from portal_people.adapters.folding import aware, fold
from portal_people.domain.organisation import Organisation, OrganisationKind
from portal_people.domain.tenant import Tenant, TenantConfiguration
from portal_people.domain.user import ResetTicket, User, UserMembership

TENANTS, ORGANISATIONS, USERS = "tenants", "organisations", "users"
OUTBOX_COLLECTIONS = (TENANTS, ORGANISATIONS, USERS, *AUTH_COLLECTIONS, *EMPLOYEE_COLLECTIONS)

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
)

__all__ = ["INDEXES", "OUTBOX_COLLECTIONS", "fold"]

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
        return "a tenant with this id already exists"


class OrganisationRepository(AggregateRepository[Organisation]):
    collection = ORGANISATIONS
    service = "people"

    def to_document(self, aggregate: Organisation) -> Document:
        return {
            "name": aggregate.name,
            "name_key": fold(aggregate.name),
            "kind": aggregate.kind.value,
            "parent_id": aggregate.parent_id,
            "active": aggregate.active,
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


class UserRepository(AggregateRepository[User]):
    collection = USERS
    service = "people"

    def to_document(self, aggregate: User) -> Document:
        return {
            "username": aggregate.username,
            "username_key": fold(aggregate.username),
            "email": aggregate.email,
            "email_key": fold(aggregate.email),
            "name": aggregate.name,
            "name_key": fold(aggregate.name),
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
        found = await self.find({"email_key": fold(email.strip())}, limit=1)
        return found[0] if found else None

    async def by_login(self, login: str) -> User | None:
        key = fold(login.strip())
        found = await self.find({"$or": [{"username_key": key}, {"email_key": key}]}, limit=1)
        return found[0] if found else None

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        details: Mapping[str, Any] = error.details or {}
        if "email_key" in str(details.get("keyPattern", details)):
            return "a user with this e-mail already exists in this portal"
        return "a user with this user name already exists in this portal"


def _reset(raw: Any) -> ResetTicket | None:
    if not raw:
        return None
    return ResetTicket(
        token_hash=raw["token_hash"],
        requested_at=aware(raw["requested_at"]),
        expires_at=aware(raw["expires_at"]),
    )
