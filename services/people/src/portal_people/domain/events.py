"""Events of the people service. Ids, codes and non-sensitive summaries only."""

from __future__ import annotations

from typing import Any, ClassVar

from portal_kit.events import DomainEvent


class TenantCreated(DomainEvent):
    aggregate: ClassVar[str] = "tenant"
    name: ClassVar[str] = "created"
    tenant_id: str
    display_name: str
    country: str
    configuration: dict[str, Any]


class TenantConfigurationChanged(DomainEvent):
    aggregate: ClassVar[str] = "tenant"
    name: ClassVar[str] = "configuration_changed"
    tenant_id: str
    configuration: dict[str, Any]


class OrganisationCreated(DomainEvent):
    aggregate: ClassVar[str] = "organisation"
    name: ClassVar[str] = "created"
    organisation_id: str
    kind: str
    display_name: str
    parent_id: str | None


class OrganisationUpdated(DomainEvent):
    aggregate: ClassVar[str] = "organisation"
    name: ClassVar[str] = "updated"
    organisation_id: str
    changed: list[str]
    active: bool


class UserCreated(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "created"
    user_id: str
    organisation_ids: list[str]


class UserUpdated(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "updated"
    user_id: str
    changed: list[str]
    active: bool


class MembershipChanged(DomainEvent):
    aggregate: ClassVar[str] = "user"
    name: ClassVar[str] = "membership_changed"
    user_id: str
    organisation_id: str
    roles: list[str]
