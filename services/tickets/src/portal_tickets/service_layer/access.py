"""Who may see and do what with tickets (row-level visibility, docs/architecture.md), in domain
terms: `adapters/repositories.py` turns a `TicketSight` and a `TicketView` into its query.

- Operator staff see every ticket of their tenant, every feed entry and every file.
- A customer organisation's member sees the tickets they opened, their organisations' tickets
  (a parent organisation's members also its departments': `TicketDesk.seen` adds them from the
  read model of people's organisations) unless private (a private ticket is for its creator
  alone, and staff), and the tickets they follow; of the feed, the public posts and the
  activity, never the internal notes.
- A member of several customers who chose one to work for ('Vælg kunde': the principal's
  active organisation) sees that customer's tickets alone, their own ones among them (and the
  ones they follow there).
- Someone not signed in sees none.

Every query already runs inside the principal's tenant, so another tenant's tickets are never in
reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from portal_kit.domain import Forbidden, NotFound
from portal_kit.messages import Messages
from portal_kit.principal import Principal
from portal_kit.text import fold

from portal_tickets.domain.articles import Article, ArticleState, Audience
from portal_tickets.domain.configuration import Actor, Category
from portal_tickets.domain.ticket import FeedEntry, Ticket, TicketFile

_ = Messages("portal_tickets")


@dataclass(frozen=True)
class TicketSight:
    """Which of the tenant's tickets one caller sees: all of them, or those `user` opened or
    follows and the non-private ones of `organisations`; with neither, none. Unless
    `own_anywhere`, the tickets `user` opened or follows count only in `organisations` (the
    active customer's)."""

    everything: bool = False
    user: str | None = None
    organisations: tuple[str, ...] = ()
    own_anywhere: bool = True

    @classmethod
    def of(cls, principal: Principal) -> TicketSight:
        if principal.is_staff:
            return cls(everything=True, user=principal.user)
        if not principal.authenticated:
            return cls()
        return cls(
            user=principal.user,
            organisations=principal.acting_for,
            own_anywhere=principal.active_organisation is None,
        )

    def sees(self, ticket: Ticket) -> bool:
        """The same rule as the repository's query, for one ticket in hand."""
        if self.everything:
            return True
        if self.user is None:
            return False
        in_organisations = ticket.organisation_id in self.organisations
        theirs = ticket.created_by == self.user or (
            self.user in ticket.followers and not ticket.private
        )
        return (theirs and (self.own_anywhere or in_organisations)) or (
            in_organisations and not ticket.private
        )

    def sees_entry(self, entry: FeedEntry) -> bool:
        return self.everything or not entry.internal

    def sees_file(self, ticket: Ticket, file: TicketFile) -> bool:
        entry = ticket.entry(file.entry_id)
        return entry is not None and self.sees_entry(entry)


class View(StrEnum):
    """The customer side's lists ('Mine sager', 'Organisationens ärenden', 'Sager du følger')."""

    VISIBLE = "visible"  # everything in sight
    MINE = "mine"
    ORGANISATION = "organisation"
    FOLLOWED = "followed"


class Sort(StrEnum):
    NEWEST = "newest"  # by number, highest first
    OLDEST = "oldest"
    UPDATED = "updated"  # last changed first


@dataclass(frozen=True)
class TicketView:
    """One list: a view, open / closed / all, and a search by number or text."""

    view: View = View.VISIBLE
    category: Category | None = None
    search: str = ""
    sort: Sort = Sort.NEWEST

    @property
    def terms(self) -> list[str]:
        return fold(self.search).split()[:8]

    def takes(self, ticket: Ticket, sight: TicketSight) -> bool:
        """The same rule as the repository's view filter, for one ticket in hand."""
        user = sight.user
        if self.view is View.MINE and ticket.created_by != user:
            return False
        if self.view is View.ORGANISATION and (
            ticket.organisation_id not in sight.organisations or ticket.private
        ):
            return False
        if self.view is View.FOLLOWED and user not in ticket.followers:
            return False
        if self.category is not None and ticket.category is not self.category:
            return False
        searched = search_text(ticket)
        return all(term in searched for term in self.terms)


def millis(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def sort_value(ticket: Ticket, sort: Sort) -> int:
    """The value a list in `sort` order is sorted by (what its cursors carry)."""
    return millis(ticket.updated_at) if sort is Sort.UPDATED else ticket.sequence


def search_text(ticket: Ticket) -> str:
    """What a search looks in: the number (also without its leading zeros), the subject, the
    title and the description, folded."""
    values = ticket.values
    return fold(
        " ".join(
            (ticket.number, str(ticket.sequence), values.subject, values.title, values.description)
        )
    )


def actor_of(principal: Principal, ticket: Ticket) -> Actor:
    """How the workflow sees the caller on a ticket they see."""
    if principal.is_staff:
        return Actor.STAFF
    if principal.user == ticket.created_by:
        return Actor.CREATOR
    return Actor.CUSTOMER


def require_signed_in(principal: Principal) -> None:
    if not principal.authenticated:
        raise Forbidden(_("sign in to do this"))


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden(_("only the operator's staff may do this"))


def require_may_open_for(
    principal: Principal, organisation_id: str, organisations: tuple[str, ...] = ()
) -> None:
    """Staff open tickets for any organisation; others only for one they act for (the active
    one when chosen) or one of its departments (`organisations`: those with their departments);
    any other is out of their sight, so it answers like a missing one."""
    if principal.is_staff:
        return
    if organisation_id not in principal.acting_for and organisation_id not in organisations:
        raise NotFound(_("no such customer"), field="organisationId")


@dataclass(frozen=True)
class ArticleSight:
    """Which knowledge-base articles one caller reads (docs/architecture.md, visibility):
    staff every article in every state; anyone else published articles only — public ones
    (also without signing in), every customer's when signed in as a member of a customer,
    product articles when the caller's customer or profile has one of the products. Anything
    else answers like a missing article."""

    everything: bool = False
    customer: bool = False
    products: frozenset[str] = frozenset()

    @classmethod
    def of(cls, principal: Principal, products: frozenset[str] = frozenset()) -> ArticleSight:
        if principal.is_staff:
            return cls(everything=True)
        member = principal.authenticated and bool(principal.memberships)
        return cls(customer=member, products=products if member else frozenset())

    def sees(self, article: Article) -> bool:
        """The same rule as the repository's query, for one article in hand."""
        if self.everything:
            return True
        if article.state is not ArticleState.PUBLISHED:
            return False
        if article.audience is Audience.PUBLIC:
            return True
        if not self.customer:
            return False
        if article.audience is Audience.CUSTOMERS:
            return True
        return article.audience is Audience.PRODUCTS and bool(self.products & set(article.products))
