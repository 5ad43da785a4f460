"""The knowledge base: its pure pieces (terms, queries, ranking, snippets, rendering, the
article's rules) and the subgraph in-process against real NATS and MongoDB (or the stand-in):
the repository's query takes in what `ArticleSight.sees`, and no query or article input, however
malformed, is answered with a fault. The manuals' scenarios are in
gateway/tests/test_gateway_knowledge_scenarios.py."""

import re
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_kit.domain import DomainError
from portal_kit.principal import Principal
from portal_kit.testing.fakes import assert_query_takes_in_what_sights_see
from portal_kit.testing.harness import running_service
from portal_kit.testing.plugin import make_principal
from portal_tickets.adapters.repositories import ArticleRepository
from portal_tickets.app import create_app
from portal_tickets.domain.articles import Article, ArticleState, ArticleText, Audience
from portal_tickets.domain.rendering import render
from portal_tickets.domain.search_terms import (
    MAX_QUERY_TERMS,
    matches_all,
    parse_query,
    score,
    snippet,
    terms,
)
from portal_tickets.service_layer.access import ArticleSight
from portal_tickets.settings import TicketsSettings

TENANT = "visma-inschool"
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
STAFF = make_principal(TENANT, user="maria", staff=True, locale="sv")
REKTOR = make_principal(TENANT, user="rektor", memberships={"school": ("user",)}, locale="sv")
ANONYMOUS = Principal.anonymous(TENANT)

# -- terms, queries, ranking ----------------------------------------------------------------


def test_words_are_stemmed_in_their_language_and_folded():
    assert terms("Glömt lösenorden? Lösenord!", "sv") == ["glomt", "losenord"]
    assert terms("salasanan salasanaa", "fi") == ["salasan"]
    assert terms("Adgangskoden adgangskode", "da") == ["adgangskod"]
    assert terms("passordet passord", "nb") == ["passord"]
    assert terms("Passwords password", "en") == ["password"]


def test_a_query_of_punctuation_or_10000_characters_is_cut_or_empty():
    assert parse_query("!!! ... ???", "sv").empty
    assert parse_query("", "fi").empty
    long = parse_query("lösenord " * 1250, "sv")
    assert len(long.stems) <= MAX_QUERY_TERMS and not long.empty


def test_the_last_word_is_a_beginning_while_typed_and_a_word_when_done():
    typing = parse_query("glömt lösen", "sv")
    assert typing.stems == ("glomt",) and typing.prefix is not None
    assert matches_all(typing, ["glomt", "losenord"])
    done = parse_query("glömt lösenorden ", "sv")
    assert (done.stems, done.prefix) == (("glomt", "losenord"), None)


def test_common_words_are_left_out_of_suggestions():
    query = parse_query(
        "Jag har glömt lösenordet och kan inte logga in", "sv", drop_stop_words=True
    )
    assert "jag" not in query.stems and "glomt" in query.stems


def test_a_title_match_ranks_above_a_body_match():
    query = parse_query("lösenord ", "sv")
    assert score(query, ["losenord"], ["losenord"]) > score(query, ["annat"], ["losenord"])
    assert score(query, [], ["annat"]) == 0


def test_a_snippet_marks_the_match_and_escapes_the_text():
    query = parse_query("lösenordet ", "sv")
    cut = snippet(query, "Klicka på **Glömt lösenordet?** <script>x</script>", "sv")
    assert "<mark>lösenordet?</mark>" in cut
    assert "<script>" not in cut and "&lt;script" in cut


# -- rendering ------------------------------------------------------------------------------


def test_markdown_is_rendered_and_sanitised():
    html = render("# Rubrik\n\n[länk](https://x.example) [js](javascript:alert(1)) <b>x</b>")
    assert "<h1>Rubrik</h1>" in html
    assert '<a href="https://x.example" rel="noopener noreferrer">länk</a>' in html
    assert 'href="javascript' not in html and "<b>" not in html


ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_no_body_renders_a_script_or_an_event_handler(body):
    html = render(body + "<script>alert(1)</script><img src=x onerror=alert(1)>")
    assert set(re.findall(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9]*)", html)) <= ALLOWED_TAGS
    assert re.search(r"<[^>]*\son\w+\s*=", html) is None
    assert re.search(r"(href|src)=\"\s*(javascript|data|vbscript):", html, re.I) is None


# -- the article's rules --------------------------------------------------------------------


def article(**overrides):
    values = {
        "article_id": "a1",
        "tenant": TENANT,
        "category": "login",
        "audience": Audience.PUBLIC,
        "products": (),
        "language": "sv",
        "text": ArticleText("Inloggning", "Glömt lösenordet?"),
        "by": "maria",
        "at": NOW,
    }
    values.update(overrides)
    return Article.write_new(**values)


