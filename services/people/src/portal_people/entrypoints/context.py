"""What every resolver of the people service gets: the caller and its use cases."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import strawberry
from portal_kit.http import CallerContext

from portal_people.service_layer.credentials import Credentials
from portal_people.service_layer.directory import Directory
from portal_people.service_layer.employees import Employees
from portal_people.service_layer.notifications import NotificationDesk
from portal_people.service_layer.onboarding import Onboarding
from portal_people.service_layer.partner_clients import PartnerClients
from portal_people.service_layer.product_access import ProductAccessDesk
from portal_people.service_layer.profile import Profile
from portal_people.service_layer.sessions import Sessions

if TYPE_CHECKING:
    from portal_people.bootstrap import PeopleService


@dataclass(kw_only=True)
class PeopleContext(CallerContext):
    """The use cases are made on first use, by the composition root, for this caller."""

    service: PeopleService

    @cached_property
    def directory(self) -> Directory:
        return self.service.directory(self.principal)

    @cached_property
    def sessions(self) -> Sessions:
        return self.service.sessions(self.directory)

    @cached_property
    def credentials(self) -> Credentials:
        return self.service.credentials(self.directory, self.sessions)

    @cached_property
    def onboarding(self) -> Onboarding:
        return self.service.onboarding(self.directory)

    @cached_property
    def profile(self) -> Profile:
        return self.service.profile(self.directory, self.sessions)

    @cached_property
    def employees(self) -> Employees:
        return self.service.employees(self.directory)

    @cached_property
    def notifications(self) -> NotificationDesk:
        return self.service.notification_desk(self.principal)

    @cached_property
    def partner_clients(self) -> PartnerClients:
        return self.service.partner_clients(self.directory, self.sessions)

    @cached_property
    def product_access(self) -> ProductAccessDesk:
        return self.service.product_access(self.directory)

    @property
    def client_address(self) -> str | None:
        """The caller's address as the proxy in front of us saw it: the last X-Forwarded-For
        entry (the one our own proxy appended; earlier ones are the client's to invent). None
        when no proxy reported one: the peer is then the gateway itself, not the client."""
        if self.request is None:
            return None
        forwarded = self.request.headers.get("x-forwarded-for", "")
        last = forwarded.rsplit(",", 1)[-1].strip()[:64]
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            return None


Info = strawberry.Info[PeopleContext, Any]
