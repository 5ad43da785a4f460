"""MongoDB repository of partner clients (only a hash of each secret is stored)."""

from __future__ import annotations

from portal_kit.mongo import ASCENDING, Document, IndexSpec
from portal_kit.repository import AggregateRepository

from portal_people.adapters.stored_values import aware, optional_aware
from portal_people.domain.partner_client import PartnerClient

PARTNER_CLIENTS = "partner_clients"
PARTNER_CLIENT_COLLECTIONS = (PARTNER_CLIENTS,)
PARTNER_CLIENT_INDEXES = (
    IndexSpec(PARTNER_CLIENTS, (("tenant", ASCENDING), ("created_at", ASCENDING))),
)


class PartnerClientRepository(AggregateRepository[PartnerClient]):
    collection = PARTNER_CLIENTS
    service = "people"

    async def every(self) -> list[PartnerClient]:
        return await self.find({}, sort=[("created_at", ASCENDING), ("_id", ASCENDING)])

    def to_document(self, aggregate: PartnerClient) -> Document:
        return {
            "name": aggregate.name,
            "scopes": list(aggregate.scopes),
            "secret_hash": aggregate.secret_hash,
            "created_at": aggregate.created_at,
            "created_by": aggregate.created_by,
            "revoked_at": aggregate.revoked_at,
        }

    def from_document(self, document: Document) -> PartnerClient:
        return PartnerClient(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            name=document["name"],
            scopes=tuple(document.get("scopes", [])),
            secret_hash=document["secret_hash"],
            created_at=aware(document["created_at"]),
            created_by=document["created_by"],
            revoked_at=optional_aware(document.get("revoked_at")),
        )
