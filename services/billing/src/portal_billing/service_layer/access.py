"""Who may see and create which invoices (row-level visibility, docs/architecture.md; this
slice's part), in domain terms: `adapters/repositories.py` turns an `InvoiceSight` into its query.

- Operator staff see every invoice of their tenant and are the only ones who create invoices.
- A member of an organisation with the role "billing" there sees the invoices that organisation
  pays, whether it is a customer or a contractor. One who chose an organisation to work for
  ('Vælg kunde': the principal's active organisation) sees that one's invoices alone.
- Anyone else, and someone not signed in, sees none.

Every query already runs inside the principal's tenant, so another tenant's invoices are never in
reach. Not yet here (issue 14): a parent organisation's billing people seeing the invoices of its
departments, and drafts for staff alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal_kit.domain import Forbidden
from portal_kit.principal import Principal

from portal_billing.domain.invoice import Invoice

BILLING_ROLE = "billing"


@dataclass(frozen=True)
class InvoiceSight:
    """Which of the tenant's invoices one caller sees: all of them, or those that one of
    `payers` pays; with neither, none."""

    everything: bool = False
    payers: tuple[str, ...] = ()

    @classmethod
    def of(cls, principal: Principal) -> InvoiceSight:
        if principal.is_staff:
            return cls(everything=True)
        if not principal.authenticated:
            return cls()
        acting_for = principal.acting_for
        return cls(
            payers=tuple(
                m.organisation
                for m in principal.memberships
                if BILLING_ROLE in m.roles and m.organisation in acting_for
            )
        )

    def sees(self, invoice: Invoice) -> bool:
        """The same rule as the repository's query, for one invoice in hand."""
        return self.everything or invoice.payer_organisation_id in self.payers


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("only the operator's staff may do this")
