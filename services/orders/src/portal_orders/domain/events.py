"""Events of the orders service. Ids, codes, dates and numbers only: never free text, which may
hold a resident's name or phone number."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from portal_kit.events import DomainEvent


class OrderCreated(DomainEvent):
    aggregate: ClassVar[str] = "order"
    name: ClassVar[str] = "created"
    order_id: str
    number: str
    order_type: str
    status: str
    priority: str
    customer_organisation_id: str
    assignee_organisation_id: str | None
    order_date: date


class OrderAssigned(DomainEvent):
    aggregate: ClassVar[str] = "order"
    name: ClassVar[str] = "assigned"
    order_id: str
    number: str
    assignee_organisation_id: str
    previous_assignee_organisation_id: str | None
