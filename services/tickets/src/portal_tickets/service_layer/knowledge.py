"""Use cases of the knowledge base (FAQ): staff write, publish and archive articles; readers
read, search and get suggestions while typing a ticket, in their language, of the articles of
their audience; votes, views and what suggestions achieved are counted beside the articles.

Search and suggestions ask the repository for the candidates whose served version holds the
query's terms (`lang:term`, behind an index) and rank them here (`domain/search_terms.py`):
title matches above body matches, the last word also as a prefix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portal_kit.clock import Clock
from portal_kit.domain import DomainError, NotFound, StaleVersion, ValidationFailed, new_id
from portal_kit.gridfs import FileStore, StoredFile
from portal_kit.messages import Messages
from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page
from portal_kit.values import Problems, check_code

from portal_tickets.domain.articles import (
    Article,
    ArticleImage,
    ArticleText,
    Audience,
    check_body,
    check_language,
    check_products,
    check_title,
)
from portal_tickets.domain.configuration import AttachmentRules, TicketConfiguration
from portal_tickets.domain.search_terms import (
    LANGUAGES,
    Query,
    matches_all,
    parse_query,
    score,
    snippet,
)
from portal_tickets.service_layer.access import ArticleSight, require_signed_in, require_staff
from portal_tickets.service_layer.files import Upload, check_files
from portal_tickets.service_layer.ports import (
    ArticleCounts,
    Articles,
    ArticleStatistics,
    Candidate,
    ProductAccess,
    Wanted,
)

_ = Messages("portal_tickets")

SEARCH_CANDIDATES = 500  # read from the index for one search, then ranked
SUGGESTION_CANDIDATES = 100
MAX_SUGGESTIONS = 10
PRODUCT_BOOST = 2  # a suggestion for the ticket's product ranks above a general one
MAX_REPORTED = 20  # suggestions opened, in one report
# Pictures of an article's body: one at a time, of the types a browser shows, sniffed.
IMAGE_RULES = AttachmentRules(
    max_bytes=5 * 1024 * 1024,
    content_types=frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"}),
    max_files=1,
)
IMAGE_PATH = "/ticket-files/"  # the tickets service's download route serves them too


@dataclass(frozen=True)
class Served:
    """An article as one reader gets it: the version in `language`, and whether that is the
    language they asked for."""

    article: Article
    language: str
    requested: str

    @property
    def text(self) -> ArticleText:
        return self.article.texts[self.language]


@dataclass(frozen=True)
class Hit:
    served: Served
    score: int
    snippet: str
    position: int


@dataclass(frozen=True)
class Hits:
    hits: list[Hit]
    has_next: bool
    total: int


class Outcome(StrEnum):
    TICKET_CREATED = "ticket_created"
    ABANDONED = "abandoned"


_OUTCOME_COUNTER = {
    Outcome.TICKET_CREATED: "ticket_created_after",
    Outcome.ABANDONED: "abandoned_after",
}

USER = "user"
ORGANISATION = "organisation"


class KnowledgeBase:
    """The knowledge base's use cases for one caller."""

    def __init__(
        self,
        principal: Principal,
        configuration: TicketConfiguration,
        articles: Articles,
        counts: ArticleCounts,
        *,
        product_access: ProductAccess,
        files: FileStore,
        clock: Clock,
    ) -> None:
        self.principal = principal
        self.files = files
        self.configuration = configuration
        self.articles = articles
        self.counts = counts
        self.product_access = product_access
        self.clock = clock
        self.default_language = configuration.default_locale
        locale = principal.locale
        self.language = locale if locale in LANGUAGES else self.default_language
        self._sight: ArticleSight | None = None

    async def sight(self) -> ArticleSight:
        """The caller's sight, with the products of their profile and their customers (the
        read model of people's product access)."""
        if self._sight is None:
            products: set[str] = set()
            principal = self.principal
            if principal.authenticated and not principal.is_staff and principal.memberships:
                holders = [(USER, principal.user)]
                holders += [(ORGANISATION, o) for o in principal.acting_for]
                for kind, holder in holders:
                    products |= await self.product_access.products_of(kind, holder) or set()
            self._sight = ArticleSight.of(principal, frozenset(products))
        return self._sight

    def reading_language(self, language: str | None) -> str:
        """The language asked for (checked), else the caller's."""
        if language is None:
            return self.language
        return check_language(language)

    def serve(self, article: Article, language: str) -> Served:
        return Served(article, article.served_language(language, self.default_language), language)

    def categories_under(self, category: str | None) -> tuple[str, ...]:
        """The category and those below it; an unknown one is refused."""
        if category is None:
            return ()
        found = self.configuration.knowledge_category(category.strip())
        if found is None:
            raise DomainError(_("no such category"), field="category", code="UNKNOWN_CODE")
        return (found.code, *(child.code for child in found.children))

    # -- reading ----------------------------------------------------------------------------

    async def article(
        self, article_id: str, *, language: str | None = None, from_suggestion: bool = False
    ) -> Served | None:
        """The article in the reader's language if they may read it; None for any other id.
        A reader's (not staff's) reading counts as a view."""
        wanted = self.reading_language(language)
        found = await self.articles.visible(await self.sight(), article_id)
        if found is None:
            return None
        if not self.principal.is_staff:
            await self.counts.add([found.id], "views")
            if from_suggestion:
                await self.counts.add([found.id], "opened_from_suggestion")
        return self.serve(found, wanted)

    async def listed(
        self, *, category: str | None, after: Keyset | None, size: int, language: str | None
    ) -> Page[Served]:
        wanted = self.reading_language(language)
        page = await self.articles.listed(
            await self.sight(), self.categories_under(category), after, size
        )
        return Page(
            [self.serve(a, wanted) for a in page.items], has_next=page.has_next, total=page.total
        )

    def _queries(self, text: str, *, suggestions: bool) -> dict[str, Query]:
        # The query in every language an article may be served in.
        return {lang: parse_query(text, lang, drop_stop_words=suggestions) for lang in LANGUAGES}

    def _served_language(self, candidate: Candidate, reader: str) -> str:
        for language in (reader, self.default_language):
            if language in candidate.languages:
                return language
        return candidate.languages[0] if candidate.languages else reader

    def _ranked(
        self,
        candidates: list[Candidate],
        queries: dict[str, Query],
        reader: str,
        *,
        every_term: bool,
    ) -> list[tuple[int, Candidate, str]]:
        ranked: list[tuple[int, Candidate, str]] = []
        for candidate in candidates:
            language = self._served_language(candidate, reader)
            key = f"{language}:"
            title = [t[len(key) :] for t in candidate.title_terms if t.startswith(key)]
            body = [t[len(key) :] for t in candidate.terms if t.startswith(key)]
            query = queries[language]
            if every_term and not matches_all(query, body):
                continue
            points = score(query, title, body)
            if points > 0:
                ranked.append((points, candidate, language))
        ranked.sort(key=lambda r: (-r[0], -r[1].order, r[1].article_id))
        return ranked

    async def _hits(
        self, ranked: list[tuple[int, Candidate, str]], queries: dict[str, Query], reader: str
    ) -> list[Hit]:
        sight = await self.sight()
        loaded = {
            a.id: a for a in await self.articles.many(sight, [c.article_id for _, c, _ in ranked])
        }
        hits: list[Hit] = []
        for position, (points, candidate, language) in enumerate(ranked):
            article = loaded.get(candidate.article_id)
            if article is None:  # changed since the index was read
                continue
            served = Served(article, language, reader)
            cut = snippet(queries[language], served.text.body, language)
            hits.append(Hit(served, points, cut, position))
        return hits

    async def search(
        self,
        text: str,
        *,
        language: str | None = None,
        category: str | None = None,
        product: str | None = None,
        after: Keyset | None = None,
        size: int = 20,
    ) -> Hits:
        """Articles in sight whose served version holds every word of the query (the last one
        also as a prefix), best first; empty for a query without words."""
        reader = self.reading_language(language)
        categories = self.categories_under(category)
        if product is not None:
            product = check_code(
                product, field="product", allowed=[s.code for s in self.configuration.services]
            )
        queries = self._queries(text, suggestions=False)
        if all(q.empty for q in queries.values()):
            return Hits([], has_next=False, total=0)
        wanted = Wanted(
            reader,
            self.default_language,
            queries,
            every_term=True,
            categories=categories,
            product=product,
            limit=SEARCH_CANDIDATES,
        )
        candidates = await self.articles.candidates(await self.sight(), wanted)
        ranked = self._ranked(candidates, queries, reader, every_term=True)
        start = 0
        if after is not None and isinstance(after.value, int):
            start = after.value + 1
        window = ranked[start : start + size]
        hits = await self._hits(window, queries, reader)
        hits = [Hit(h.served, h.score, h.snippet, start + h.position) for h in hits]
        return Hits(hits, has_next=len(ranked) > start + size, total=len(ranked))

    async def suggest(
        self, subject: str, description: str = "", *, product: str | None = None, size: int = 5
    ) -> list[Hit]:
        """The best few articles for a ticket being written, in the caller's language: those
        with every word of it first (common words left out), then those with any; the ticket's
        product first. Only reads: it runs on every debounced keystroke."""
        size = max(1, min(size, MAX_SUGGESTIONS))
        reader = self.language
        known_products = [s.code for s in self.configuration.services]
        if product is not None and product not in known_products:
            product = None  # a suggestion is a hint: an unknown product only loses its boost
        text = f"{subject[:200]} {description[-400:]}" if description.strip() else subject[:200]
        queries = self._queries(text, suggestions=True)
        if all(q.empty for q in queries.values()):
            return []
        sight = await self.sight()
        ranked: list[tuple[int, Candidate, str]] = []
        for every_term in (True, False):
            wanted = Wanted(
                reader,
                self.default_language,
                queries,
                every_term=every_term,
                limit=SUGGESTION_CANDIDATES,
            )
            found = self._ranked(
                await self.articles.candidates(sight, wanted), queries, reader, every_term=False
            )
            taken = {c.article_id for _, c, _ in ranked}
            ranked += [r for r in found if r[1].article_id not in taken]
            if len(ranked) >= size:  # enough with every word: no second query
                break
        hits = await self._hits(ranked[: size * 2], queries, reader)
        if product is not None:

            def boosted(hit: Hit) -> tuple[int, int]:
                bonus = PRODUCT_BOOST if product in hit.served.article.products else 0
                return -(hit.score + bonus), hit.position

            hits.sort(key=boosted)
        return hits[:size]

    async def image(self, image_id: str) -> tuple[StoredFile, bytes] | None:
        """A picture of an article the caller may read; None otherwise."""
        article = await self.articles.with_image(await self.sight(), image_id)
        if article is None or article.image(image_id) is None:
            return None
        info = await self.files.info(image_id)
        data = await self.files.read(image_id) if info is not None else None
        return None if info is None or data is None else (info, data)

    # -- readers' feedback ------------------------------------------------------------------

    async def vote(self, article_id: str, helpful: bool) -> Served:
        """The caller's 'was it helpful' (one vote each; a second one replaces the first)."""
        require_signed_in(self.principal)
        found = await self._visible(article_id)
        await self.counts.vote(found.id, self.principal.user, helpful)
        return self.serve(found, self.language)

    async def report_suggestions(self, article_ids: list[str], outcome: Outcome) -> int:
        """The suggestions a reader opened while writing a ticket, and what became of the
        ticket: created after all, or abandoned (the FAQ answered). Counted per article; ids
        out of sight are left out. Returns how many were counted."""
        if len(article_ids) > MAX_REPORTED:
            raise DomainError(
                _("at most {limit} articles", limit=MAX_REPORTED),
                field="articleIds",
                code="TOO_MANY",
            )
        sight = await self.sight()
        seen = [a.id for a in await self.articles.many(sight, list(dict.fromkeys(article_ids)))]
        await self.counts.add(seen, _OUTCOME_COUNTER[outcome])
        return len(seen)

    async def statistics(self, article_id: str) -> ArticleStatistics:
        require_staff(self.principal)
        return await self.counts.of(article_id)

    async def totals(self) -> ArticleStatistics:
        require_staff(self.principal)
        return await self.counts.totals()

    # -- writing (staff) --------------------------------------------------------------------

    async def _visible(self, article_id: str) -> Article:
        found = await self.articles.visible(await self.sight(), article_id)
        if found is None:
            raise NotFound(_("no such article"), field="id")
        return found

    async def _load(self, article_id: str, version: int) -> Article:
        require_staff(self.principal)
        found = await self._visible(article_id)
        if found.version != version:
            raise StaleVersion(
                _("it was changed by someone else since you loaded it; reload and try again"),
                field="version",
            )
        return found

    def _settings(
        self, problems: Problems, category: str, audience: str, products: list[str]
    ) -> tuple[str, Audience, tuple[str, ...]]:
        codes = self.configuration.knowledge_category_codes()
        checked_category = problems.check(
            lambda: check_code(category, field="category", allowed=codes), ""
        )
        checked_audience = problems.check(
            lambda: Audience(
                check_code(audience, field="audience", allowed=[a.value for a in Audience])
            ),
            Audience.STAFF,
        )
        known = [s.code for s in self.configuration.services]
        nothing: tuple[str, ...] = ()
        checked_products = problems.check(
            lambda: check_products(products, audience=checked_audience, known=known), nothing
        )
        return checked_category, checked_audience, checked_products

    def _text(
        self, problems: Problems, language: str, title: str, body: str
    ) -> tuple[str, ArticleText]:
        checked_language = problems.check(lambda: check_language(language), "")
        checked_title = problems.check(lambda: check_title(title), "")
        checked_body = problems.check(lambda: check_body(body), "")
        return checked_language, ArticleText(checked_title, checked_body)

    async def create(
        self,
        *,
        language: str,
        title: str,
        body: str,
        category: str,
        audience: str,
        products: list[str],
    ) -> Article:
        """A draft in one language (staff)."""
        require_staff(self.principal)
        problems = Problems()
        checked_language, text = self._text(problems, language, title, body)
        settings = self._settings(problems, category, audience, products)
        problems.raise_if_any()
        article = Article.write_new(
            article_id=new_id(),
            tenant=self.principal.tenant,
            category=settings[0],
            audience=settings[1],
            products=settings[2],
            language=checked_language,
            text=text,
            by=self.principal.user,
            at=self.clock(),
        )
        await self.articles.add(article)
        return article

    async def write(
        self, article_id: str, version: int, *, language: str, title: str, body: str
    ) -> Article:
        """Adds or rewrites a language version (staff)."""
        article = await self._load(article_id, version)
        problems = Problems()
        checked_language, text = self._text(problems, language, title, body)
        problems.raise_if_any()
        article.write(checked_language, text, by=self.principal.user, at=self.clock())
        await self.articles.save(article)
        return article

    async def change(
        self, article_id: str, version: int, *, category: str, audience: str, products: list[str]
    ) -> Article:
        article = await self._load(article_id, version)
        problems = Problems()
        settings = self._settings(problems, category, audience, products)
        problems.raise_if_any()
        article.change_settings(
            category=settings[0],
            audience=settings[1],
            products=settings[2],
            by=self.principal.user,
            at=self.clock(),
        )
        await self.articles.save(article)
        return article

    async def add_image(
        self, article_id: str, version: int, upload: Upload
    ) -> tuple[Article, ArticleImage]:
        """Stores a picture for the body (staff): its path goes into the Markdown."""
        article = await self._load(article_id, version)
        try:
            [checked] = check_files([upload], IMAGE_RULES)
        except ValidationFailed as failed:
            for problem in failed.problems:
                problem.field = (problem.field or "").replace("attachments.0", "image")
            raise
        stored = await self.files.put(
            checked.data,
            filename=checked.filename,
            content_type=checked.content_type,
            metadata={"article": article.id},
        )
        image = ArticleImage(stored.id, checked.filename, checked.content_type, stored.length)
        try:
            article.add_image(image, by=self.principal.user, at=self.clock())
            await self.articles.save(article)
        except BaseException:
            await self.files.delete([stored.id])
            raise
        return article, image

    async def publish(self, article_id: str, version: int) -> Article:
        article = await self._load(article_id, version)
        article.publish(by=self.principal.user, at=self.clock())
        await self.articles.save(article)
        return article

    async def archive(self, article_id: str, version: int) -> Article:
        article = await self._load(article_id, version)
        article.archive(by=self.principal.user, at=self.clock())
        await self.articles.save(article)
        return article
