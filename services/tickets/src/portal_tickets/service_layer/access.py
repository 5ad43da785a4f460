"""Who may see and open which tickets (row-level visibility, docs/architecture.md; this slice's
part), in domain terms: `adapters/repositories.py` turns a `TicketSight` into its query.

- Operator staff see every ticket of their tenant.
- A customer organisation's member sees the tickets they opened, and their organisations'
  tickets unless private: a private ticket is for its creator alone (and staff).
- A member of several customers who chose one to work for ('Vælg kunde': the principal's
  active organisation) sees that customer's tickets alone, their own ones among them.
- Someone not signed in sees none.

Every query already runs inside the principal's tenant, so another tenant's tickets are never in
reach. Not yet here (issue 12): followed tickets, and a parent organisation seeing its
departments' tickets.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal_kit.domain import Forbidden, NotFound
from portal_kit.principal import Principal

from portal_tickets.domain.ticket import Ticket


@dataclass(frozen=True)
class TicketSight:
    """Which of the tenant's tickets one caller sees: all of them, or those `user` opened and
    the non-private ones of `organisations`; with neither, none. Unless `own_anywhere`, the
    tickets `user` opened count only in `organisations` (the active customer's)."""

    everything: bool = False
    user: str | None = None
    organisations: tuple[str, ...] = ()
    own_anywhere: bool = True

    @classmethod
    def of(cls, principal: Principal) -> TicketSight:
        if principal.is_staff:
            return cls(everything=True)
        if not principal.authenticated:
            return cls()
        return cls(
            user=principal.user,
            organisations=principal.acting_for,
            own_anywhere=principal.active_organisation is None,
        )

    def sees(self, ticket: Ticket) -> bool:
        """The same rule as the repository's query, for one ticket in hand."""
        in_organisations = ticket.organisation_id in self.organisations
        return (
            self.everything
            or (ticket.created_by == self.user and (self.own_anywhere or in_organisations))
            or (in_organisations and not ticket.private)
        )


def require_signed_in(principal: Principal) -> None:
    if not principal.authenticated:
        raise Forbidden("sign in to do this")


def require_may_open_for(principal: Principal, organisation_id: str) -> None:
    """Staff open tickets for any organisation; others only for one they belong to, and with an
    active organisation chosen only for that one (any other is out of their sight, so it answers
    like a missing one)."""
    if principal.is_staff:
        return
    if organisation_id not in principal.acting_for:
        raise NotFound("no such organisation", field="organisationId")
