"""Who may see and do what with invoices (row-level visibility, docs/architecture.md section 6),
in domain terms: `adapters/repositories.py` turns an `InvoiceSight` or `IncomingSight` into its
query.

- Operator staff see every invoice of their tenant, drafts included, and are the only ones who
  draw up, issue, credit and record payments on invoices.
- A member with the role "billing" in an organisation sees the issued invoices (never a draft)
  that the organisation pays, and those its departments pay (a parent sees its departments').
  One who chose an organisation to work for ('Vælg kunde': the principal's active
  organisation) sees that one's (and its departments') alone.
- A contractor's members see the contractor's own incoming invoices, and register them.
- Anyone else, and someone not signed in, sees none.

Every query already runs inside the principal's tenant, so another tenant's invoices are never in
reach.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from portal_kit.domain import Forbidden
from portal_kit.messages import Messages
from portal_kit.principal import Principal

from portal_billing.domain.incoming import IncomingInvoice
from portal_billing.domain.invoice import Invoice, InvoiceStatus

_ = Messages("portal_billing")

BILLING_ROLE = "billing"


@dataclass(frozen=True)
class InvoiceSight:
    """Which of the tenant's invoices one caller sees: all of them, or those that one of
    `payers` pays; drafts only with `drafts`."""

    everything: bool = False
    payers: tuple[str, ...] = ()
    drafts: bool = False

    @classmethod
    async def of(
        cls, principal: Principal, descendants: Callable[[list[str]], Awaitable[list[str]]]
    ) -> InvoiceSight:
        """`descendants(ids)`: those organisations and all their departments (billing's read
        model of people's organisations)."""
        if principal.is_staff:
            return cls(everything=True, drafts=True)
        own = billing_organisations(principal)
        if not own:
            return cls()
        return cls(payers=tuple(sorted(set(await descendants(own)))))

    def sees(self, invoice: Invoice) -> bool:
        """The same rule as the repository's query, for one invoice in hand."""
        if invoice.status is InvoiceStatus.DRAFT and not self.drafts:
            return False
        return self.everything or invoice.payer_organisation_id in self.payers


def billing_organisations(principal: Principal) -> list[str]:
    """The organisations the principal does billing for, narrowed to the active one."""
    if not principal.authenticated:
        return []
    acting_for = principal.acting_for
    return [
        m.organisation
        for m in principal.memberships
        if BILLING_ROLE in m.roles and m.organisation in acting_for
    ]


@dataclass(frozen=True)
class IncomingSight:
    """Incoming invoices: staff all, a contractor's members their contractor's."""

    everything: bool = False
    contractors: tuple[str, ...] = ()

    @classmethod
    def of(cls, principal: Principal) -> IncomingSight:
        if principal.is_staff:
            return cls(everything=True)
        if not principal.authenticated:
            return cls()
        return cls(contractors=tuple(principal.acting_for))

    def sees(self, invoice: IncomingInvoice) -> bool:
        return self.everything or invoice.contractor_organisation_id in self.contractors


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden(_("only the operator's staff may do this"))
