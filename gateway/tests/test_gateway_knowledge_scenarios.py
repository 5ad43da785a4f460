"""The knowledge base (FAQ, issue 13) walked through the gateway over the real people and
tickets subgraphs: Visma InSchool's FAQ (shared/seeds/003_…) as the demo loader writes it, in
Swedish and Finnish; searched with inflected words, read by audience, suggested while a ticket
is typed; votes, views and what suggestions achieved are counted."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_gateway.testing.serving import serving
from portal_kit.gateway_client import GatewayClient
from portal_kit.testing.harness import RunningService
from portal_people.testing import SeededTenant, add_user, seed_tenant
from portal_tickets.app import create_app as create_tickets_app
from portal_tickets.demo import KnowledgeDemo
from portal_tickets.knowledge_demo_data import INSCHOOL_KNOWLEDGE
from portal_tickets.settings import TicketsSettings

PASSWORD = "a long secret phrase"
TENANT = "visma-inschool"
STAFF = "maria.westerback@visma.example"
REKTOR = "rektor@skola.example"
OPETTAJA = "opettaja@skola.example"

LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  accessToken userErrors { field code } } }"""
SET_ACCESS = """mutation($input: SetProductAccessInput!) { setProductAccess(input: $input) {
  productAccess { products } userErrors { field code } } }"""
ARTICLE = """id version language requestedLanguage inRequestedLanguage languages title body html
  audience state revision category { code label } products"""
SEARCH = f"""query($query: String!, $first: Int, $after: String, $category: String,
  $product: String, $language: String) {{
  searchKnowledge(query: $query, first: $first, after: $after, category: $category,
    product: $product, language: $language) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ score snippet article {{ {ARTICLE} }} }} }} }} }}"""
SUGGEST = f"""query($subject: String!, $description: String, $product: String) {{
  suggestArticles(subject: $subject, description: $description, product: $product) {{
    score snippet article {{ {ARTICLE} }} }} }}"""
READ = f"""query($id: ID!, $fromSuggestion: Boolean! = false) {{
  knowledgeArticle(id: $id, fromSuggestion: $fromSuggestion) {{ {ARTICLE} }} }}"""
LIST = f"""query($category: String) {{ knowledgeArticles(first: 50, category: $category) {{
  totalCount edges {{ node {{ {ARTICLE} }} }} }} }}"""
STATISTICS = """query($id: ID!) { knowledgeArticle(id: $id) { history { number action language }
  statistics { views helpful notHelpful openedFromSuggestion ticketCreatedAfter
  abandonedAfter } } }"""
TOTALS = "{ knowledgeStatistics { views abandonedAfter ticketCreatedAfter } }"
PAYLOAD = f"article {{ {ARTICLE} }} userErrors {{ field code message }}"
CREATE = (
    f"""mutation($input: CreateArticleInput!) {{ createArticle(input: $input) {{ {PAYLOAD} }} }}"""
)
WRITE = (
    f"""mutation($input: WriteArticleInput!) {{ writeArticle(input: $input) {{ {PAYLOAD} }} }}"""
)
PUBLISH = f"""mutation($input: ArticleVersionInput!) {{
  publishArticle(input: $input) {{ {PAYLOAD} }} }}"""
ARCHIVE = f"""mutation($input: ArticleVersionInput!) {{
  archiveArticle(input: $input) {{ {PAYLOAD} }} }}"""
RATE = f"""mutation($input: RateArticleInput!) {{ rateArticle(input: $input) {{ {PAYLOAD} }} }}"""
REPORT = """mutation($input: ReportArticleSuggestionsInput!) {
  reportArticleSuggestions(input: $input) { counted userErrors { field code } } }"""


@pytest.fixture
async def gateway(
    people_service: tuple[RunningService, str], settings_for: Any, start_gateway: Any
) -> AsyncIterator[httpx.AsyncClient]:
    _, url = people_service
    async with (
        serving(create_tickets_app(settings_for(TicketsSettings))) as tickets,
        start_gateway(
            people_url=f"{url}/graphql",
            tickets_url=f"{tickets}/graphql",
            jwks_url=f"{url}/.well-known/jwks.json",
        ) as client,
    ):
        yield client


