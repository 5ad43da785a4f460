"""The knowledge base's queries and mutations, merged into the tickets subgraph's `Query` and
`Mutation` (`entrypoints/schema.py`). A bad argument of a query (an unknown language or
category) is a GraphQL error with code BAD_USER_INPUT naming the argument; a query without
words finds nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from portal_kit.domain import DomainError
from portal_kit.graphql import Connection, attempt, decode_keyset, page_size
from portal_kit.messages import translate

from portal_tickets.domain import articles as article_domain
from portal_tickets.entrypoints.context import Info
from portal_tickets.entrypoints.knowledge_inputs import (
    AddArticleImageInput,
    ArticleVersionInput,
    ChangeArticleInput,
    CreateArticleInput,
    RateArticleInput,
    ReportArticleSuggestionsInput,
    WriteArticleInput,
)
from portal_tickets.entrypoints.knowledge_types import (
    ArticleImage,
    ArticleImagePayload,
    ArticlePayload,
    ArticleStatistics,
    KnowledgeArticle,
    KnowledgeCategory,
    KnowledgeHit,
    SuggestionReportPayload,
    article_payload,
)
from portal_tickets.service_layer.knowledge import IMAGE_RULES, KnowledgeBase, Outcome

R = TypeVar("R")


async def _asked(action: Callable[[], Awaitable[R]]) -> R:
    """A query's refusal of an argument as a typed GraphQL error."""
    try:
        return await action()
    except DomainError as error:
        raise GraphQLError(
            translate(error.message),
            extensions={"code": "BAD_USER_INPUT", "reason": error.code, "field": error.field},
        ) from None


def _locale(base: KnowledgeBase, language: str) -> str:
    return base.configuration.locale_for(language)


@strawberry.type
class KnowledgeQuery:
    @strawberry.field(description="The tenant's knowledge-base categories, in your language.")
    def knowledge_categories(self, info: Info) -> list[KnowledgeCategory] | None:
        base = info.context.knowledge
        locale = _locale(base, base.language)
        return [KnowledgeCategory.of(c, locale) for c in base.configuration.knowledge_categories]

    @strawberry.field(
        description="An article you may read, in your language (or `language`); null for any "
        "other id. `fromSuggestion`: opened from a suggestion while writing a ticket."
    )
    async def knowledge_article(
        self,
        info: Info,
        id: strawberry.ID,
        language: str | None = None,
        from_suggestion: bool = False,
    ) -> KnowledgeArticle | None:
        base = info.context.knowledge
        found = await _asked(
            lambda: base.article(str(id), language=language, from_suggestion=from_suggestion)
        )
        return None if found is None else KnowledgeArticle.of(found, _locale(base, found.language))

    @strawberry.field(description="The articles you may read, newest first, by category.")
    async def knowledge_articles(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        category: str | None = None,
        language: str | None = None,
    ) -> Connection[KnowledgeArticle] | None:
        base = info.context.knowledge
        page = await _asked(
            lambda: base.listed(
                category=category,
                after=decode_keyset(after, int),
                size=page_size(first),
                language=language,
            )
        )
        locale = _locale(base, base.reading_language(language))
        return KnowledgeArticle.connection_of(page, locale, after=after)

    @strawberry.field(
        description="Search the articles you may read, in your language: every word (the "
        "last also as a beginning), best matches first, with snippets."
    )
    async def search_knowledge(
        self,
        info: Info,
        query: str,
        first: int | None = None,
        after: str | None = None,
        category: str | None = None,
        product: str | None = None,
        language: str | None = None,
    ) -> Connection[KnowledgeHit] | None:
        base = info.context.knowledge
        hits = await _asked(
            lambda: base.search(
                query,
                language=language,
                category=category,
                product=product,
                after=decode_keyset(after, int),
                size=page_size(first),
            )
        )
        locale = _locale(base, base.reading_language(language))
        return KnowledgeHit.connection_of(hits, locale, after=after)

    @strawberry.field(
        description="Articles for a ticket being written (its subject, description and "
        "product so far): the best few for you, cheap enough for every debounced keystroke."
    )
    async def suggest_articles(
        self,
        info: Info,
        subject: str,
        description: str | None = None,
        product: str | None = None,
        first: int = 5,
    ) -> list[KnowledgeHit] | None:
        base = info.context.knowledge
        hits = await base.suggest(subject, description or "", product=product, size=first)
        return [KnowledgeHit.of(h, _locale(base, h.served.language)) for h in hits]

    @strawberry.field(description="Sums over every article: views, votes, tickets prevented.")
    async def knowledge_statistics(self, info: Info) -> ArticleStatistics | None:
        base = info.context.knowledge
        if not base.principal.is_staff:
            return None
        return ArticleStatistics.of(await base.totals())


