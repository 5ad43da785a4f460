"""The local read model of the people service's organisations, kept from people's events: id,
kind, parent, active, display name. It lets a parent organisation see its departments' orders,
and lists sort by a contractor's name."""

from __future__ import annotations

from portal_orders.service_layer.ports import Organisations


class OrganisationRegister:
    """What one tenant's organisation events change in the read model. Each change carries its
    event's version (`portal_kit.versioned.event_version`) and applies only over an older one,
    so a repeated or late event (a rename redelivered after a newer one) changes nothing; kind
    and parent, never changed after creation, are filled in by a late `created` too."""

    def __init__(self, organisations: Organisations) -> None:
        self.organisations = organisations

    async def created(
        self,
        organisation_id: str,
        *,
        kind: object,
        parent_id: object,
        version: str,
        name: object = None,
    ) -> bool:
        return await self.organisations.upsert(
            organisation_id,
            {"active": True} | _name(name),
            version=version,
            facts={"kind": kind, "parent_id": parent_id},
        )

    async def updated(
        self, organisation_id: str, *, active: bool, version: str, name: object = None
    ) -> bool:
        return await self.organisations.upsert(
            organisation_id, {"active": active} | _name(name), version=version
        )


def _name(name: object) -> dict[str, object]:
    # Events from before people sent the name in updates have none: the stored one stays.
    return {"name": name} if isinstance(name, str) and name.strip() else {}
