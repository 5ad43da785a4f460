"""Billing's local read models of other services' events (never their databases):

- people's organisations (id, kind, parent, name, organisation number, active): whether a payer
  exists in the tenant, a parent's departments, the names and numbers an invoice carries;
- orders' completed orders: the billable lines of invoice runs, and the work orders contractors'
  invoices are matched to.

Each change carries its event's version (`portal_kit.versioned.event_version`) and applies only
over an older one: a redelivered event changes nothing, and a late one (a rename redelivered
after a newer rename, a completion after the order was invoiced) cannot bring back an older
state.
"""

from __future__ import annotations

from datetime import datetime

from portal_billing.service_layer.ports import BillableOrder, BillableOrders, Organisations


class OrganisationRegister:
    def __init__(self, organisations: Organisations) -> None:
        self.organisations = organisations

    async def created(
        self,
        organisation_id: str,
        *,
        kind: object,
        parent_id: object,
        name: object,
        version: str,
        organisation_number: object = None,
    ) -> bool:
        changes: dict[str, object] = {"active": True}
        return await self.organisations.upsert(
            organisation_id,
            changes | _named(name) | _numbered(organisation_number),
            version=version,
            facts={"kind": kind, "parent_id": parent_id},
        )

    async def updated(
        self,
        organisation_id: str,
        *,
        active: bool,
        name: object,
        organisation_number: object,
        version: str,
    ) -> bool:
        changes: dict[str, object] = {"active": active}
        return await self.organisations.upsert(
            organisation_id,
            changes | _named(name) | _numbered(organisation_number),
            version=version,
        )


def _named(name: object) -> dict[str, object]:
    return {"name": name} if isinstance(name, str) and name.strip() else {}


def _numbered(number: object) -> dict[str, object]:
    return {"organisation_number": number} if isinstance(number, str) and number else {}


class OrderRegister:
    def __init__(self, orders: BillableOrders) -> None:
        self.orders = orders

    async def completed(
        self,
        order_id: str,
        *,
        number: str,
        order_type: str,
        customer_organisation_id: str,
        assignee_organisation_id: str | None,
        invoice_reference: str | None,
        invoice_marking: str,
        completed_at: datetime,
        version: str,
    ) -> bool:
        return await self.orders.completed(
            BillableOrder(
                order_id=order_id,
                number=number,
                order_type=order_type,
                customer_organisation_id=customer_organisation_id,
                assignee_organisation_id=assignee_organisation_id,
                invoice_reference=invoice_reference,
                invoice_marking=invoice_marking,
                completed_at=completed_at,
                state="completed",
            ),
            version=version,
        )

    async def moved(self, order_id: str, category: str, *, version: str) -> bool:
        """A later status: invoiced or cancelled orders are billed no more."""
        if category in ("invoiced", "cancelled"):
            return await self.orders.moved(order_id, category, version=version)
        return False
