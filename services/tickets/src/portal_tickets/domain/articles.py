"""Knowledge-base articles (FAQ): one article in up to five language versions (sv, fi, da, nb,
en), each a title and a Markdown body; a category of the tenant's tree; an audience; a state
(draft, published, archived); a history of every revision. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from portal_kit.domain import Aggregate, DomainError
from portal_kit.messages import Messages
from portal_kit.values import check_code, check_text

from portal_tickets.domain.events import ArticleArchived, ArticlePublished
from portal_tickets.domain.search_terms import LANGUAGES, keyed, terms

_ = Messages("portal_tickets")

MAX_TITLE = 200
MAX_BODY = 50_000  # characters of Markdown
MAX_PRODUCTS = 50
MAX_IMAGES = 50


class Audience(StrEnum):
    PUBLIC = "public"  # also anonymous readers (with the tenant header)
    CUSTOMERS = "customers"  # every signed-in member of a customer organisation
    PRODUCTS = "products"  # customers with access to one of the article's products
    STAFF = "staff"  # the operator's staff only


class ArticleState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class ArticleText:
    """One language version."""

    title: str
    body: str

    def title_terms(self, language: str) -> list[str]:
        return terms(self.title, language)

    def body_terms(self, language: str) -> list[str]:
        return terms(self.body, language)


@dataclass(frozen=True)
class ArticleImage:
    """A picture the body shows (`![text](/ticket-files/<id>)`), stored in the file storage."""

    id: str
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Revision:
    """One entry of the history: what changed, by whom, when; a text change keeps the text."""

    number: int
    at: datetime
    by: str
    action: str  # created, text_written, settings_changed, published, archived
    language: str | None = None
    title: str | None = None
    body: str | None = None


def check_language(value: str, *, field: str = "language") -> str:
    return check_code(value, field=field, allowed=LANGUAGES)


def check_title(value: str, *, field: str = "title") -> str:
    return check_text(value, field=field, max_length=MAX_TITLE)


def check_body(value: str, *, field: str = "body") -> str:
    return check_text(value, field=field, max_length=MAX_BODY, multiline=True)


def check_products(
    products: Collection[str], *, audience: Audience, known: Collection[str]
) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(p.strip() for p in products))
    if len(cleaned) > MAX_PRODUCTS:
        raise DomainError(
            _("at most {limit} products", limit=MAX_PRODUCTS), field="products", code="TOO_MANY"
        )
    for index, product in enumerate(cleaned):
        check_code(product, field=f"products.{index}", allowed=known)
    if audience is Audience.PRODUCTS and not cleaned:
        raise DomainError(
            _("name the products whose customers read the article"),
            field="products",
            code="REQUIRED",
        )
    return cleaned


@dataclass(eq=False)
class Article(Aggregate):
    category: str = ""
    audience: Audience = Audience.STAFF
    products: tuple[str, ...] = ()
    state: ArticleState = ArticleState.DRAFT
    texts: dict[str, ArticleText] = field(default_factory=dict)
    created_by: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    published_at: datetime | None = None
    history: list[Revision] = field(default_factory=list)
    stored_history: int = 0
    images: list[ArticleImage] = field(default_factory=list)

    @classmethod
    def write_new(
        cls,
        *,
        article_id: str,
        tenant: str,
        category: str,
        audience: Audience,
        products: tuple[str, ...],
        language: str,
        text: ArticleText,
        by: str,
        at: datetime,
    ) -> Article:
        article = cls(
            id=article_id,
            tenant=tenant,
            category=category,
            audience=audience,
            products=products,
            texts={language: text},
            created_by=by,
            created_at=at,
            updated_at=at,
        )
        article._revise(at, by, "created", language, text)
        return article

    @property
    def revision(self) -> int:
        return len(self.history)

    @property
    def languages(self) -> list[str]:
        return [language for language in LANGUAGES if language in self.texts]

    def search_terms(self) -> tuple[list[str], list[str]]:
        """What the index keeps of every version, keyed `language:term`: the title's terms,
        and all terms (title and body)."""
        in_titles: list[str] = []
        in_all: list[str] = []
        for language in self.languages:
            text = self.texts[language]
            title = text.title_terms(language)
            in_titles += keyed(language, title)
            in_all += keyed(language, dict.fromkeys([*title, *text.body_terms(language)]))
        return in_titles, in_all

    def served_language(self, wanted: str, default: str) -> str:
        """The version a reader of `wanted` gets: theirs, else the tenant's default, else the
        first there is."""
        for language in (wanted, default):
            if language in self.texts:
                return language
        return self.languages[0]

    def _revise(
        self,
        at: datetime,
        by: str,
        action: str,
        language: str | None = None,
        text: ArticleText | None = None,
    ) -> None:
        self.history.append(
            Revision(
                self.revision + 1,
                at,
                by,
                action,
                language,
                text.title if text else None,
                text.body if text else None,
            )
        )
        self.updated_at = at

    def write(self, language: str, text: ArticleText, *, by: str, at: datetime) -> None:
        """Adds or replaces a language version (a published article stays published)."""
        if self.state is ArticleState.ARCHIVED:
            raise DomainError(_("an archived article is not changed"), field="id", code="ARCHIVED")
        self.texts[language] = text
        self._revise(at, by, "text_written", language, text)

    def add_image(self, image: ArticleImage, *, by: str, at: datetime) -> None:
        if self.state is ArticleState.ARCHIVED:
            raise DomainError(_("an archived article is not changed"), field="id", code="ARCHIVED")
        if len(self.images) >= MAX_IMAGES:
            raise DomainError(
                _("at most {limit} pictures", limit=MAX_IMAGES), field="image", code="TOO_MANY"
            )
        self.images.append(image)
        self._revise(at, by, "image_added")

    def image(self, image_id: str) -> ArticleImage | None:
        return next((i for i in self.images if i.id == image_id), None)

    def change_settings(
        self,
        *,
        category: str,
        audience: Audience,
        products: tuple[str, ...],
        by: str,
        at: datetime,
    ) -> None:
        self.category, self.audience, self.products = category, audience, products
        self._revise(at, by, "settings_changed")

    def publish(self, *, by: str, at: datetime) -> None:
        if self.state is ArticleState.PUBLISHED:
            raise DomainError(
                _("the article is published already"), field="id", code="ALREADY_PUBLISHED"
            )
        self.state = ArticleState.PUBLISHED
        self.published_at = at
        self._revise(at, by, "published")
        self.record(
            ArticlePublished(
                article_id=self.id,
                category=self.category,
                audience=self.audience.value,
                languages=self.languages,
                revision=self.revision,
                published_by=by,
            )
        )

    def archive(self, *, by: str, at: datetime) -> None:
        if self.state is ArticleState.ARCHIVED:
            raise DomainError(_("the article is archived already"), field="id", code="ARCHIVED")
        self.state = ArticleState.ARCHIVED
        self._revise(at, by, "archived")
        self.record(ArticleArchived(article_id=self.id, archived_by=by))


def texts_of(raw: Mapping[str, Mapping[str, str]]) -> dict[str, ArticleText]:
    return {language: ArticleText(t["title"], t["body"]) for language, t in raw.items()}
