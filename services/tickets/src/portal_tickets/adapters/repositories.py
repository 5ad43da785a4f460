"""MongoDB repositories of the tickets service, the number counters, the product-access read
model, and the indexes they need: the only place the tickets service writes MongoDB queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from portal_kit.counters import COUNTERS_INDEX
from portal_kit.gridfs import gridfs_indexes
from portal_kit.mongo import ASCENDING, Database, Document, IndexSpec
from portal_kit.readmodels import OrganisationTree
from portal_kit.repository import NOTHING, Keyset, Page, SightedRepository, after_keyset
from portal_kit.versioned import VersionedDocuments
from pymongo.errors import DuplicateKeyError

from portal_tickets.domain.articles import (
    Article,
    ArticleImage,
    ArticleState,
    Audience,
    Revision,
    texts_of,
)
from portal_tickets.domain.configuration import Category
from portal_tickets.domain.search_terms import LANGUAGES, Query
from portal_tickets.domain.ticket import (
    EntryKind,
    FeedEntry,
    Side,
    Ticket,
    TicketFile,
    TicketValues,
)
from portal_tickets.service_layer.access import (
    ArticleSight,
    Sort,
    TicketSight,
    TicketView,
    View,
    millis,
    search_text,
)
from portal_tickets.service_layer.ports import ArticleStatistics, Candidate, Wanted

TICKETS = "tickets"
PRODUCT_ACCESS = "product_access"
ORGANISATIONS = "organisations"
ARTICLES = "articles"
ARTICLE_COUNTS = "article_counts"
ARTICLE_VOTES = "article_votes"
ARTICLE_ORDER = "order"  # creation time in milliseconds: the list's order, the cursors' value
OUTBOX_COLLECTIONS = (TICKETS, ARTICLES)
SORT_KEY = "sequence"
UPDATED = "updated_ms"

INDEXES = (
    IndexSpec(TICKETS, (("tenant", ASCENDING), ("number", ASCENDING)), unique=True),
    IndexSpec(TICKETS, (("tenant", ASCENDING), (SORT_KEY, ASCENDING), ("_id", ASCENDING))),
    IndexSpec(TICKETS, (("tenant", ASCENDING), (UPDATED, ASCENDING), ("_id", ASCENDING))),
    IndexSpec(
        TICKETS, (("tenant", ASCENDING), ("organisation_id", ASCENDING), (SORT_KEY, ASCENDING))
    ),
    IndexSpec(TICKETS, (("tenant", ASCENDING), ("created_by", ASCENDING), (SORT_KEY, ASCENDING))),
    IndexSpec(TICKETS, (("tenant", ASCENDING), ("followers", ASCENDING), (SORT_KEY, ASCENDING))),
    IndexSpec(TICKETS, (("tenant", ASCENDING), ("files.id", ASCENDING))),
    IndexSpec(
        PRODUCT_ACCESS,
        (("tenant", ASCENDING), ("holder_kind", ASCENDING), ("holder_id", ASCENDING)),
        unique=True,
    ),
    IndexSpec(ORGANISATIONS, (("tenant", ASCENDING), ("parent_id", ASCENDING))),
    IndexSpec(ARTICLES, (("tenant", ASCENDING), ("state", ASCENDING), ("terms", ASCENDING))),
    IndexSpec(ARTICLES, (("tenant", ASCENDING), (ARTICLE_ORDER, ASCENDING), ("_id", ASCENDING))),
    IndexSpec(
        ARTICLES, (("tenant", ASCENDING), ("category", ASCENDING), (ARTICLE_ORDER, ASCENDING))
    ),
    IndexSpec(ARTICLES, (("tenant", ASCENDING), ("images.id", ASCENDING))),
    IndexSpec(
        ARTICLE_VOTES,
        (("tenant", ASCENDING), ("article_id", ASCENDING), ("user", ASCENDING)),
        unique=True,
    ),
    COUNTERS_INDEX,
    *gridfs_indexes(),
)


_SORTS = {
    Sort.NEWEST: (SORT_KEY, True),
    Sort.OLDEST: (SORT_KEY, False),
    Sort.UPDATED: (UPDATED, True),
}


def _aware(moment: datetime | None) -> datetime | None:
    # BSON dates come back naive (UTC) from some drivers.
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class TicketRepository(SightedRepository[Ticket, TicketSight]):
    """The tickets of one tenant (the `Tickets` port)."""

    collection = TICKETS
    service = "tickets"
    sort_key = SORT_KEY

    def in_sight(self, sight: TicketSight) -> dict[str, Any]:
        """The tickets `sight` takes in (`TicketSight.sees`), as a filter."""
        if sight.everything:
            return {}
        if sight.user is None:
            return NOTHING
        organisations = {"$in": list(sight.organisations)}
        own: dict[str, Any] = {"created_by": sight.user}
        followed: dict[str, Any] = {"followers": sight.user, "private": False}
        if not sight.own_anywhere:
            own["organisation_id"] = organisations
            followed["organisation_id"] = organisations
        return {"$or": [own, followed, {"organisation_id": organisations, "private": False}]}

    def in_view(self, sight: TicketSight, view: TicketView) -> dict[str, Any]:
        """The tickets `view` takes (`TicketView.takes`), as a filter."""
        parts: list[dict[str, Any]] = []
        if view.view is View.MINE:
            parts.append({"created_by": sight.user})
        elif view.view is View.ORGANISATION:
            parts.append({"organisation_id": {"$in": list(sight.organisations)}, "private": False})
        elif view.view is View.FOLLOWED:
            parts.append({"followers": sight.user})
        if view.category is not None:
            parts.append({"category": view.category.value})
        parts.extend({"search": {"$regex": re.escape(term)}} for term in view.terms)
        return {"$and": parts} if parts else {}

    async def listed(
        self, sight: TicketSight, view: TicketView, after: Keyset | None, size: int
    ) -> Page[Ticket]:
        key, descending = _SORTS[view.sort]
        matching = {"$and": [self.in_sight(sight), self.in_view(sight, view)]}
        total = await self.count(matching)
        order = -1 if descending else 1
        found = await self.find(
            {"$and": [matching, after_keyset(key, after, descending=descending)]},
            sort=[(key, order), ("_id", order)],
            limit=size + 1,
        )
        return Page(found[:size], has_next=len(found) > size, total=total)

    async def with_file(self, sight: TicketSight, file_id: str) -> Ticket | None:
        found = await self.find({"$and": [{"files.id": file_id}, self.in_sight(sight)]}, limit=1)
        return found[0] if found else None

    def appended(self, aggregate: Ticket) -> dict[str, list[Any]]:
        """The feed and the files only grow: what was added since loading is pushed."""
        return {
            "feed": [_entry_document(e) for e in aggregate.feed[aggregate.stored_feed :]],
            "files": [_file_document(f) for f in aggregate.files[aggregate.stored_files :]],
        }

    def saved(self, aggregate: Ticket) -> None:
        aggregate.stored_feed = len(aggregate.feed)
        aggregate.stored_files = len(aggregate.files)

    def to_document(self, aggregate: Ticket) -> Document:
        values = aggregate.values
        return {
            SORT_KEY: aggregate.sequence,
            "number": aggregate.number,
            "organisation_id": values.organisation_id,
            "service": values.service,
            "sub_service": values.sub_service,
            "ticket_type": values.ticket_type,
            "urgency": values.urgency,
            "impact": values.impact,
            "topic": values.topic,
            "subject": values.subject,
            "title": values.title,
            "description": values.description,
            "private": values.private,
            "created_by": aggregate.created_by,
            "status": aggregate.status,
            "category": aggregate.category.value,
            "created_at": aggregate.created_at,
            "updated_at": aggregate.updated_at,
            UPDATED: millis(aggregate.updated_at),
            "closed_at": aggregate.closed_at,
            "owner_user": aggregate.owner_user,
            "owner_team": aggregate.owner_team,
            "followers": list(aggregate.followers),
            "feed": [_entry_document(e) for e in aggregate.feed],
            "files": [_file_document(f) for f in aggregate.files],
            "search": search_text(aggregate),
        }

    def from_document(self, document: Document) -> Ticket:
        feed = [_entry(e) for e in document.get("feed", [])]
        files = [_file(f) for f in document.get("files", [])]
        return Ticket(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            sequence=document[SORT_KEY],
            number=document["number"],
            values=TicketValues(
                organisation_id=document["organisation_id"],
                service=document.get("service"),
                sub_service=document.get("sub_service"),
                ticket_type=document["ticket_type"],
                urgency=document.get("urgency"),
                impact=document.get("impact"),
                topic=document.get("topic"),
                subject=document.get("subject", ""),
                title=document.get("title", ""),
                description=document.get("description", ""),
                private=document["private"],
            ),
            created_by=document["created_by"],
            status=document["status"],
            category=Category(document.get("category", "open")),
            created_at=_aware(document["created_at"]) or document["created_at"],
            updated_at=_aware(document.get("updated_at") or document["created_at"])
            or document["created_at"],
            closed_at=_aware(document.get("closed_at")),
            owner_user=document.get("owner_user"),
            owner_team=document.get("owner_team"),
            followers=list(document.get("followers", [])),
            feed=feed,
            files=files,
            stored_feed=len(feed),
            stored_files=len(files),
        )

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        return "a ticket with this number already exists"


def _entry_document(entry: FeedEntry) -> Document:
    return {
        "id": entry.id,
        "kind": entry.kind.value,
        "at": entry.at,
        "author_id": entry.author_id,
        "side": entry.side.value,
        "text": entry.text,
        "activity": entry.activity,
        "details": dict(entry.details),
    }


def _entry(document: Document) -> FeedEntry:
    return FeedEntry(
        document["id"],
        EntryKind(document["kind"]),
        _aware(document["at"]) or document["at"],
        document.get("author_id"),
        Side(document.get("side", "system")),
        document.get("text", ""),
        document.get("activity"),
        dict(document.get("details") or {}),
    )


def _file_document(file: TicketFile) -> Document:
    return {
        "id": file.id,
        "entry_id": file.entry_id,
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "uploaded_at": file.uploaded_at,
    }


def _file(document: Document) -> TicketFile:
    return TicketFile(
        document["id"],
        document["entry_id"],
        document["filename"],
        document["content_type"],
        document["size"],
        _aware(document["uploaded_at"]) or document["uploaded_at"],
    )


class ProductAccessBook:
    """The local read model of people's product access (the `ProductAccess` port): for each
    user and customer organisation the products they have access to, and the version of the
    people event the state comes from (`reflects`)."""

    def __init__(self, database: Database, tenant: str) -> None:
        self._documents = database.for_tenant(PRODUCT_ACCESS, tenant)
        self._versioned = VersionedDocuments(self._documents)

    async def products_of(self, holder_kind: str, holder_id: str) -> frozenset[str] | None:
        found = await self._documents.find_one(
            {"holder_kind": holder_kind, "holder_id": holder_id}, projection={"products": 1}
        )
        return None if found is None else frozenset(found.get("products", []))

    async def record(
        self, holder_kind: str, holder_id: str, products: frozenset[str], *, version: str
    ) -> bool:
        # Keyed on the unique (tenant, holder) index: a late event's upsert is refused.
        return await self._versioned.apply(
            {"holder_kind": holder_kind, "holder_id": holder_id},
            version,
            {"$set": {"products": sorted(products)}},
        )


class OrganisationBook(OrganisationTree):
    """The local read model of people's organisations (the `OrganisationTree` port): each
    organisation's parent, so a parent's members see its departments' tickets."""

    async def record(self, organisation_id: str, *, parent_id: str | None, version: str) -> None:
        # The parent never changes after creation: a fact, set by a late event too.
        await self.upsert(organisation_id, {}, version=version, facts={"parent_id": parent_id})


