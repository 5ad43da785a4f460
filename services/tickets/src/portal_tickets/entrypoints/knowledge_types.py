"""GraphQL types of the knowledge base (FAQ): articles as a reader gets them (the version in
their language, and which one that is), search hits with highlighted snippets, categories,
counts. An article's body comes as written (Markdown) and as sanitised HTML."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from portal_kit.graphql import Connection, UserError, page_connection
from portal_kit.repository import Page

from portal_tickets.domain import articles as article_domain
from portal_tickets.domain.configuration import Choice
from portal_tickets.domain.rendering import render
from portal_tickets.entrypoints.context import Info
from portal_tickets.entrypoints.types import User
from portal_tickets.service_layer import knowledge
from portal_tickets.service_layer.access import millis
from portal_tickets.service_layer.ports import ArticleStatistics as Statistics


@strawberry.enum(description="Who reads an article.")
class ArticleAudience(Enum):
    PUBLIC = "public"
    CUSTOMERS = "customers"
    PRODUCTS = "products"
    STAFF = "staff"


@strawberry.enum
class ArticleState(Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


@strawberry.enum(description="What became of a ticket whose writer opened suggestions.")
class SuggestionOutcome(Enum):
    TICKET_CREATED = "ticket_created"
    ABANDONED = "abandoned"


@strawberry.type(description="A category of the tenant's knowledge base, in your language.")
class KnowledgeCategory:
    code: str
    label: str
    subcategories: list[KnowledgeCategory]

    @classmethod
    def of(cls, choice: Choice, locale: str) -> KnowledgeCategory:
        return cls(
            code=choice.code,
            label=choice.label(locale),
            subcategories=[cls.of(c, locale) for c in choice.children],
        )


@strawberry.type(description="Views, votes and what suggestions achieved (staff).")
class ArticleStatistics:
    views: int
    helpful: int
    not_helpful: int
    opened_from_suggestion: int
    ticket_created_after: int = strawberry.field(
        description="Opened as a suggestion, and the ticket was created after all."
    )
    abandoned_after: int = strawberry.field(
        description="Opened as a suggestion, and the ticket was not created: tickets prevented."
    )

    @classmethod
    def of(cls, statistics: Statistics) -> ArticleStatistics:
        return cls(**statistics.__dict__)


@strawberry.type(description="One entry of an article's history.")
class ArticleRevision:
    number: int
    at: datetime
    action: str
    language: str | None
    title: str | None
    body: str | None
    author: User | None


@strawberry.type(description="A picture of an article's body.")
class ArticleImage:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int
    download_path: str = strawberry.field(
        description="Where it is read (`![text](<path>)` in the Markdown); the gateway streams "
        "it with your session."
    )

    @classmethod
    def of(cls, image: article_domain.ArticleImage) -> ArticleImage:
        return cls(
            id=strawberry.ID(image.id),
            filename=image.filename,
            content_type=image.content_type,
            size=image.size,
            download_path=f"{knowledge.IMAGE_PATH}{image.id}",
        )


@strawberry.type(
    description="A knowledge-base article in the version you read: yours, else the tenant's "
    "default language, else its first."
)
class KnowledgeArticle:
    id: strawberry.ID
    version: int
    language: str = strawberry.field(description="The language of this version.")
    requested_language: str
    in_requested_language: bool
    languages: list[str] = strawberry.field(description="Every language it is written in.")
    title: str
    body: str = strawberry.field(description="As written: Markdown.")
    html: str = strawberry.field(description="The body rendered to sanitised HTML.")
    category_code: str
    audience: ArticleAudience
    products: list[str]
    state: ArticleState
    revision: int
    images: list[ArticleImage]
    created_at: datetime | None
    updated_at: datetime | None
    published_at: datetime | None
    locale: strawberry.Private[str]
    served: strawberry.Private[knowledge.Served]

    @strawberry.field
    def category(self, info: Info) -> KnowledgeCategory | None:
        found = info.context.knowledge.configuration.knowledge_category(self.category_code)
        return None if found is None else KnowledgeCategory.of(found, self.locale)

    @strawberry.field(description="Every revision (staff; null for readers).")
    def history(self, info: Info) -> list[ArticleRevision] | None:
        if not info.context.principal.is_staff:
            return None
        return [
            ArticleRevision(
                number=r.number,
                at=r.at,
                action=r.action,
                language=r.language,
                title=r.title,
                body=r.body,
                author=User(id=strawberry.ID(r.by)) if r.by else None,
            )
            for r in self.served.article.history
        ]

    @strawberry.field(description="Views, votes and suggestion outcomes (staff; null else).")
    async def statistics(self, info: Info) -> ArticleStatistics | None:
        if not info.context.principal.is_staff:
            return None
        return ArticleStatistics.of(await info.context.knowledge.statistics(str(self.id)))

    @classmethod
    def of(cls, served: knowledge.Served, locale: str) -> KnowledgeArticle:
        article, text = served.article, served.text
        return cls(
            id=strawberry.ID(article.id),
            version=article.version,
            language=served.language,
            requested_language=served.requested,
            in_requested_language=served.language == served.requested,
            languages=article.languages,
            title=text.title,
            body=text.body,
            html=render(text.body),
            category_code=article.category,
            audience=ArticleAudience(article.audience.value),
            products=list(article.products),
            state=ArticleState(article.state.value),
            revision=article.revision,
            images=[ArticleImage.of(i) for i in article.images],
            created_at=article.created_at,
            updated_at=article.updated_at,
            published_at=article.published_at,
            locale=locale,
            served=served,
        )

    @classmethod
    def connection_of(
        cls, page: Page[knowledge.Served], locale: str, *, after: str | None
    ) -> Connection[KnowledgeArticle]:
        return page_connection(
            page,
            lambda s: cls.of(s, locale),
            lambda s: (millis(s.article.created_at) if s.article.created_at else 0, s.article.id),
            after=after,
        )


@strawberry.type(description="A search result: the article, how well it matched, a snippet.")
class KnowledgeHit:
    article: KnowledgeArticle
    score: int
    snippet: str = strawberry.field(
        description="A piece of the body around the match, HTML-escaped, matches in <mark>."
    )

    @classmethod
    def of(cls, hit: knowledge.Hit, locale: str) -> KnowledgeHit:
        return cls(
            article=KnowledgeArticle.of(hit.served, locale), score=hit.score, snippet=hit.snippet
        )

    @classmethod
    def connection_of(
        cls, hits: knowledge.Hits, locale: str, *, after: str | None
    ) -> Connection[KnowledgeHit]:
        page = Page(hits.hits, has_next=hits.has_next, total=hits.total)
        return page_connection(
            page,
            lambda h: cls.of(h, locale),
            lambda h: (h.position, h.served.article.id),
            after=after,
        )


@strawberry.type
class ArticlePayload:
    article: KnowledgeArticle | None
    user_errors: list[UserError]


@strawberry.type
class ArticleImagePayload:
    article: KnowledgeArticle | None
    image: ArticleImage | None
    user_errors: list[UserError]


@strawberry.type
class SuggestionReportPayload:
    counted: int = strawberry.field(description="How many of the articles were counted.")
    user_errors: list[UserError]


def article_payload(
    result: tuple[article_domain.Article | knowledge.Served | None, list[UserError]],
    base: knowledge.KnowledgeBase,
) -> ArticlePayload:
    found, errors = result
    if found is None:
        return ArticlePayload(article=None, user_errors=errors)
    served = found if isinstance(found, knowledge.Served) else base.serve(found, base.language)
    return ArticlePayload(
        article=KnowledgeArticle.of(served, base.configuration.locale_for(served.language)),
        user_errors=errors,
    )
