"""The knowledge base's use cases against in-memory fakes of their ports: no MongoDB, NATS or
HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from portal_kit.domain import DomainError, ValidationFailed
from portal_kit.principal import Principal
from portal_kit.testing.fakes import InMemoryFiles
from portal_kit.testing.plugin import make_principal
from portal_tickets.adapters.configuration import shipped_configurations
from portal_tickets.domain.events import ArticleArchived, ArticlePublished
from portal_tickets.service_layer.files import Upload
from portal_tickets.service_layer.knowledge import KnowledgeBase, Outcome

from .fakes import InMemoryArticleCounts, InMemoryArticles, InMemoryProductAccess

TENANT = "visma-inschool"
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
STAFF = make_principal(TENANT, user="maria", staff=True, locale="sv")
REKTOR = make_principal(TENANT, user="rektor", memberships={"school": ("user",)}, locale="sv")
OPETTAJA = make_principal(TENANT, user="opettaja", memberships={"school": ("user",)}, locale="fi")
ANONYMOUS = Principal.anonymous(TENANT)


class Knowledge:
    """One tenant's articles and counts, and a knowledge base for any caller."""

    def __init__(self) -> None:
        self.articles = InMemoryArticles(TENANT)
        self.counts = InMemoryArticleCounts()
        self.product_access = InMemoryProductAccess()
        self.files = InMemoryFiles()

    def of(self, principal: Principal) -> KnowledgeBase:
        return KnowledgeBase(
            principal,
            shipped_configurations().of(TENANT),
            self.articles,
            self.counts,
            product_access=self.product_access,
            files=self.files,
            clock=lambda: NOON,
        )

    async def published(self, title: str, body: str, **settings: object) -> str:
        staff = self.of(STAFF)
        values = {"language": "sv", "category": "login", "audience": "customers", "products": []}
        values.update(settings)
        article = await staff.create(title=title, body=body, **values)  # type: ignore[arg-type]
        await staff.publish(article.id, article.version)
        return article.id


@pytest.fixture
def knowledge() -> Knowledge:
    return Knowledge()


async def titles(base: KnowledgeBase, query: str, **options: object) -> list[str]:
    found = await base.search(query, **options)  # type: ignore[arg-type]
    return [hit.served.text.title for hit in found.hits]


async def test_staff_write_publish_and_archive_with_events(knowledge):
    staff = knowledge.of(STAFF)
    article = await staff.create(
        language="sv", title="Inloggning", body="Glömt lösenordet?", category="login",
        audience="public", products=[],
    )  # fmt: skip
    assert knowledge.articles.committed == []
    article = await staff.write(
        article.id, article.version, language="fi", title="Kirjautuminen", body="Unohditko?"
    )
    article = await staff.publish(article.id, article.version)
    await staff.archive(article.id, article.version)
    events = knowledge.articles.committed
    assert [type(e) for e in events] == [ArticlePublished, ArticleArchived]
    assert events[0].languages == ["sv", "fi"] and events[0].audience == "public"


async def test_readers_see_published_articles_of_their_audience(knowledge):
    public = await knowledge.published("Offentlig", "lösenord", audience="public")
    customers = await knowledge.published("Kunder", "lösenord", audience="customers")
    wilma = await knowledge.published(
        "Wilma", "lösenord", audience="products", products=["wilma"], category="wilma"
    )
    staff_only = await knowledge.published("Personal", "lösenord", audience="staff")
    staff = knowledge.of(STAFF)
    draft = await staff.create(
        language="sv", title="Utkast", body="lösenord", category="login", audience="public",
        products=[],
    )  # fmt: skip

    async def readable(principal: Principal) -> set[str]:
        base = knowledge.of(principal)
        ids = (public, customers, wilma, staff_only, draft.id)
        return {i for i in ids if await base.article(i) is not None}

    assert await readable(ANONYMOUS) == {public}
    assert await readable(REKTOR) == {public, customers}
    await knowledge.product_access.record(
        "organisation", "school", frozenset({"wilma"}), version="1:000000000001.0000"
    )
    assert await readable(REKTOR) == {public, customers, wilma}
    assert await readable(STAFF) == {public, customers, wilma, staff_only, draft.id}
    assert await titles(knowledge.of(ANONYMOUS), "lösenord") == ["Offentlig"]


async def test_a_reader_gets_their_language_and_is_told_which(knowledge):
    article_id = await knowledge.published("Inloggning", "Glömt lösenordet?")
    staff = knowledge.of(STAFF)
    article = await staff.articles.get(article_id)
    assert article is not None
    await staff.write(
        article_id, article.version, language="fi", title="Kirjautuminen", body="Unohditko?"
    )
    finnish = await knowledge.of(OPETTAJA).article(article_id)
    assert finnish is not None and (finnish.language, finnish.text.title) == ("fi", "Kirjautuminen")
    english_reader = make_principal(
        TENANT, user="en", memberships={"school": ("user",)}, locale="en"
    )
    fallback = await knowledge.of(english_reader).article(article_id)
    assert fallback is not None and (fallback.language, fallback.requested) == ("sv", "en")
    with pytest.raises(DomainError) as refused:
        await knowledge.of(REKTOR).article(article_id, language="de")
    assert (refused.value.field, refused.value.code) == ("language", "UNKNOWN_CODE")