async def _article(
    base: KnowledgeBase, action: Callable[[], Awaitable[article_domain.Article]]
) -> ArticlePayload:
    return article_payload(await attempt(action), base)


@strawberry.type
class KnowledgeMutation:
    @strawberry.mutation(description="Write a new article, a draft (staff).")
    async def create_article(self, info: Info, input: CreateArticleInput) -> ArticlePayload:
        base = info.context.knowledge
        return await _article(
            base,
            lambda: base.create(
                language=input.language,
                title=input.title,
                body=input.body,
                category=input.category,
                audience=input.audience,
                products=input.products,
            ),
        )

    @strawberry.mutation(description="Add or rewrite a language version (staff).")
    async def write_article(self, info: Info, input: WriteArticleInput) -> ArticlePayload:
        base = info.context.knowledge
        return await _article(
            base,
            lambda: base.write(
                str(input.id),
                input.version,
                language=input.language,
                title=input.title,
                body=input.body,
            ),
        )

    @strawberry.mutation(description="Change category, audience and products (staff).")
    async def change_article(self, info: Info, input: ChangeArticleInput) -> ArticlePayload:
        base = info.context.knowledge
        return await _article(
            base,
            lambda: base.change(
                str(input.id),
                input.version,
                category=input.category,
                audience=input.audience,
                products=input.products,
            ),
        )

    @strawberry.mutation(
        description="Store a picture for the body (staff); put its `downloadPath` into the "
        "Markdown. A picture is read by whoever may read the article."
    )
    async def add_article_image(
        self, info: Info, input: AddArticleImageInput
    ) -> ArticleImagePayload:
        base = info.context.knowledge

        async def act() -> tuple[article_domain.Article, article_domain.ArticleImage]:
            upload = await input.image.upload(0, IMAGE_RULES.max_bytes)
            return await base.add_image(str(input.id), input.version, upload)

        result, errors = await attempt(act)
        if result is None:
            return ArticleImagePayload(article=None, image=None, user_errors=errors)
        article, image = result
        payload = article_payload((article, []), base)
        return ArticleImagePayload(
            article=payload.article, image=ArticleImage.of(image), user_errors=[]
        )

    @strawberry.mutation(description="Publish: readers of its audience see it (staff).")
    async def publish_article(self, info: Info, input: ArticleVersionInput) -> ArticlePayload:
        base = info.context.knowledge
        return await _article(base, lambda: base.publish(str(input.id), input.version))

    @strawberry.mutation(description="Archive: no reader sees it any more (staff).")
    async def archive_article(self, info: Info, input: ArticleVersionInput) -> ArticlePayload:
        base = info.context.knowledge
        return await _article(base, lambda: base.archive(str(input.id), input.version))

    @strawberry.mutation(description="Was it helpful? One vote per user (signed in).")
    async def rate_article(self, info: Info, input: RateArticleInput) -> ArticlePayload:
        base = info.context.knowledge
        result = await attempt(lambda: base.vote(str(input.id), input.helpful))
        return article_payload(result, base)

    @strawberry.mutation(
        description="Report the suggestions opened while writing a ticket and its outcome."
    )
    async def report_article_suggestions(
        self, info: Info, input: ReportArticleSuggestionsInput
    ) -> SuggestionReportPayload:
        base = info.context.knowledge
        counted, errors = await attempt(
            lambda: base.report_suggestions(
                [str(i) for i in input.article_ids], Outcome(input.outcome.value)
            )
        )
        return SuggestionReportPayload(counted=counted or 0, user_errors=errors)
