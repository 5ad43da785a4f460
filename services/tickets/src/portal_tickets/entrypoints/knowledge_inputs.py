"""GraphQL inputs of the knowledge base. Codes (language, category, audience, products) are
checked by the use cases: an unknown one is a typed user error naming the field."""

from __future__ import annotations

import strawberry

from portal_tickets.entrypoints.inputs import TicketFileInput
from portal_tickets.entrypoints.knowledge_types import SuggestionOutcome


@strawberry.input(description="A new article (a draft) in one language (staff).")
class CreateArticleInput:
    language: str = strawberry.field(description="sv, fi, da, nb or en.")
    title: str
    body: str = strawberry.field(description="Markdown.")
    category: str = strawberry.field(description="A code of the tenant's category tree.")
    audience: str = strawberry.field(description="public, customers, products or staff.")
    products: list[str] = strawberry.field(
        default_factory=list, description="For audience products: the products' codes."
    )


@strawberry.input(description="Add or rewrite one language version (staff).")
class WriteArticleInput:
    id: strawberry.ID
    version: int
    language: str
    title: str
    body: str


@strawberry.input(description="Change category, audience and products (staff).")
class ChangeArticleInput:
    id: strawberry.ID
    version: int
    category: str
    audience: str
    products: list[str] = strawberry.field(default_factory=list)


@strawberry.input(
    description="A picture for the body (staff): PNG, JPEG, GIF or WebP up to 5 MiB, sent "
    "like a ticket's file (multipart `file`, or `contentBase64`)."
)
class AddArticleImageInput:
    id: strawberry.ID
    version: int
    image: TicketFileInput


@strawberry.input
class ArticleVersionInput:
    id: strawberry.ID
    version: int


@strawberry.input(description="Was the article helpful? One vote per user; a new one replaces it.")
class RateArticleInput:
    id: strawberry.ID
    helpful: bool


@strawberry.input(
    description="The suggestions opened while writing a ticket, and what became of the ticket."
)
class ReportArticleSuggestionsInput:
    article_ids: list[strawberry.ID]
    outcome: SuggestionOutcome
