"""Organisations: operator, customers, contractors; departments are child organisations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portal_kit.domain import Aggregate, DomainError, new_id

from portal_people.domain.events import OrganisationCreated, OrganisationUpdated
from portal_people.domain.tenant import display_name


class OrganisationKind(StrEnum):
    OPERATOR = "operator"
    CUSTOMER = "customer"
    CONTRACTOR = "contractor"


@dataclass(kw_only=True)
class Organisation(Aggregate):
    name: str
    kind: OrganisationKind
    parent_id: str | None = None
    active: bool = True

    @classmethod
    def create(
        cls,
        tenant: str,
        name: str,
        kind: OrganisationKind,
        parent: Organisation | None = None,
    ) -> Organisation:
        if parent is not None:
            if parent.tenant != tenant:
                raise DomainError("no such organisation", field="parentId", code="NOT_FOUND")
            if parent.kind is not kind:
                raise DomainError(
                    "a department is of the same kind as its parent organisation",
                    field="kind",
                )
        organisation = cls(
            id=new_id(),
            tenant=tenant,
            name=display_name(name),
            kind=kind,
            parent_id=parent.id if parent else None,
        )
        organisation.record(
            OrganisationCreated(
                organisation_id=organisation.id,
                kind=kind.value,
                display_name=organisation.name,
                parent_id=organisation.parent_id,
            )
        )
        return organisation

    def change(self, *, name: str | None = None, active: bool | None = None) -> None:
        changed: list[str] = []
        if name is not None and display_name(name) != self.name:
            self.name = display_name(name)
            changed.append("name")
        if active is not None and active != self.active:
            self.active = active
            changed.append("active")
        if changed:
            self.record(
                OrganisationUpdated(organisation_id=self.id, changed=changed, active=self.active)
            )