# -- the knowledge base ---------------------------------------------------------------------


def _has_terms(language: str, query: Query, *, every_term: bool) -> dict[str, Any]:
    """The version in `language` holds the query's stems (each whole) and its prefix."""
    clauses: list[dict[str, Any]] = [{"terms": f"{language}:{s}"} for s in query.stems]
    if query.prefix:
        clauses.append({"terms": {"$regex": "^" + re.escape(f"{language}:{query.prefix}")}})
    if not clauses:
        return NOTHING
    return {"$and": clauses} if every_term else {"$or": clauses}


class ArticleRepository(SightedRepository[Article, ArticleSight]):
    """The knowledge-base articles of one tenant (the `Articles` port). Each document keeps
    the search terms of its language versions (`terms`, `title_terms`: `language:term`) behind
    an index; ranking is the service's."""

    collection = ARTICLES
    service = "tickets"
    sort_key = ARTICLE_ORDER

    def in_sight(self, sight: ArticleSight) -> dict[str, Any]:
        """The articles `sight` takes in (`ArticleSight.sees`), as a filter."""
        if sight.everything:
            return {}
        audiences: list[dict[str, Any]] = [{"audience": Audience.PUBLIC.value}]
        if sight.customer:
            audiences.append({"audience": Audience.CUSTOMERS.value})
            if sight.products:
                audiences.append(
                    {
                        "audience": Audience.PRODUCTS.value,
                        "products": {"$in": sorted(sight.products)},
                    }
                )
        return {"state": ArticleState.PUBLISHED.value, "$or": audiences}

    async def listed(
        self, sight: ArticleSight, categories: tuple[str, ...], after: Keyset | None, size: int
    ) -> Page[Article]:
        parts = [self.in_sight(sight)]
        if categories:
            parts.append({"category": {"$in": list(categories)}})
        matching = {"$and": parts}
        total = await self.count(matching)
        found = await self.find(
            {"$and": [matching, after_keyset(ARTICLE_ORDER, after, descending=True)]},
            sort=[(ARTICLE_ORDER, -1), ("_id", -1)],
            limit=size + 1,
        )
        return Page(found[:size], has_next=len(found) > size, total=total)

    def _served_in(self, wanted: Wanted) -> dict[str, Any]:
        """The served version (the reader's language, else the default, else the article's
        first) holds the terms."""
        reader, default = wanted.language, wanted.default

        def terms_in(language: str) -> dict[str, Any]:
            return _has_terms(language, wanted.queries[language], every_term=wanted.every_term)

        ways: list[dict[str, Any]] = [{"$and": [{"languages": reader}, terms_in(reader)]}]
        if default != reader:
            ways.append(
                {
                    "$and": [
                        {"languages": {"$ne": reader}},
                        {"languages": default},
                        terms_in(default),
                    ]
                }
            )
        for language in LANGUAGES:
            if language in (reader, default) or language not in wanted.queries:
                continue
            ways.append(
                {
                    "$and": [
                        {"languages": {"$nin": [reader, default]}},
                        {"first_language": language},
                        terms_in(language),
                    ]
                }
            )
        return {"$or": ways}

    async def candidates(self, sight: ArticleSight, wanted: Wanted) -> list[Candidate]:
        parts = [self.in_sight(sight), self._served_in(wanted)]
        if wanted.categories:
            parts.append({"category": {"$in": list(wanted.categories)}})
        if wanted.product is not None:
            parts.append({"products": wanted.product})
        found = await self._documents.find(
            {"$and": parts},
            projection={"languages": 1, "title_terms": 1, "terms": 1, ARTICLE_ORDER: 1},
            limit=wanted.limit,
        )
        return [
            Candidate(
                article_id=d["_id"],
                languages=tuple(d.get("languages", [])),
                title_terms=tuple(d.get("title_terms", [])),
                terms=tuple(d.get("terms", [])),
                order=d.get(ARTICLE_ORDER, 0),
            )
            for d in found
        ]

    async def with_image(self, sight: ArticleSight, image_id: str) -> Article | None:
        found = await self.find({"$and": [{"images.id": image_id}, self.in_sight(sight)]}, limit=1)
        return found[0] if found else None

    async def many(self, sight: ArticleSight, article_ids: list[str]) -> list[Article]:
        if not article_ids:
            return []
        return await self.find({"$and": [{"_id": {"$in": article_ids}}, self.in_sight(sight)]})

    def appended(self, aggregate: Article) -> dict[str, list[Any]]:
        """The history only grows: what was added since loading is pushed."""
        return {
            "history": [
                _revision_document(r) for r in aggregate.history[aggregate.stored_history :]
            ]
        }

    def saved(self, aggregate: Article) -> None:
        aggregate.stored_history = len(aggregate.history)

    def to_document(self, aggregate: Article) -> Document:
        languages = aggregate.languages
        title_terms, all_terms = aggregate.search_terms()
        created = aggregate.created_at or datetime.now(UTC)
        return {
            ARTICLE_ORDER: millis(created),
            "category": aggregate.category,
            "audience": aggregate.audience.value,
            "products": list(aggregate.products),
            "state": aggregate.state.value,
            "texts": {
                lang: {"title": t.title, "body": t.body} for lang, t in aggregate.texts.items()
            },
            "languages": languages,
            "first_language": languages[0] if languages else None,
            "title_terms": title_terms,
            "terms": all_terms,
            "created_by": aggregate.created_by,
            "created_at": aggregate.created_at,
            "updated_at": aggregate.updated_at,
            "published_at": aggregate.published_at,
            "history": [_revision_document(r) for r in aggregate.history],
            "images": [
                {"id": i.id, "filename": i.filename, "content_type": i.content_type, "size": i.size}
                for i in aggregate.images
            ],
        }

    def from_document(self, document: Document) -> Article:
        history = [_revision(r) for r in document.get("history", [])]
        return Article(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            category=document["category"],
            audience=Audience(document["audience"]),
            products=tuple(document.get("products", [])),
            state=ArticleState(document["state"]),
            texts=texts_of(document.get("texts", {})),
            created_by=document.get("created_by", ""),
            created_at=_aware(document.get("created_at")),
            updated_at=_aware(document.get("updated_at")),
            published_at=_aware(document.get("published_at")),
            history=history,
            stored_history=len(history),
            images=[
                ArticleImage(i["id"], i["filename"], i["content_type"], i["size"])
                for i in document.get("images", [])
            ],
        )


