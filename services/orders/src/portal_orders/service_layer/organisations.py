"""The local read model of the people service's organisations, kept from people's events: id,
kind, parent, active. It lets a parent organisation see its departments' orders."""

from __future__ import annotations

from portal_orders.service_layer.ports import Organisations


class OrganisationRegister:
    """What one tenant's organisation events change in the read model; each change is a `$set`
    of the same values, so a repeated event changes nothing (idempotent)."""

    def __init__(self, organisations: Organisations) -> None:
        self.organisations = organisations

    async def created(self, organisation_id: str, *, kind: object, parent_id: object) -> None:
        await self.organisations.upsert(
            organisation_id, {"kind": kind, "parent_id": parent_id, "active": True}
        )

    async def updated(self, organisation_id: str, *, active: bool) -> None:
        await self.organisations.upsert(organisation_id, {"active": active})
