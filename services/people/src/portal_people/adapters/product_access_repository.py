"""MongoDB repository of product access (which user or organisation has which products)."""

from __future__ import annotations

from portal_kit.mongo import ASCENDING, Document, IndexSpec
from portal_kit.repository import AggregateRepository

from portal_people.domain.product_access import HolderKind, ProductAccess

PRODUCT_ACCESS = "product_access"
PRODUCT_ACCESS_COLLECTIONS = (PRODUCT_ACCESS,)
PRODUCT_ACCESS_INDEXES = (
    IndexSpec(
        PRODUCT_ACCESS,
        (("tenant", ASCENDING), ("holder_kind", ASCENDING), ("holder_id", ASCENDING)),
        unique=True,
    ),
)


class ProductAccessRepository(AggregateRepository[ProductAccess]):
    collection = PRODUCT_ACCESS
    service = "people"

    async def of(self, holder_kind: HolderKind, holder_id: str) -> ProductAccess | None:
        found = await self.find({"holder_kind": holder_kind.value, "holder_id": holder_id})
        return found[0] if found else None

    def to_document(self, aggregate: ProductAccess) -> Document:
        return {
            "holder_kind": aggregate.holder_kind.value,
            "holder_id": aggregate.holder_id,
            "products": list(aggregate.products),
        }

    def from_document(self, document: Document) -> ProductAccess:
        return ProductAccess(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            holder_kind=HolderKind(document["holder_kind"]),
            holder_id=document["holder_id"],
            products=tuple(document.get("products", [])),
        )