def _revision_document(revision: Revision) -> Document:
    return {
        "number": revision.number,
        "at": revision.at,
        "by": revision.by,
        "action": revision.action,
        "language": revision.language,
        "title": revision.title,
        "body": revision.body,
    }


def _revision(document: Document) -> Revision:
    return Revision(
        document["number"],
        _aware(document["at"]) or document["at"],
        document["by"],
        document["action"],
        document.get("language"),
        document.get("title"),
        document.get("body"),
    )


_COUNTERS = (
    "views",
    "opened_from_suggestion",
    "ticket_created_after",
    "abandoned_after",
)


class ArticleCountBook:
    """Views, votes and suggestion outcomes per article (the `ArticleCounts` port): counters in
    one document per article (`$inc`), votes one document per article and user (a unique
    index: one vote each)."""

    def __init__(self, database: Database, tenant: str) -> None:
        self._counts = database.for_tenant(ARTICLE_COUNTS, tenant)
        self._votes = database.for_tenant(ARTICLE_VOTES, tenant)

    async def add(self, article_ids: list[str], counter: str) -> None:
        if counter not in _COUNTERS:
            raise ValueError(f"no counter {counter!r}")
        for article_id in dict.fromkeys(article_ids):
            await self._counts.find_one_and_update(
                {"_id": article_id}, {"$inc": {counter: 1}}, upsert=True
            )

    async def vote(self, article_id: str, user: str, helpful: bool) -> None:
        try:
            await self._votes.find_one_and_update(
                {"article_id": article_id, "user": user},
                {"$set": {"helpful": helpful}},
                upsert=True,
            )
        except DuplicateKeyError:  # two first votes at once: the other one's upsert won
            await self._votes.find_one_and_update(
                {"article_id": article_id, "user": user}, {"$set": {"helpful": helpful}}
            )

    async def of(self, article_id: str) -> ArticleStatistics:
        counts = await self._counts.find_one({"_id": article_id}) or {}
        helpful = await self._votes.count({"article_id": article_id, "helpful": True})
        not_helpful = await self._votes.count({"article_id": article_id, "helpful": False})
        return ArticleStatistics(
            helpful=helpful,
            not_helpful=not_helpful,
            **{name: int(counts.get(name, 0)) for name in _COUNTERS},
        )

    async def totals(self) -> ArticleStatistics:
        sums = {name: 0 for name in _COUNTERS}
        for document in await self._counts.find({}):
            for name in _COUNTERS:
                sums[name] += int(document.get(name, 0))
        helpful = await self._votes.count({"helpful": True})
        not_helpful = await self._votes.count({"helpful": False})
        return ArticleStatistics(helpful=helpful, not_helpful=not_helpful, **sums)