async def test_search_ranks_title_matches_first_and_filters(knowledge):
    await knowledge.published("Om schemat", "Text om lösenord.", category="wilma")
    await knowledge.published("Lösenordet", "Hur man byter det.", category="login")
    rektor = knowledge.of(REKTOR)
    assert await titles(rektor, "lösenord") == ["Lösenordet", "Om schemat"]
    assert await titles(rektor, "lösenord", category="programs") == ["Om schemat"]
    assert await titles(rektor, "...") == []
    with pytest.raises(DomainError):
        await rektor.search("lösenord", category="nope")
    with pytest.raises(DomainError):
        await rektor.search("lösenord", product="nope")


async def test_suggestions_prefer_every_word_then_any_and_the_product(knowledge):
    await knowledge.published("Glömt lösenordet", "Klicka på länken.")
    await knowledge.published("Lösenord i Wilma", "Byt lösenord.", products=["wilma"])
    await knowledge.published("Schemat", "Glömt att publicera schemat?")
    rektor = knowledge.of(REKTOR)
    first = [h.served.text.title for h in await rektor.suggest("Jag har glömt lösen")]
    assert first[0] == "Glömt lösenordet"
    by_product = await rektor.suggest("lösenord ", product="wilma")
    assert by_product[0].served.text.title == "Lösenord i Wilma"
    assert await rektor.suggest("och att det") == []
    assert await rektor.suggest("x" * 10_000) == []


async def test_votes_views_and_suggestion_outcomes_are_counted(knowledge):
    article_id = await knowledge.published("Glömt lösenordet", "Klicka på länken.")
    rektor, opettaja = knowledge.of(REKTOR), knowledge.of(OPETTAJA)
    await rektor.article(article_id, from_suggestion=True)
    await knowledge.of(STAFF).article(article_id)  # staff reading is not a view
    await rektor.vote(article_id, False)
    await rektor.vote(article_id, True)  # once per user: the second replaces the first
    await opettaja.vote(article_id, True)
    assert await rektor.report_suggestions([article_id, "missing"], Outcome.ABANDONED) == 1
    statistics = await knowledge.of(STAFF).statistics(article_id)
    assert (statistics.views, statistics.opened_from_suggestion) == (1, 1)
    assert (statistics.helpful, statistics.not_helpful, statistics.abandoned_after) == (2, 0, 1)
    with pytest.raises(DomainError):
        await knowledge.of(ANONYMOUS).vote(article_id, True)
    with pytest.raises(DomainError):
        await rektor.statistics(article_id)
    with pytest.raises(DomainError) as too_many:
        await rektor.report_suggestions(["a"] * 21, Outcome.TICKET_CREATED)
    assert too_many.value.code == "TOO_MANY"


async def test_bad_article_input_names_every_field_and_writes_nothing(knowledge):
    staff = knowledge.of(STAFF)
    with pytest.raises(ValidationFailed) as refused:
        await staff.create(
            language="xx", title=" ", body="b" * 50_001, category="?", audience="?",
            products=["nope"],
        )  # fmt: skip
    assert sorted((p.field, p.code) for p in refused.value.problems) == [
        ("audience", "UNKNOWN_CODE"),
        ("body", "TOO_LONG"),
        ("category", "UNKNOWN_CODE"),
        ("language", "UNKNOWN_CODE"),
        ("products.0", "UNKNOWN_CODE"),
        ("title", "REQUIRED"),
    ]
    assert knowledge.articles.stored == {}
    with pytest.raises(DomainError) as forbidden:
        await knowledge.of(REKTOR).create(
            language="sv", title="t", body="b", category="login", audience="public", products=[]
        )
    assert forbidden.value.code == "FORBIDDEN"


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


async def test_a_picture_is_stored_and_read_by_whoever_reads_the_article(knowledge):
    staff = knowledge.of(STAFF)
    article = await staff.create(
        language="sv", title="Med bild", body="Se bilden.", category="login",
        audience="customers", products=[],
    )  # fmt: skip
    article, image = await staff.add_image(article.id, article.version, Upload("vy.png", PNG))
    assert (image.content_type, article.revision) == ("image/png", 2)
    assert await knowledge.of(REKTOR).image(image.id) is None  # a draft's picture: hidden
    article = await staff.publish(article.id, article.version)
    found = await knowledge.of(REKTOR).image(image.id)
    assert found is not None and found[1] == PNG
    assert await knowledge.of(ANONYMOUS).image(image.id) is None  # customers only
    with pytest.raises(ValidationFailed) as refused:
        await staff.add_image(article.id, article.version, Upload("x.txt", b"just text"))
    assert [(p.field, p.code) for p in refused.value.problems] == [("image.file", "FORBIDDEN_TYPE")]