@pytest.fixture
async def inschool(people_service: tuple[RunningService, str]) -> SeededTenant:
    service, _ = people_service
    tenant = await seed_tenant(
        service, TENANT, country="FI", locales=["sv", "fi", "en"], default_locale="sv"
    )
    await add_user(
        service, tenant, STAFF, email=STAFF, organisation=tenant.operator, roles=("admin",)
    )
    for login, locale in ((REKTOR, "sv"), (OPETTAJA, "fi")):
        await add_user(
            service, tenant, login, email=login, organisation=tenant.customer, locale=locale
        )
    return tenant


class Caller:
    """Someone calling the gateway: logged in with a token, or anonymous with the tenant
    header."""

    def __init__(self, gateway: httpx.AsyncClient, token: str | None = None) -> None:
        self.gateway = gateway
        self.headers = {"X-Portal-Tenant": TENANT}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    async def answer(self, document: str, /, **variables: Any) -> dict[str, Any]:
        response = await self.gateway.post(
            "/graphql", json={"query": document, "variables": variables}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def call(self, document: str, /, **variables: Any) -> dict[str, Any]:
        body = await self.answer(document, **variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def do(self, document: str, /, **input: Any) -> dict[str, Any]:
        payload: dict[str, Any] = next(iter((await self.call(document, input=input)).values()))
        return payload

    async def done(self, document: str, /, **input: Any) -> dict[str, Any]:
        payload = await self.do(document, **input)
        assert payload["userErrors"] == [], payload
        article: dict[str, Any] = payload["article"]
        return article

    async def search(self, query: str, **variables: Any) -> list[dict[str, Any]]:
        found = (await self.call(SEARCH, query=query, **variables))["searchKnowledge"]
        return [edge["node"] for edge in found["edges"]]

    async def titles(self, query: str, **variables: Any) -> list[str]:
        return [hit["article"]["title"] for hit in await self.search(query, **variables)]

    async def suggested(self, subject: str, **variables: Any) -> list[str]:
        found = (await self.call(SUGGEST, subject=subject, **variables))["suggestArticles"]
        return [hit["article"]["title"] for hit in found]


async def log_in(gateway: httpx.AsyncClient, login: str) -> Caller:
    response = await gateway.post(
        "/graphql",
        json={"query": LOG_IN, "variables": {"input": {"login": login, "password": PASSWORD}}},
        headers={"X-Portal-Tenant": TENANT},
    )
    session = response.json()["data"]["logIn"]
    assert session["userErrors"] == [], session
    return Caller(gateway, session["accessToken"])


@pytest.fixture
async def faq(gateway: httpx.AsyncClient, inschool: SeededTenant) -> dict[str, str]:
    """InSchool's FAQ as `python -m portal_tickets.demo` writes it; the ids by Swedish title."""
    client = GatewayClient(f"{gateway.base_url}/graphql", PASSWORD)
    demo = KnowledgeDemo(client)
    assert await asyncio.to_thread(demo.load, INSCHOOL_KNOWLEDGE) == 4
    assert await asyncio.to_thread(demo.load, INSCHOOL_KNOWLEDGE) == 0  # again: nothing doubled
    staff = await log_in(gateway, STAFF)
    listed = (await staff.call(LIST))["knowledgeArticles"]
    return {edge["node"]["title"]: edge["node"]["id"] for edge in listed["edges"]}


FIRST_LOGIN_SV = "Att logga in i kundportalen första gången"
FIRST_LOGIN_FI = "Kirjautuminen asiakasportaaliin ensimmäistä kertaa"
TICKET_TYPE_SV = "Hur väljer jag typ för ett supportärende?"
TICKET_TYPE_FI = "Miten valitsen tukipyynnön tyypin?"
WILMA_SV = "Schemat syns inte i Wilma-appen"
DRAFT_SV = "Nya rapporter i PrimusQuery"


async def test_a_swedish_customer_finds_the_article_with_an_inflected_word(gateway, faq):
    rektor = await log_in(gateway, REKTOR)
    # 'lösenorden' (plural, definite) finds the article that says 'lösenord' (the Swedish
    # stemmer), a whole word (followed by a blank) as well as one still typed.
    assert await rektor.titles("lösenorden ") == [FIRST_LOGIN_SV]
    assert await rektor.titles("meddelanden ") == [FIRST_LOGIN_SV]  # 'meddelandet', '-de'
    assert await rektor.titles("lösenordet") == [FIRST_LOGIN_SV]
    assert await rektor.titles("LOSENORD") == [FIRST_LOGIN_SV]  # folded, and a prefix
    assert await rektor.titles("ärenden typ") == [TICKET_TYPE_SV]  # 'ärende', 'ärenden'
    assert await rektor.titles("supportärenden") == [TICKET_TYPE_SV]
    # The last word is a beginning while it is typed.
    assert await rektor.titles("glömt lösen") == [FIRST_LOGIN_SV]
    [hit] = await rektor.search("lösenordet")
    assert "<mark>" in hit["snippet"] and hit["article"]["language"] == "sv"
    assert hit["article"]["category"] == {"code": "login", "label": "Inloggning"}
    # Title matches rank above body matches: 'typ' is in one title and in the other's body.
    ranked = await rektor.titles("typ")
    assert ranked[0] == TICKET_TYPE_SV


async def test_a_finnish_user_gets_the_finnish_version(gateway, faq):
    opettaja = await log_in(gateway, OPETTAJA)
    article = (await opettaja.call(READ, id=faq[FIRST_LOGIN_SV]))["knowledgeArticle"]
    assert (article["title"], article["language"], article["inRequestedLanguage"]) == (
        FIRST_LOGIN_FI,
        "fi",
        True,
    )
    assert article["languages"] == ["sv", "fi"]
    assert article["category"] == {"code": "login", "label": "Kirjautuminen"}
    # A Finnish search with an inflected word ('salasanasi': 'your password').
    assert await opettaja.titles("salasanasi") == [FIRST_LOGIN_FI]
    assert await opettaja.titles("tukipyynnön tyyppi") == [TICKET_TYPE_FI]
    # Asked for in Swedish, the Swedish version.
    swedish = await opettaja.titles("lösenordet", language="sv")
    assert swedish == [FIRST_LOGIN_SV]


async def test_an_anonymous_visitor_reads_the_public_article_not_the_customers_one(gateway, faq):
    visitor = Caller(gateway)
    public = (await visitor.call(READ, id=faq[FIRST_LOGIN_SV]))["knowledgeArticle"]
    assert (public["title"], public["audience"]) == (FIRST_LOGIN_SV, "PUBLIC")
    # An anonymous reader without a language of the article gets the tenant's default.
    assert public["inRequestedLanguage"] is False
    assert "<strong>Glömt lösenordet?</strong>" in public["html"]
    assert (await visitor.call(READ, id=faq[TICKET_TYPE_SV]))["knowledgeArticle"] is None
    assert await visitor.titles("typ") == []
    assert await visitor.titles("lösenordet") == [FIRST_LOGIN_SV]
    listed = (await visitor.call(LIST))["knowledgeArticles"]
    assert [e["node"]["title"] for e in listed["edges"]] == [FIRST_LOGIN_SV]
    # Voting needs an account.
    refused = await visitor.do(RATE, id=faq[FIRST_LOGIN_SV], helpful=True)
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]


async def test_a_draft_and_an_archived_article_are_invisible_to_customers(gateway, faq):
    rektor = await log_in(gateway, REKTOR)
    staff = await log_in(gateway, STAFF)
    draft = faq[DRAFT_SV]
    assert (await rektor.call(READ, id=draft))["knowledgeArticle"] is None
    assert await rektor.titles("rapporter") == []
    assert DRAFT_SV not in await rektor.suggested("Nya rapporter i PrimusQuery")
    assert DRAFT_SV not in [
        e["node"]["title"] for e in (await rektor.call(LIST))["knowledgeArticles"]["edges"]
    ]
    # Staff see it, publish it; then customers see it; archived, nobody but staff.
    seen = (await staff.call(READ, id=draft))["knowledgeArticle"]
    assert seen["state"] == "DRAFT"
    published = await staff.done(PUBLISH, id=draft, version=seen["version"])
    assert await rektor.titles("rapporter") == [DRAFT_SV]
    archived = await staff.done(ARCHIVE, id=draft, version=published["version"])
    assert archived["state"] == "ARCHIVED"
    assert (await rektor.call(READ, id=draft))["knowledgeArticle"] is None
    # Customers cannot write; staff's history has every revision.
    refused = await rektor.do(PUBLISH, id=draft, version=archived["version"])
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    history = (await staff.call(STATISTICS, id=draft))["knowledgeArticle"]["history"]
    assert [h["action"] for h in history] == ["created", "published", "archived"]
    assert (await rektor.call(STATISTICS, id=faq[TICKET_TYPE_SV]))["knowledgeArticle"] == {
        "history": None,
        "statistics": None,
    }


async def test_product_articles_for_customers_with_the_product(gateway, faq, inschool):
    rektor = await log_in(gateway, REKTOR)
    staff = await log_in(gateway, STAFF)
    assert await rektor.titles("schemat") == []
    granted = await staff.do(
        SET_ACCESS, holderKind="ORGANISATION", holderId=inschool.customer, products=["wilma"]
    )
    assert granted["userErrors"] == [], granted
    for _ in range(100):  # tickets learns the products from people's event
        if await rektor.titles("schemat"):
            break
        await asyncio.sleep(0.05)
    assert await rektor.titles("schemat") == [WILMA_SV]
    assert await rektor.titles("schemat", product="wilma") == [WILMA_SV]
    assert await rektor.titles("schemat", product="primus") == []


async def test_typing_a_ticket_subject_suggests_the_relevant_article_first(gateway, faq):
    rektor = await log_in(gateway, REKTOR)
    opettaja = await log_in(gateway, OPETTAJA)
    # Keystroke by keystroke: common words count for nothing, the last word is a beginning.
    assert (await rektor.suggested("Jag har glömt lösen"))[0] == FIRST_LOGIN_SV
    assert (await rektor.suggested("Vilken typ av ärende ska jag välja"))[0] == TICKET_TYPE_SV
    assert (await rektor.suggested("Hjälp", description="Jag kan inte logga in, glömt lösenordet"))[
        0
    ] == FIRST_LOGIN_SV
    assert (await opettaja.suggested("Unohdin salasanan"))[0] == FIRST_LOGIN_FI
    assert await rektor.suggested("och att det") == []
    assert await rektor.suggested("???") == []

    # Opened from the suggestions, then the ticket was abandoned: a ticket prevented.
    article = faq[FIRST_LOGIN_SV]
    await rektor.call(READ, id=article, fromSuggestion=True)
    report = await rektor.do(REPORT, articleIds=[article, "no-such-article"], outcome="ABANDONED")
    assert report == {"counted": 1, "userErrors": []}
    await rektor.do(REPORT, articleIds=[faq[TICKET_TYPE_SV]], outcome="TICKET_CREATED")
    # Helpful, once per user: a second vote replaces the first.
    await rektor.done(RATE, id=article, helpful=False)
    await rektor.done(RATE, id=article, helpful=True)
    await opettaja.done(RATE, id=article, helpful=True)
    staff = await log_in(gateway, STAFF)
    statistics = (await staff.call(STATISTICS, id=article))["knowledgeArticle"]["statistics"]
    assert statistics["views"] == 1 and statistics["openedFromSuggestion"] == 1
    assert (statistics["helpful"], statistics["notHelpful"]) == (2, 0)
    assert statistics["abandonedAfter"] == 1
    totals = (await staff.call(TOTALS))["knowledgeStatistics"]
    assert (totals["abandonedAfter"], totals["ticketCreatedAfter"]) == (1, 1)
    assert (await rektor.call(TOTALS))["knowledgeStatistics"] is None


async def test_staff_write_language_versions_and_bad_input_is_refused(gateway, faq):
    staff = await log_in(gateway, STAFF)
    rektor = await log_in(gateway, REKTOR)
    refused = await staff.do(
        CREATE, language="de", title="", body="x", category="nope", audience="everyone"
    )
    assert sorted((e["field"], e["code"]) for e in refused["userErrors"]) == [
        ("audience", "UNKNOWN_CODE"),
        ("category", "UNKNOWN_CODE"),
        ("language", "UNKNOWN_CODE"),
        ("title", "REQUIRED"),
    ]
    assert refused["userErrors"][0]["message"]  # in Swedish, from the catalogue
    too_long = await staff.do(
        CREATE, language="sv", title="t", body="x" * 50_001, category="login", audience="public"
    )
    assert [(e["field"], e["code"]) for e in too_long["userErrors"]] == [("body", "TOO_LONG")]
    no_products = await staff.do(
        CREATE, language="sv", title="t", body="x", category="wilma", audience="products"
    )
    assert [(e["field"], e["code"]) for e in no_products["userErrors"]] == [
        ("products", "REQUIRED")
    ]

    # A script in the body is stored as written and rendered harmless.
    body = "Hej <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    created = await staff.done(
        CREATE, language="sv", title="Skript i texten", body=body, category="tickets",
        audience="customers",
    )  # fmt: skip
    assert created["body"] == body and created["state"] == "DRAFT"
    html = created["html"]
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text
    english = await staff.done(
        WRITE, id=created["id"], version=created["version"], language="en",
        title="Script in the text", body="Hello",
    )  # fmt: skip
    assert english["languages"] == ["sv", "en"]
    stale = await staff.do(
        WRITE, id=created["id"], version=created["version"], language="en", title="x", body="y"
    )
    assert [e["code"] for e in stale["userErrors"]] == ["STALE_VERSION"]
    await staff.done(PUBLISH, id=english["id"], version=english["version"])
    # The Swedish reader gets Swedish; asked for English, English.
    assert await rektor.titles("skript") == ["Skript i texten"]
    assert await rektor.titles("script", language="en") == ["Script in the text"]

    # Queries: 10,000 characters, only punctuation, unknown language or category.
    assert await rektor.titles("lösenordet " * 1000) == [FIRST_LOGIN_SV]
    assert await rektor.titles("!!! ... ???") == []
    assert await rektor.titles("") == []
    for arguments in ({"language": "de"}, {"category": "x"}):
        answer = await rektor.answer(SEARCH, query="lösenord", **arguments)
        [error] = answer["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert (await rektor.answer(SEARCH, query="x", after="not a cursor"))["errors"]


async def test_search_pages_through_relay_cursors(gateway, faq):
    staff = await log_in(gateway, STAFF)
    for number in range(5):
        created = await staff.done(
            CREATE, language="sv", title=f"Lösenord nummer {number}", body="Om lösenord.",
            category="login", audience="customers",
        )  # fmt: skip
        await staff.done(PUBLISH, id=created["id"], version=created["version"])
    rektor = await log_in(gateway, REKTOR)
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = (await rektor.call(SEARCH, query="lösenord", first=2, after=after))[
            "searchKnowledge"
        ]
        assert page["totalCount"] == 6
        seen += [e["node"]["article"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 6 and len(set(seen)) == 6
    assert (await rektor.call(LIST, category="getting_started"))["knowledgeArticles"][
        "totalCount"
    ] == 6  # 'login' is below 'getting_started'


IMAGE = """mutation($input: AddArticleImageInput!) { addArticleImage(input: $input) {
  article { id version images { downloadPath } } image { id contentType downloadPath }
  userErrors { field code } } }"""
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x01" * 256


async def test_a_picture_in_an_article_is_read_through_the_gateway_by_its_readers(gateway, faq):
    staff = await log_in(gateway, STAFF)
    rektor = await log_in(gateway, REKTOR)
    seen = (await staff.call(READ, id=faq[TICKET_TYPE_SV]))["knowledgeArticle"]
    image = {"filename": "typ.png", "contentBase64": base64.b64encode(PNG).decode()}
    added = await staff.do(IMAGE, id=seen["id"], version=seen["version"], image=image)
    assert added["userErrors"] == [] and added["image"]["contentType"] == "image/png"
    path = added["image"]["downloadPath"]
    assert added["article"]["images"] == [{"downloadPath": path}]
    downloaded = await gateway.get(path, headers=rektor.headers)
    assert downloaded.status_code == 200 and downloaded.content == PNG
    # The customers-only article's picture is not the visitor's; a script is no picture.
    assert (await gateway.get(path, headers=Caller(gateway).headers)).status_code == 404
    script = {"filename": "x.html", "contentBase64": base64.b64encode(b"<script>").decode()}
    refused = await staff.do(
        IMAGE, id=seen["id"], version=added["article"]["version"], image=script
    )
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        ("image.file", "FORBIDDEN_TYPE")
    ]


async def test_an_anonymous_visitor_sees_the_pictures_of_a_public_article(gateway, faq):
    staff = await log_in(gateway, STAFF)
    seen = (await staff.call(READ, id=faq[FIRST_LOGIN_SV]))["knowledgeArticle"]
    image = {"filename": "inloggning.png", "contentBase64": base64.b64encode(PNG).decode()}
    added = await staff.do(IMAGE, id=seen["id"], version=seen["version"], image=image)
    assert added["userErrors"] == [], added
    path = added["image"]["downloadPath"]
    visitor = Caller(gateway)
    downloaded = await gateway.get(path, headers=visitor.headers)
    assert downloaded.status_code == 200 and downloaded.content == PNG
    # Without the tenant header nobody is asked anything; a made-up id is as missing.
    assert (await gateway.get(path)).status_code in (400, 401)
    missing = path.rsplit("/", 1)[0] + "/" + "0" * 24
    assert (await gateway.get(missing, headers=visitor.headers)).status_code == 404
