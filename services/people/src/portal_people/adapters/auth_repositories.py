"""Repositories of sign-in state: refresh-token families, login throttles, invitations."""

from __future__ import annotations

from portal_kit.mongo import ASCENDING, Document, IndexSpec
from portal_kit.repository import AggregateRepository

from portal_people.adapters.stored_values import aware, optional_aware
from portal_people.domain.invitation import Invitation, InvitationStatus
from portal_people.domain.session import SessionFamily
from portal_people.domain.throttle import LoginThrottle

SESSIONS, THROTTLES, INVITATIONS = "sessions", "login_throttles", "invitations"
AUTH_COLLECTIONS = (SESSIONS, THROTTLES, INVITATIONS)
AUTH_INDEXES = (
    IndexSpec(SESSIONS, (("tenant", ASCENDING), ("user_id", ASCENDING))),
    IndexSpec(INVITATIONS, (("tenant", ASCENDING), ("code_hash", ASCENDING)), unique=True),
    IndexSpec(INVITATIONS, (("tenant", ASCENDING), ("organisation_id", ASCENDING))),
)


class SessionRepository(AggregateRepository[SessionFamily]):
    collection = SESSIONS
    service = "people"

    def to_document(self, aggregate: SessionFamily) -> Document:
        return {
            "user_id": aggregate.user_id,
            "epoch": aggregate.epoch,
            "current_hash": aggregate.current_hash,
            "used_hashes": list(aggregate.used_hashes),
            "created_at": aggregate.created_at,
            "expires_at": aggregate.expires_at,
            "revoked": aggregate.revoked,
        }

    def from_document(self, document: Document) -> SessionFamily:
        return SessionFamily(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            user_id=document["user_id"],
            epoch=document["epoch"],
            current_hash=document["current_hash"],
            used_hashes=list(document.get("used_hashes", [])),
            created_at=aware(document["created_at"]),
            expires_at=aware(document["expires_at"]),
            revoked=document.get("revoked", False),
        )


class ThrottleRepository(AggregateRepository[LoginThrottle]):
    collection = THROTTLES
    service = "people"

    def to_document(self, aggregate: LoginThrottle) -> Document:
        return {
            "scope": aggregate.scope,
            "user_id": aggregate.user_id,
            "failures": aggregate.failures,
            "window_start": aggregate.window_start,
            "locked_until": aggregate.locked_until,
            "locks": aggregate.locks,
            "known_addresses": list(aggregate.known_addresses),
        }

    def from_document(self, document: Document) -> LoginThrottle:
        return LoginThrottle(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            scope=document["scope"],
            user_id=document.get("user_id"),
            failures=document.get("failures", 0),
            window_start=optional_aware(document.get("window_start")),
            locked_until=optional_aware(document.get("locked_until")),
            locks=document.get("locks", 0),
            known_addresses=list(document.get("known_addresses", [])),
        )


class InvitationRepository(AggregateRepository[Invitation]):
    collection = INVITATIONS
    service = "people"

    def to_document(self, aggregate: Invitation) -> Document:
        return {
            "email": aggregate.email,
            "name": aggregate.name,
            "locale": aggregate.locale,
            "organisation_id": aggregate.organisation_id,
            "organisation_name": aggregate.organisation_name,
            "roles": list(aggregate.roles),
            "code_hash": aggregate.code_hash,
            "invited_by": aggregate.invited_by,
            "created_at": aggregate.created_at,
            "expires_at": aggregate.expires_at,
            "status": aggregate.status.value,
            "user_id": aggregate.user_id,
        }

    def from_document(self, document: Document) -> Invitation:
        return Invitation(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            email=document["email"],
            name=document["name"],
            locale=document["locale"],
            organisation_id=document["organisation_id"],
            organisation_name=document["organisation_name"],
            roles=tuple(document["roles"]),
            code_hash=document["code_hash"],
            invited_by=document["invited_by"],
            created_at=aware(document["created_at"]),
            expires_at=aware(document["expires_at"]),
            status=InvitationStatus(document["status"]),
            user_id=document.get("user_id"),
        )

    async def by_code(self, code_hash: str) -> Invitation | None:
        found = await self.find({"code_hash": code_hash}, limit=1)
        return found[0] if found else None

    async def mark_redeemed(self, invitation_id: str, user_id: str) -> None:
        """Records on the invitation that `user_id` was registered with it. The account (with the
        `invitation.redeemed` event) is already stored; this only keeps the invitation's own
        status in step, and may be repeated."""
        await self._documents.update_one(
            {"_id": invitation_id, "status": InvitationStatus.PENDING.value},
            {
                "$set": {"status": InvitationStatus.REDEEMED.value, "user_id": user_id},
                "$inc": {"version": 1},
            },
        )
