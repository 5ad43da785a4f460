"""The knowledge base of the demo (`python -m portal_tickets.demo`, run by `make dev`): Visma
InSchool's FAQ ('Här samlar vi allmänna ärenden som ofta förekommer i vår kundsupport och
lösningarna för dem', shared/seeds/003_…) in Swedish and Finnish. The first-login article is
public: readable without logging in, with the tenant header."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoArticle:
    category: str
    audience: str  # public, customers, products, staff
    texts: dict[str, tuple[str, str]]  # language -> (title, Markdown body)
    products: tuple[str, ...] = ()
    published: bool = True


@dataclass(frozen=True)
class DemoKnowledge:
    tenant: str
    staff: str  # login of the staff user who writes the articles
    articles: tuple[DemoArticle, ...] = field(default=())


FIRST_LOGIN = DemoArticle(
    "login",
    "public",
    {
        "sv": (
            "Att logga in i kundportalen första gången",
            "Ange ditt **användarnamn**, som är den e-postadress som du använder för att hålla "
            "kontakt med oss.\n\n"
            "1. Klicka på länken **Glömt lösenordet?** på inloggningssidan. Det här gör man "
            "bara första gången, för att få ett lösenord till tjänsten.\n"
            "2. Du får ett meddelande till din e-post med rubriken *New OTRS password request*. "
            "Gå till inloggningssidan via länken i meddelandet.\n"
            "3. Du får ett till e-postmeddelande som innehåller ditt lösenord. Logga in med din "
            "e-postadress och lösenordet.\n\n"
            "Du kan ändra lösenordet och språket i användarinställningarna när du har loggat in.",
        ),
        "fi": (
            "Kirjautuminen asiakasportaaliin ensimmäistä kertaa",
            "Anna **käyttäjätunnuksesi**, joka on sähköpostiosoite, jota käytät yhteydenpitoon "
            "kanssamme.\n\n"
            "1. Napsauta kirjautumissivun linkkiä **Unohditko salasanasi?**. Tämä tehdään vain "
            "ensimmäisellä kerralla, jotta saat salasanan palveluun.\n"
            "2. Saat sähköpostiisi viestin otsikolla *New OTRS password request*. Siirry "
            "kirjautumissivulle viestin linkin kautta.\n"
            "3. Saat vielä toisen viestin, jossa on salasanasi. Kirjaudu sisään "
            "sähköpostiosoitteellasi ja salasanalla.\n\n"
            "Voit vaihtaa salasanan ja kielen käyttäjäasetuksissa kirjauduttuasi.",
        ),
    },
)

TICKET_TYPE = DemoArticle(
    "tickets",
    "customers",
    {
        "sv": (
            "Hur väljer jag typ för ett supportärende?",
            "Välj **Nytt ärende** under rubriken Ärenden och fyll i typ, tjänst, ämne och "
            "text. Det står alltid *Unclassified* i Typ-fältet när man inte har valt någon typ "
            "ännu.\n\n"
            "- **Consulting**: konsultationsbehov, avgiftsbelagd support.\n"
            "- **Incident**: störning i programmen.\n"
            "- **Request for Change**: utvecklingsförslag.\n"
            "- **Service Request**: annat supportbehov, eller be att vi kontaktar dig.\n"
            "- **Technical support**: stöd vid uppdatering och installation.\n"
            "- **User support**: normalt supportbehov för programmen; vi rekommenderar det "
            "här alternativet för ett vanligt ärende.",
        ),
        "fi": (
            "Miten valitsen tukipyynnön tyypin?",
            "Valitse **Uusi tiketti** ja täytä tyyppi, palvelu, aihe ja teksti. Tyyppi-kentässä "
            "lukee aina *Unclassified*, kun tyyppiä ei ole vielä valittu.\n\n"
            "- **Consulting**: konsultointitarve, maksullinen tuki.\n"
            "- **Incident**: häiriö ohjelmissa.\n"
            "- **Request for Change**: kehitysehdotus.\n"
            "- **Service Request**: muu tukitarve tai yhteydenottopyyntö.\n"
            "- **Technical support**: tuki päivityksissä ja asennuksissa.\n"
            "- **User support**: tavallinen tukitarve; suosittelemme tätä tavalliseen asiaan.",
        ),
    },
)

WILMA_SCHEDULE = DemoArticle(
    "wilma",
    "products",
    {
        "sv": (
            "Schemat syns inte i Wilma-appen",
            "Logga ut ur Wilma-appen och logga in igen. Syns schemat fortfarande inte, "
            "kontrollera att skolan har publicerat veckans schema i Primus.",
        ),
        "fi": (
            "Lukujärjestys ei näy Wilma-sovelluksessa",
            "Kirjaudu ulos Wilma-sovelluksesta ja takaisin sisään. Jos lukujärjestys ei "
            "vieläkään näy, tarkista, että koulu on julkaissut viikon lukujärjestyksen "
            "Primuksessa.",
        ),
    },
    products=("wilma",),
)

PRIMUS_DRAFT = DemoArticle(
    "primus",
    "customers",
    {"sv": ("Nya rapporter i PrimusQuery", "Utkast: rapporterna kommer i nästa version.")},
    published=False,
)

INSCHOOL_KNOWLEDGE = DemoKnowledge(
    "visma-inschool",
    "maria.westerback@visma.example",
    (FIRST_LOGIN, TICKET_TYPE, WILMA_SCHEDULE, PRIMUS_DRAFT),
)

DEMO_KNOWLEDGE = (INSCHOOL_KNOWLEDGE,)
