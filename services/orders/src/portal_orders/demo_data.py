"""Demo orders: the orders the manuals in shared/seeds show, walked as the manuals walk them.

`python -m portal_orders.demo` loads them through the gateway after people's demo
(`portal_people.demo_data` has the tenants, organisations and users named here). Texts are the
manuals' own; where a manual shows none, the comment at the value says it is ours.

- jm: 'TEST', Fakturerbart oppdrag, ordered 05.09.2024, status Ny, with a dialog; seen by
  `mejlkontakt` (Emmas Testföretag (projekt A)) and staff `pm.testare`.
- familjebostader: AO 2375, 2376 and 2377 in bundle 64010765-20190819 at Torögatan 51; seen by
  `1999/99999` (Testfirma AB) and staff `elsa.osterberg`.
- avonova: 307390, Støttesamtaler in Oslo, with a booking for Donald Duck; seen by `testweb`
  (Demokunde_Test) and staff `kundeansvarlig`; 307391 of Nordlys Eiendom AS (ours), so that
  `hr.felles`, a user of both customers, sees the choice of customer at work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """One mutation of the walk, made by the user `by` (a demo login of the tenant).

    `action` is one of: assign (`organisation` name, `contact`), transition (`status`,
    `comment`, `changes`), note (`event`, `phrase`, `text`), ask (`text`), answer (`text`: the
    answer to the order's latest question), comment (`text`), slot (`days_ahead`, `hour`,
    `minutes`, `place`, `capacity`), book (`employee`: "first last")."""

    action: str
    by: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoOrder:
    tenant: str
    # The order's key in the demo: found again by a search for `search` and a list node
    # whose `match` fields are equal, so a second run creates nothing twice.
    search: str
    match: dict[str, str]
    created_by: str
    customer: str  # organisation name
    order: dict[str, Any]  # CreateOrderInput without the organisations' ids
    assignee: str | None = None  # organisation name: sent to it on registration
    steps: tuple[Step, ...] = ()
    # Contacts whose user id is the demo login's own (JM's "JM kontaktperson").
    contact_logins: dict[str, str] = field(default_factory=dict)


# -- JM (000_): the contractor's first screen shows the order 'TEST' with status Ny ------------

JM_TEST = DemoOrder(
    tenant="jm",
    search="TEST",
    match={"description": "TEST", "orderType": "billable"},
    created_by="pm.testare",
    customer="JM AS",
    order={
        "orderType": "billable",  # Fakturerbart oppdrag
        "description": "TEST",
        "orderDate": "2024-09-05",  # Dato for bestilling 05.09.2024: contact 10.09, delivery 04.10
        "operatorContact": {"name": "PM Testare NO", "email": "pm.testareno@jm.example"},
        # The manual shows no reporter's name or number: these are ours.
        "resident": {
            "name": "Kari Nordmann",
            "phones": [{"kind": "MOBILE", "number": "91234567", "preferred": True}],
        },
    },
    contact_logins={"operatorContact": "pm.testare"},
    steps=(
        Step(
            "assign",
            "pm.testare",
            {
                "organisation": "Emmas Testföretag (projekt A)",
                "contact": {"name": "Mejlkontakt Emmas", "email": "mejlkontakt@emma.example"},
            },
        ),
        # 'Dialog med JM': the manual's screenshot is still empty, so the words are ours.
        Step(
            "comment",
            "pm.testare",
            {"text": "Hei! Ny bestilling til dere. Ta kontakt med innmelder og avtal tid."},
        ),
        Step("comment", "mejlkontakt", {"text": "Takk, vi tar kontakt med innmelder."}),
    ),
)

# -- Familjebostäder (001_): bundle 64010765-20190819 at Torögatan 51 --------------------------

TORO = {
    "number": "64010765",
    "objectType": "3 rum och kök",
    "floor": 0,
    "floors": 2,
    "elevator": False,
    "address": {"street": "Torögatan 51", "postalCode": "12265", "city": "Enskede"},
}
TESTSSON = {
    "name": "Test Testsson",
    "phones": [
        {"kind": "HOME", "number": "0799999999", "preferred": True},
        {"kind": "OTHER", "number": "0788888888"},
    ],
    "moveInDate": "2009-08-27",
    "accessPermitted": False,
}
KITCHEN_SINK = {
    "space": "Kök",
    "spaceCode": "076506",
    "unit": "Diskbänk",
    "installed": "2010-09-16",
    "lastMaintenance": "2010-09-16",
    "description": "Kommer inget vatten",
}
TESTFIRMA = "Testfirma AB"
FB_ORDER = {
    "orderType": "fel",
    "description": "Kommer inget vatten",
    "orderDate": "2019-08-19",
    "operatorContact": {"name": "Elsa Österberg"},  # Beställare
    "assigneeContact": {"name": TESTFIRMA, "account": "1999/99999"},  # Utförare
    "object": TORO,
    "adminArea": "2 (Fastighetsavdelningen)",
    "searchAreas": ["Fel: Bordsvägen", "Sök 1: Tallkrogen", "Farsta SDF"],
}
BUNDLE = "64010765-20190819"


def _work_order(
    bundle_number: str,
    resident: dict[str, Any],
    avser: dict[str, Any],
    steps: tuple[Step, ...] = (),
) -> DemoOrder:
    """A work order of the bundle, registered by Elsa Österberg and sent to Testfirma AB."""
    return DemoOrder(
        tenant="familjebostader",
        search=BUNDLE,
        match={"bundleNumber": bundle_number},
        created_by="elsa.osterberg",
        customer="Familjebostäder AB",
        order={**FB_ORDER, "resident": resident, "avser": avser},
        assignee=TESTFIRMA,
        steps=steps,
    )


FB_2375 = _work_order(
    BUNDLE,
    {**TESTSSON, "comment": "testar"},
    {**KITCHEN_SINK, "phrase": "Blandare dåligt tryck"},
)
# AO 2377 is the bundle's second kitchen order (Buntnummer -1-1), so AO 2376 is for another
# space; the manual shows only its status (Beställd) and its question, the rest is ours.
FB_2376 = _work_order(
    f"{BUNDLE}-2-1",
    TESTSSON,
    {
        "space": "Badrum",
        "unit": "Tvättställ",
        "phrase": "Blandare dåligt tryck",
        "description": "Kommer inget vatten",
    },
    (Step("ask", "1999/99999", {"text": "Ska jag byta blandare?"}),),
)
# The manual's 'Noteringar': AO Registrerad och Beställd, AO Accepterad, Tid är bokad med kund,
# Beställningsfråga 'Ska blandaren bytas?' and Beställningssvar 'Ja byt blandaren'.
FB_2377 = _work_order(
    f"{BUNDLE}-1-1",
    TESTSSON,
    {**KITCHEN_SINK, "phrase": "Blandare läcker", "unitNote": "Är rostig"},
    (
        Step("transition", "1999/99999", {"status": "accepted"}),
        Step("note", "1999/99999", {"event": "time_booked", "phrase": "time_booked"}),
        Step("ask", "1999/99999", {"text": "Ska blandaren bytas?"}),
        Step("answer", "elsa.osterberg", {"text": "Ja byt blandaren"}),
    ),
)

# -- Avonova (002_): Demokunde_Test's order 307390 from the new-order form ---------------------

AVONOVA_307390 = DemoOrder(
    tenant="avonova",
    search="Støttesamtaler",
    match={"description": "så raskt som mulig", "orderType": "support_talks"},
    created_by="testweb",  # the customer sends it; the account manager is told
    customer="Demokunde_Test",
    order={
        "orderType": "support_talks",
        "description": "så raskt som mulig",
        "orderDate": "2023-04-17",
        "customerRequest": {
            "desiredDelivery": "Støttesamtaler",
            "quantity": "4",
            "contactPerson": "Ola Olsen - tlf 1243254",
            "invoiceMarking": "Merkes med 123",
            "location": "Oslo",
        },
    },
    steps=(
        # The manual shows bookings but no times: a slot two weeks after loading, ours.
        Step(
            "slot",
            "kundeansvarlig",
            {"days_ahead": 14, "hour": 9, "minutes": 60, "place": "Oslo", "capacity": 4},
        ),
        Step("book", "testweb", {"employee": "Donald Duck"}),
    ),
)

# -- Avonova: an order of the second customer, Nordlys Eiendom AS (ours, not the manual's) ----
# `hr.felles` works for both customers: without a choice they see 307390 and this one, after
# chooseActiveOrganisation only the chosen customer's. The account manager registers it, so
# whichever customer the user chose, a second run finds it again.

AVONOVA_NORDLYS = DemoOrder(
    tenant="avonova",
    search="Ergonomisk",
    match={"description": "Ergonomisk gjennomgang av kontorplassene", "orderType": "ergonomics"},
    created_by="kundeansvarlig",
    customer="Nordlys Eiendom AS",
    order={
        "orderType": "ergonomics",
        "description": "Ergonomisk gjennomgang av kontorplassene",
        "orderDate": "2023-05-02",
        "customerRequest": {"desiredDelivery": "Ergonomi", "quantity": "12", "location": "Tromsø"},
    },
)

# In this order: within a tenant, numbers follow it (AO 2375, 2376, 2377; 307390, 307391).
DEMO_ORDERS = (JM_TEST, FB_2375, FB_2376, FB_2377, AVONOVA_307390, AVONOVA_NORDLYS)