def test_a_reader_gets_their_language_else_the_default_else_the_first():
    written = article()
    written.write("fi", ArticleText("Kirjautuminen", "Unohditko?"), by="maria", at=NOW)
    assert written.served_language("fi", "sv") == "fi"
    assert written.served_language("en", "sv") == "sv"
    only_finnish = article(language="fi")
    assert only_finnish.served_language("en", "sv") == "fi"


def test_publish_archive_and_history():
    written = article()
    written.publish(by="maria", at=NOW)
    with pytest.raises(DomainError):
        written.publish(by="maria", at=NOW)
    written.archive(by="maria", at=NOW)
    with pytest.raises(DomainError):
        written.write("sv", ArticleText("x", "y"), by="maria", at=NOW)
    assert [r.action for r in written.history] == ["created", "published", "archived"]
    assert [type(e).__name__ for e in written.take_events()] == [
        "ArticlePublished",
        "ArticleArchived",
    ]


# -- the subgraph ---------------------------------------------------------------------------


@pytest.fixture
async def service(settings_for, signer):
    async with running_service(create_app, settings_for(TicketsSettings), signer) as svc:
        yield svc


async def test_the_repository_query_takes_in_what_the_sight_sees(service):
    repository = ArticleRepository(service.runtime.database, TENANT)
    number = 0
    for audience in Audience:
        for state in ArticleState:
            for products in ((), ("wilma",), ("primus",)):
                number += 1
                written = article(
                    article_id=f"a{number}",
                    audience=audience,
                    products=products,
                    at=NOW.replace(minute=number % 60, second=number // 60),
                )
                written.state = state
                await repository.add(written)
    await assert_query_takes_in_what_sights_see(
        repository,
        ArticleSight(everything=True),
        [
            ArticleSight(),
            ArticleSight(customer=True),
            ArticleSight(customer=True, products=frozenset({"wilma"})),
            ArticleSight(customer=False, products=frozenset({"wilma"})),
            ArticleSight.of(REKTOR),
            ArticleSight.of(ANONYMOUS),
            ArticleSight.of(STAFF),
        ],
    )


SEARCH = """query($query: String!, $category: String, $language: String, $product: String) {
  searchKnowledge(query: $query, first: 5, category: $category, language: $language,
    product: $product) { totalCount edges { node { snippet article { title } } } } }"""
SUGGEST = """query($subject: String!, $description: String, $product: String) {
  suggestArticles(subject: $subject, description: $description, product: $product) {
    snippet article { title } } }"""
CREATE = """mutation($input: CreateArticleInput!) { createArticle(input: $input) {
  article { id version html } userErrors { field code message } } }"""
COUNT = "{ knowledgeArticles(first: 0) { totalCount } }"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.one_of(st.text(max_size=300), st.just("ö" * 10_000), st.just("?!.,;" * 40)),
    subject=st.text(max_size=300),
    category=st.one_of(st.none(), st.text(max_size=10), st.just("login")),
    product=st.one_of(st.none(), st.text(max_size=10), st.just("wilma")),
    principal=st.sampled_from([STAFF, REKTOR, ANONYMOUS]),
)
async def test_any_query_is_answered_with_results_or_a_typed_error(
    service, query, subject, category, product, principal
):
    response = await service.post_graphql(
        SEARCH, {"query": query, "category": category, "product": product}, principal
    )
    assert response.status_code == 200
    body = orjson.loads(response.content)
    for error in body.get("errors", []):
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    response = await service.post_graphql(
        SUGGEST, {"subject": subject, "description": query, "product": product}, principal
    )
    body = orjson.loads(response.content)
    assert response.status_code == 200 and "errors" not in body, body


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    title=st.text(max_size=250),
    body=st.one_of(st.text(max_size=500), st.just("x" * 50_001), st.just("<script>x</script>")),
    language=st.one_of(st.text(max_size=3), st.sampled_from(["sv", "fi", "da", "nb", "en"])),
    category=st.one_of(st.text(max_size=10), st.just("login")),
    audience=st.one_of(st.text(max_size=10), st.sampled_from([a.value for a in Audience])),
    principal=st.sampled_from([STAFF, REKTOR]),
)
async def test_any_article_input_is_answered_with_an_article_or_user_errors(
    service, title, body, language, category, audience, principal
):
    before = (await service.graphql(COUNT, principal=STAFF))["knowledgeArticles"]["totalCount"]
    response = await service.post_graphql(
        CREATE,
        {
            "input": {
                "title": title,
                "body": body,
                "language": language,
                "category": category,
                "audience": audience,
            }
        },
        principal,
    )
    assert response.status_code == 200
    result = orjson.loads(response.content)
    assert "errors" not in result, result
    payload = result["data"]["createArticle"]
    after = (await service.graphql(COUNT, principal=STAFF))["knowledgeArticles"]["totalCount"]
    if payload["article"] is None:
        assert payload["userErrors"] and after == before
    else:
        assert payload["userErrors"] == [] and after == before + 1
        assert "<script" not in payload["article"]["html"]
