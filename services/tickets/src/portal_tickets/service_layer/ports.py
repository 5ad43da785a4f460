"""What the ticket use cases need of the world outside, as Protocols: MongoDB serves them in
`adapters/repositories.py`, in-memory fakes in the tests. Ticket numbers come from a
`portal_kit.counters.Sequences`, files go to a `portal_kit.gridfs.FileStore`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from portal_kit.repository import Keyset, Page, SightedAggregates

from portal_tickets.domain.articles import Article
from portal_tickets.domain.search_terms import Query
from portal_tickets.domain.ticket import Ticket
from portal_tickets.service_layer.access import ArticleSight, TicketSight, TicketView


class Tickets(SightedAggregates[Ticket, TicketSight], Protocol):
    """The tickets of one tenant, read through a `TicketSight`; `add` refuses a taken number
    with `Conflict`."""

    async def listed(
        self, sight: TicketSight, view: TicketView, after: Keyset | None, size: int
    ) -> Page[Ticket]:
        """`size` tickets in sight that `view` takes, in its order, after `after`."""

    async def with_file(self, sight: TicketSight, file_id: str) -> Ticket | None:
        """The ticket in sight that holds the file; None for a missing or hidden one alike."""


class ProductAccess(Protocol):
    """The local read model of the people service's product access: which products a user
    (a profile) and a customer organisation have access to. Kept from people's events."""

    async def products_of(self, holder_kind: str, holder_id: str) -> frozenset[str] | None:
        """The holder's products; None when people never said anything of the holder."""

    async def record(
        self, holder_kind: str, holder_id: str, products: frozenset[str], *, version: str
    ) -> bool:
        """Stores the holder's products as of `version` (an event's); False when a newer state
        is kept (a late redelivery changes nothing)."""


class OrganisationTree(Protocol):
    """The local read model of the people service's organisations: which is a department of
    which. Kept from people's events."""

    async def record(self, organisation_id: str, *, parent_id: str | None, version: str) -> None:
        """Its parent, as people's `created` event (of `version`) says."""

    async def with_descendants(self, organisation_ids: list[str]) -> list[str]:
        """The organisations and every department below them."""


@dataclass(frozen=True)
class Candidate:
    """What ranking needs of an article a search or a suggestion found: its languages and its
    terms, keyed `language:term` (`domain/search_terms.py`)."""

    article_id: str
    languages: tuple[str, ...]
    title_terms: tuple[str, ...]
    terms: tuple[str, ...]
    order: int  # creation order, the last tie-breaker


@dataclass(frozen=True)
class Wanted:
    """A search as the index is asked: the reader's language and the tenant's default (with the
    query analysed in each, and in any other language an article may be served in), whether
    every term must match (search) or any (suggestions), filters, and how many to read."""

    language: str
    default: str
    queries: Mapping[str, Query]
    every_term: bool
    categories: tuple[str, ...] = ()  # empty: every category
    product: str | None = None
    limit: int = 500


class Articles(SightedAggregates[Article, ArticleSight], Protocol):
    """The knowledge-base articles of one tenant, read through an `ArticleSight`."""

    async def listed(
        self, sight: ArticleSight, categories: tuple[str, ...], after: Keyset | None, size: int
    ) -> Page[Article]:
        """`size` articles in sight (of `categories`, when given: a category and those below
        it), newest first, after `after`."""

    async def candidates(self, sight: ArticleSight, wanted: Wanted) -> list[Candidate]:
        """Articles in sight whose served version holds the query's terms (at most
        `wanted.limit`)."""

    async def many(self, sight: ArticleSight, article_ids: list[str]) -> list[Article]:
        """The articles in sight among the ids (in no particular order)."""

    async def with_image(self, sight: ArticleSight, image_id: str) -> Article | None:
        """The article in sight that shows the picture; None for a missing or hidden one."""


@dataclass(frozen=True)
class ArticleStatistics:
    views: int = 0
    helpful: int = 0
    not_helpful: int = 0
    opened_from_suggestion: int = 0
    ticket_created_after: int = 0
    abandoned_after: int = 0


class ArticleCounts(Protocol):
    """Views, votes and suggestion outcomes per article (counted beside the article, never
    changing its version)."""

    async def add(self, article_ids: list[str], counter: str) -> None:
        """One more of `counter` for each article."""

    async def vote(self, article_id: str, user: str, helpful: bool) -> None:
        """The user's vote on the article (a second vote replaces the first)."""

    async def of(self, article_id: str) -> ArticleStatistics: ...

    async def totals(self) -> ArticleStatistics:
        """The tenant's sums over every article."""
