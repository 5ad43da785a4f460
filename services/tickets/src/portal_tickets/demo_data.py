"""The support manuals' own tickets (shared/seeds/003_…, 004_…), for `python -m
portal_tickets.demo`: what a new user of either portal sees right after logging in.

Visma InSchool: the school's principal has tickets of several types and services, open and
closed, one answered by support. Visma Enterprise: the customer 'BPO Account' has case 00002196
(the tenant's numbering starts there) by Patrick Stjerne, owned by BPO Team 1 through the
assignment rule, with its posts and files; the customer 'Kunde B ApS' has one of its own.
Organisations are named as in people's demo (`portal_people.demo_data`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A one-pixel PNG: the screenshot attached to the case.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)
LOG = b"2024-03-12 09:41:07 ERROR Opret medarbejder: systemfejl (kode 500)\n"


@dataclass(frozen=True)
class DemoFile:
    filename: str
    data: bytes


@dataclass(frozen=True)
class DemoPost:
    author: str  # login
    text: str
    internal: bool = False
    files: tuple[DemoFile, ...] = ()


@dataclass(frozen=True)
class DemoTicket:
    creator: str  # login
    organisation: str  # the organisation's name in people's demo
    fields: dict[str, Any]
    files: tuple[DemoFile, ...] = ()
    posts: tuple[DemoPost, ...] = ()
    # Statuses set after the posts, each by (login, status code).
    statuses: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DemoProductAccess:
    holder: str  # an organisation's name, or a user's login
    kind: str  # ORGANISATION or USER
    products: tuple[str, ...]


@dataclass(frozen=True)
class DemoTenant:
    tenant: str
    staff: str  # login of the staff user who loads product access
    tickets: tuple[DemoTicket, ...]
    product_access: tuple[DemoProductAccess, ...] = field(default=())


MARIA = "maria.westerback@visma.example"
REKTOR = "rektor@skola.example"
SCHOOL = "Exempelskolan i Vasa"
AGENT = "support.agent"
PATRICK = "patrick.stjerne"

INSCHOOL = DemoTenant(
    "visma-inschool",
    MARIA,
    (
        DemoTicket(
            REKTOR,
            SCHOOL,
            {
                "ticketType": "user_support",
                "service": "wilma",
                "subService": "wilma_app",
                "subject": "Schemat syns inte i Wilma-appen",
                "description": "Eleverna i årskurs 7 ser inte veckans schema i Wilma-appen.",
            },
            posts=(
                DemoPost(
                    MARIA,
                    "Hej! Uppdatera Wilma-appen till den senaste versionen och logga in på nytt. "
                    "Hör av dig om schemat fortfarande inte syns.",
                ),
            ),
            statuses=((MARIA, "waiting_for_customer"),),
        ),
        DemoTicket(
            REKTOR,
            SCHOOL,
            {
                "service": "kurre",
                "subject": "Fråga om Kurre-rapporter",
                "description": "Var hittar jag rapporten över lärarnas undervisningstimmar?",
            },
        ),
        DemoTicket(
            REKTOR,
            SCHOOL,
            {
                "ticketType": "incident",
                "service": "primus",
                "subService": "primus_query",
                "subject": "PrimusQuery svarar inte",
                "description": "Frågorna i PrimusQuery tar timeout sedan i morse.",
            },
            posts=(DemoPost(MARIA, "Felet är åtgärdat, PrimusQuery svarar igen."),),
            statuses=((MARIA, "resolved"), (REKTOR, "closed")),
        ),
        DemoTicket(
            REKTOR,
            SCHOOL,
            {
                "ticketType": "consulting",
                "service": "primus",
                "subject": "Skolning i Primus för ny kanslist",
                "description": "Vi behöver en introduktion i Primus för vår nya kanslist.",
            },
        ),
        DemoTicket(
            REKTOR,
            SCHOOL,
            {
                "ticketType": "technical_support",
                "service": "saas",
                "subject": "Uppdatering av SaaS-miljön",
                "description": "När uppdateras vår SaaS-miljö till den nya versionen?",
            },
            posts=(DemoPost(MARIA, "Uppdateringen görs natten till lördag."),),
            statuses=((MARIA, "resolved"),),
        ),
    ),
)

BPO = "BPO Account"
KUNDE_B = "Kunde B ApS"
ENTERPRISE = DemoTenant(
    "visma-enterprise",
    AGENT,
    (
        DemoTicket(
            PATRICK,
            BPO,
            {
                "service": "visma_lon_abc",
                "ticketType": "fejl",
                "urgency": "mindre",
                "impact": "users_10_0",
                "topic": "konsulentbistand",
                "title": "Test",
                "description": "test",
            },
            files=(DemoFile("skaermbillede.png", PNG),),
            posts=(
                DemoPost(
                    PATRICK,
                    "Ved oprettelse af ny medarbejder får jeg systemfejl. Se vedhæftet log.",
                    files=(DemoFile("fejllog.txt", LOG),),
                ),
                DemoPost(AGENT, "Kunden ringede ind: fejlen ses kun i produktion.", True),
                DemoPost(AGENT, "Tak, vi undersøger fejlen og vender tilbage i dag."),
            ),
            statuses=((AGENT, "under_behandling"),),
        ),
        DemoTicket(
            PATRICK,
            BPO,
            {
                "service": "visma_lon_abc",
                "ticketType": "fejl",
                "urgency": "alvorlig",
                "impact": "users_50_10",
                "topic": "loenkoersel",
                "title": "Fejl ved oprettelse i visma løn",
                "description": "Ved oprettelse af ny medarbejder får jeg systemfejl",
            },
        ),
        DemoTicket(
            PATRICK,
            BPO,
            {
                "service": "visma_hr",
                "ticketType": "spoergsmaal",
                "urgency": "ingen_hast",
                "impact": "users_10_0",
                "topic": "brugere_adgang",
                "title": "Ny bruger til HR",
                "description": "Hvordan giver jeg en ny kollega adgang til Visma HR?",
                "private": True,
            },
            posts=(DemoPost(AGENT, "Det er gjort: brugeren har nu adgang."),),
            statuses=((AGENT, "loest"),),
        ),
        DemoTicket(
            PATRICK,
            KUNDE_B,
            {
                "service": "visma_lonservice",
                "ticketType": "bestilling",
                "urgency": "ingen_hast",
                "impact": "users_10_0",
                "topic": "indberetning",
                "title": "Indberetning til eIndkomst",
                "description": "Vi ønsker hjælp til årets indberetning.",
            },
        ),
    ),
    (
        DemoProductAccess(BPO, "ORGANISATION", ("visma_lon_abc", "visma_hr")),
        DemoProductAccess(KUNDE_B, "ORGANISATION", ("visma_lonservice",)),
        DemoProductAccess(PATRICK, "USER", ("visma_lon_abc", "visma_hr", "visma_lonservice")),
    ),
)

DEMO_TENANTS = (INSCHOOL, ENTERPRISE)
