"""The tickets service's ports in memory, on the kit's fakes. Tests import it as `.fakes`
(pytest's importlib mode names test modules by their path, so it does not clash with another
service's `fakes`)."""

from __future__ import annotations

from datetime import UTC, datetime

from portal_kit.repository import Keyset, Page
from portal_kit.testing.fakes import InMemorySighted
from portal_tickets.domain.articles import Article
from portal_tickets.domain.ticket import Ticket
from portal_tickets.service_layer.access import (
    ArticleSight,
    Sort,
    TicketSight,
    TicketView,
    millis,
    sort_value,
)
from portal_tickets.service_layer.ports import ArticleStatistics, Candidate, Wanted

NEVER = datetime(1970, 1, 1, tzinfo=UTC)


class InMemoryTickets(InMemorySighted[Ticket]):
    """The `Tickets` port of one tenant: `TicketSight.sees` and `TicketView.takes` in place of
    the queries."""

    async def listed(
        self, sight: TicketSight, view: TicketView, after: Keyset | None, size: int
    ) -> Page[Ticket]:
        descending = view.sort is not Sort.OLDEST
        taken = self.matching(lambda t: sight.sees(t) and view.takes(t, sight))

        def key(ticket: Ticket) -> tuple[int, str]:
            return (sort_value(ticket, view.sort), ticket.id)

        ordered = sorted(taken, key=key, reverse=descending)
        if after is not None:
            position = (after.value, after.last_id)
            ordered = [
                t for t in ordered if (key(t) < position if descending else key(t) > position)
            ]
        return Page(ordered[:size], has_next=len(ordered) > size, total=len(taken))

    async def with_file(self, sight: TicketSight, file_id: str) -> Ticket | None:
        found = self.matching(lambda t: sight.sees(t) and t.file(file_id) is not None)
        return found[0] if found else None


class InMemoryProductAccess:
    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], tuple[frozenset[str], int]] = {}

    async def products_of(self, holder_kind: str, holder_id: str) -> frozenset[str] | None:
        found = self.kept.get((holder_kind, holder_id))
        return None if found is None else found[0]

    async def record(
        self, holder_kind: str, holder_id: str, products: frozenset[str], *, version: str
    ) -> bool:
        known = self.kept.get((holder_kind, holder_id))
        if known is not None and known[1] >= version:
            return False
        self.kept[(holder_kind, holder_id)] = (products, version)
        return True


class InMemoryOrganisations:
    """The `OrganisationTree` port: each organisation's parent."""

    def __init__(self) -> None:
        self.parents: dict[str, str | None] = {}

    async def record(self, organisation_id: str, *, parent_id: str | None, version: str) -> None:
        self.parents[organisation_id] = parent_id

    async def with_descendants(self, organisation_ids: list[str]) -> list[str]:
        found = list(dict.fromkeys(organisation_ids))
        for organisation in found:  # grows while it is walked: every level below
            found += [c for c, p in self.parents.items() if p == organisation and c not in found]
        return found


class InMemoryArticles(InMemorySighted[Article]):
    """The `Articles` port of one tenant: `ArticleSight.sees` and the article's own search
    terms in place of the queries."""

    async def listed(
        self, sight: ArticleSight, categories: tuple[str, ...], after: Keyset | None, size: int
    ) -> Page[Article]:
        taken = self.matching(
            lambda a: sight.sees(a) and (not categories or a.category in categories)
        )
        ordered = sorted(taken, key=lambda a: (a.created_at or NEVER, a.id), reverse=True)
        if after is not None:
            ordered = [
                a
                for a in ordered
                if (millis(a.created_at or NEVER), a.id) < (after.value, after.last_id)
            ]
        return Page(ordered[:size], has_next=len(ordered) > size, total=len(taken))

    async def candidates(self, sight: ArticleSight, wanted: Wanted) -> list[Candidate]:
        found: list[Candidate] = []
        for article in self.matching(sight.sees):
            if wanted.categories and article.category not in wanted.categories:
                continue
            if wanted.product is not None and wanted.product not in article.products:
                continue
            language = article.served_language(wanted.language, wanted.default)
            query = wanted.queries[language]
            title_terms, all_terms = article.search_terms()
            own = [t.split(":", 1)[1] for t in all_terms if t.startswith(f"{language}:")]
            checks = [term in own for term in query.stems]
            if query.prefix:
                checks.append(any(t.startswith(query.prefix) for t in own))
            if not checks or not (all(checks) if wanted.every_term else any(checks)):
                continue
            found.append(
                Candidate(
                    article.id,
                    tuple(article.languages),
                    tuple(title_terms),
                    tuple(all_terms),
                    millis(article.created_at or NEVER),
                )
            )
        return found[: wanted.limit]

    async def many(self, sight: ArticleSight, article_ids: list[str]) -> list[Article]:
        return self.matching(lambda a: a.id in article_ids and sight.sees(a))

    async def with_image(self, sight: ArticleSight, image_id: str) -> Article | None:
        found = self.matching(lambda a: sight.sees(a) and a.image(image_id) is not None)
        return found[0] if found else None


class InMemoryArticleCounts:
    """The `ArticleCounts` port: counters and votes in dicts."""

    def __init__(self) -> None:
        self.counters: dict[tuple[str, str], int] = {}
        self.votes: dict[tuple[str, str], bool] = {}

    async def add(self, article_ids: list[str], counter: str) -> None:
        for article_id in dict.fromkeys(article_ids):
            key = (article_id, counter)
            self.counters[key] = self.counters.get(key, 0) + 1

    async def vote(self, article_id: str, user: str, helpful: bool) -> None:
        self.votes[(article_id, user)] = helpful

    def _statistics(self, ids: set[str] | None) -> ArticleStatistics:
        def counted(name: str) -> int:
            return sum(
                v for (a, c), v in self.counters.items() if c == name and (ids is None or a in ids)
            )

        votes = [h for (a, _), h in self.votes.items() if ids is None or a in ids]
        return ArticleStatistics(
            views=counted("views"),
            helpful=votes.count(True),
            not_helpful=votes.count(False),
            opened_from_suggestion=counted("opened_from_suggestion"),
            ticket_created_after=counted("ticket_created_after"),
            abandoned_after=counted("abandoned_after"),
        )

    async def of(self, article_id: str) -> ArticleStatistics:
        return self._statistics({article_id})

    async def totals(self) -> ArticleStatistics:
        return self._statistics(None)
