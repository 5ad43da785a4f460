"""Use cases of product access: staff say which products a user or a customer organisation
has access to; the holder (and staff) read it. Each change is a `product_access.changed` event
the tickets service keeps a read model of."""

from __future__ import annotations

from typing import Protocol

from portal_kit.domain import NotFound
from portal_kit.messages import Messages

from portal_people.domain.product_access import HolderKind, ProductAccess, check_products
from portal_people.service_layer import access
from portal_people.service_layer.directory import Directory

_ = Messages("portal_people")


class ProductAccessRecords(Protocol):
    """The product access of one tenant's holders (MongoDB in `adapters/`)."""

    async def of(self, holder_kind: HolderKind, holder_id: str) -> ProductAccess | None: ...

    async def add(self, aggregate: ProductAccess) -> None: ...

    async def save(self, aggregate: ProductAccess) -> None: ...


class ProductAccessDesk:
    def __init__(self, directory: Directory, records: ProductAccessRecords) -> None:
        self.directory = directory
        self.records = records

    async def _require_holder(self, kind: HolderKind, holder_id: str) -> None:
        if kind is HolderKind.USER:
            found: object = await self.directory.user(holder_id)
        else:
            found = await self.directory.organisation(holder_id)
        if found is None:
            raise NotFound(_("no such user or organisation"), field="holderId")

    async def set_products(
        self, kind: HolderKind, holder_id: str, products: list[str]
    ) -> ProductAccess:
        principal = self.directory.principal
        access.require_staff(principal, principal.tenant)
        checked = check_products(products)
        await self._require_holder(kind, holder_id)
        record = await self.records.of(kind, holder_id)
        if record is None:
            record = ProductAccess.new(principal.tenant, kind, holder_id)
            record.grant(checked)
            await self.records.add(record)
        elif record.grant(checked):
            await self.records.save(record)
        return record

    async def products(self, kind: HolderKind, holder_id: str) -> ProductAccess | None:
        """The holder's products, for staff, the user themselves and their organisations'
        members; None for anyone else, as for a holder without any."""
        principal = self.directory.principal
        mine = (kind is HolderKind.USER and holder_id == principal.user) or (
            kind is HolderKind.ORGANISATION and holder_id in principal.organisations
        )
        if not (principal.is_staff or mine):
            return None
        return await self.records.of(kind, holder_id)
