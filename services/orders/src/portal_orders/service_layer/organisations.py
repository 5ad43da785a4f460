"""The local read model of the people service's organisations, kept from people's events: id,
kind, parent, active, display name. It lets a parent organisation see its departments' orders,
and lists sort by a contractor's name."""

from __future__ import annotations

from portal_orders.service_layer.ports import Organisations


class OrganisationRegister:
    """What one tenant's organisation events change in the read model; each change is a `$set`
    of the same values, so a repeated event changes nothing (idempotent)."""

    def __init__(self, organisations: Organisations) -> None:
        self.organisations = organisations

    async def created(
        self, organisation_id: str, *, kind: object, parent_id: object, name: object = None
    ) -> None:
        changes = {"kind": kind, "parent_id": parent_id, "active": True}
        await self.organisations.upsert(organisation_id, changes | _name(name))

    async def updated(self, organisation_id: str, *, active: bool, name: object = None) -> None:
        await self.organisations.upsert(organisation_id, {"active": active} | _name(name))


def _name(name: object) -> dict[str, object]:
    # Events from before people sent the name in updates have none: the stored one stays.
    return {"name": name} if isinstance(name, str) and name.strip() else {}
