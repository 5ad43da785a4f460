"""Benchmark of the knowledge base: search and suggestions while typing (issue 13).

Loads 10,000 published articles in three languages (Swedish, Finnish, English) for Visma
InSchool, then prints p50/p99 and queries/s of a search and of a suggestion (a ticket's
partial subject) at 1 and at 32 concurrent clients — through the service layer the GraphQL
resolvers call (`KnowledgeBase`), so without HTTP and the gateway.

    uv run python services/tickets/bench/bench_knowledge.py
    uv run python services/tickets/bench/bench_knowledge.py --articles 10000 --samples 320

With PORTAL_MONGO_URL it uses that MongoDB (a fresh database, dropped afterwards); without it,
the in-memory stand-in, which scans in Python: its figures say nothing about MongoDB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from portal_kit.benchmark import served_by
from portal_kit.mongo import Database, connect_database
from portal_kit.principal import Membership, Principal
from portal_tickets.adapters.configuration import shipped_configurations
from portal_tickets.adapters.repositories import ARTICLES, INDEXES, ArticleRepository
from portal_tickets.bootstrap import knowledge_base
from portal_tickets.domain.articles import Article, ArticleState, ArticleText, Audience

TENANT = "visma-inschool"
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
VOCABULARY = {
    "sv": [
        "lösenord",
        "lösenordet",
        "inloggning",
        "inloggningen",
        "schema",
        "schemat",
        "rapport",
        "rapporten",
        "elev",
        "eleverna",
        "lärare",
        "frånvaro",
        "betyg",
        "betygen",
        "ärende",
        "ärenden",
        "Wilma",
        "Primus",
        "kurs",
        "kurser",
        "utskrift",
        "kalender",
        "meddelande",
        "meddelanden",
        "användare",
        "behörighet",
        "import",
        "export",
        "fel",
    ],
    "fi": [
        "salasana",
        "salasanan",
        "kirjautuminen",
        "lukujärjestys",
        "raportti",
        "raportin",
        "oppilas",
        "oppilaat",
        "opettaja",
        "poissaolo",
        "arvosana",
        "arvosanat",
        "tiketti",
        "Wilma",
        "Primus",
        "kurssi",
        "kurssit",
        "tulostus",
        "kalenteri",
        "viesti",
        "viestit",
        "käyttäjä",
        "oikeudet",
        "tuonti",
        "vienti",
        "virhe",
    ],
    "en": [
        "password",
        "login",
        "schedule",
        "report",
        "reports",
        "student",
        "students",
        "teacher",
        "absence",
        "grade",
        "grades",
        "ticket",
        "Wilma",
        "Primus",
        "course",
        "courses",
        "printing",
        "calendar",
        "message",
        "messages",
        "user",
        "rights",
        "import",
        "export",
        "error",
    ],
}
CATEGORIES = ["login", "tickets", "wilma", "primus", "getting_started", "programs"]
SEARCHES = {"sv": "lösenordet inlogg", "fi": "salasanan kirjau", "en": "password log"}
SUBJECTS = {
    "sv": "Jag har glömt lösenordet till Wil",
    "fi": "Unohdin salasanan enkä pääse kirjau",
    "en": "I forgot my password and cannot log",
}


def make_article(number: int, rng: random.Random) -> Article:
    language = ("sv", "fi", "en")[number % 3]
    words = VOCABULARY[language]
    title = " ".join(rng.choice(words) for _ in range(5))
    body = " ".join(rng.choice(words) for _ in range(120))
    article = Article.write_new(
        article_id=uuid.uuid4().hex,
        tenant=TENANT,
        category=rng.choice(CATEGORIES),
        audience=rng.choice([Audience.PUBLIC, Audience.CUSTOMERS, Audience.CUSTOMERS]),
        products=(),
        language=language,
        text=ArticleText(title.capitalize(), body),
        by="staff",
        at=NOW - timedelta(minutes=number),
    )
    article.state = ArticleState.PUBLISHED
    return article


async def load(database: Database, count: int) -> None:
    rng = random.Random(13)
    repository = ArticleRepository(database, TENANT)
    raw = database.for_tenant(ARTICLES, TENANT)  # bulk insert: a loader, not a repository path
    batch: list[dict[str, Any]] = []
    for number in range(count):
        article = make_article(number, rng)
        document = repository.to_document(article)
        document.update(_id=article.id, version=1, outbox=[])
        batch.append(document)
        if len(batch) == 1000:
            await raw.insert_many(batch)
            batch = []
    if batch:
        await raw.insert_many(batch)


async def concurrently(
    clients: int, samples: int, action: Callable[[], Awaitable[Any]]
) -> tuple[float, float, float]:
    """(p50 ms, p99 ms, queries/s) of `samples` runs of `action` by `clients` at once."""
    durations: list[float] = []
    per_client = max(1, samples // clients)

    async def client() -> None:
        for _ in range(per_client):
            started = time.perf_counter()
            await action()
            durations.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    durations.sort()
    p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
    return statistics.median(durations), p99, len(durations) / elapsed


async def main() -> None:
    mongo_url = os.environ.get("PORTAL_MONGO_URL")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=640 if mongo_url else 96)
    args = parser.parse_args()

    database = connect_database(mongo_url, f"bench_knowledge_{uuid.uuid4().hex[:8]}")
    print(f"MongoDB: {served_by(mongo_url)}")
    if mongo_url:
        print(f"MongoDB version: {await database.server_version()}")
    await database.ensure_indexes(INDEXES)
    started = time.perf_counter()
    await load(database, args.articles)
    print(
        f"loaded {args.articles} published articles (sv, fi, en) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    configurations = shipped_configurations()
    bases = {
        language: knowledge_base(
            database,
            Principal(
                user=f"reader-{language}",
                tenant=TENANT,
                memberships=(Membership(organisation="school"),),
                locale=language,
            ),
            configurations=configurations,
            clock=lambda: NOW,
        )
        for language in ("sv", "fi", "en")
    }
    for language, base in bases.items():
        found = await base.search(SEARCHES[language], size=20)
        suggested = await base.suggest(SUBJECTS[language])
        print(
            f"{language}: search {SEARCHES[language]!r}: {found.total} hits; "
            f"suggest {SUBJECTS[language]!r}: {len(suggested)}"
        )
    languages = list(bases)

    async def search() -> None:
        language = random.choice(languages)
        await bases[language].search(SEARCHES[language], size=20)

    async def suggest() -> None:
        language = random.choice(languages)
        await bases[language].suggest(SUBJECTS[language])

    print(f"{'operation':40} {'clients':>7} {'p50 ms':>9} {'p99 ms':>9} {'q/s':>8}")
    for label, action in (("search (20 hits)", search), ("suggestions (5)", suggest)):
        for clients in (1, 32):
            p50, p99, rate = await concurrently(clients, args.samples, action)
            print(f"{label:40} {clients:7d} {p50:9.2f} {p99:9.2f} {rate:8.1f}")
    if mongo_url:
        await database.drop()
    database.close()


if __name__ == "__main__":
    asyncio.run(main())
